import WinFS
import WindowsModel

extension MachineDirectory {
    /// The renames queued for the next boot, in queued order (the machine's `PendingRenameStore`:
    /// PendingFileRenameOperations on NT, `wininit.ini [rename]` on Windows 9x).
    public func pendingRenames() throws -> [PendingRename] {
        try pendingRenameStore(for: files).pending()
    }
}
