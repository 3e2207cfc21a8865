import Registry
import WinFS
import WindowsModel

extension MachineDirectory {
    /// The renames queued for the next boot, in queued order (the machine's `PendingRenameStore`:
    /// PendingFileRenameOperations on NT, `wininit.ini [rename]` on Windows 9x).
    /// `registry`: a connection to the machine's registry to use (nil: one of its own).
    public func pendingRenames(registry: Registry? = nil) throws -> [PendingRename] {
        try pendingRenameStore(for: files, registry: registry).pending()
    }
}
