import CWinFS
import Glibc
import WindowsModel

/// The file operations Session Manager does at boot, beneath the machine's drive C:, before any
/// other process of the machine runs (so no handle or loaded image can be in the way).
///
/// Every path is resolved with `openat2(RESOLVE_BENEATH)` from the machine's `drive_c`
/// descriptor, as `MachineRoot` does, so a queued rename can never reach outside the machine.
public struct BootFiles {
    /// The machine.
    public let root: MachineRoot

    public init(root: MachineRoot) { self.root = root }

    /// MoveFileEx(source, destination, REPLACE_EXISTING if `replaceExisting`): an atomic
    /// rename(2). Missing source: ERROR_FILE_NOT_FOUND (2); missing directory on either side:
    /// ERROR_PATH_NOT_FOUND (3); destination exists without replace: ERROR_ALREADY_EXISTS (183);
    /// destination is a directory: ERROR_ACCESS_DENIED (5).
    ///
    /// Names are matched ignoring case (`MachineRoot.onDiskPath`): a rename queued as
    /// `C:\WINDOWS\a.dll` applies to `C:\Windows\A.DLL`, an existing destination of another case
    /// is the destination, and a destination that is the source under another case renames it in
    /// place, changing the case of its name (as MoveFileEx does on Windows).
    public func move(_ source: WindowsPath, to destination: WindowsPath, replaceExisting: Bool) throws(Win32Error) {
        completeDeletes(source, destination)
        let sourceOnDisk = root.onDiskPath(source)
        var targetOnDisk = root.onDiskPath(destination)
        if targetOnDisk == sourceOnDisk, let name = destination.name, let parent = targetOnDisk.parent {
            targetOnDisk = parent.appending(name)
        }
        let (sourceDirectory, sourceName) = try openParent(sourceOnDisk, shown: source, operation: "MoveFileEx")
        defer { close(sourceDirectory) }
        let (targetDirectory, targetName) = try openParent(targetOnDisk, shown: destination, operation: "MoveFileEx")
        defer { close(targetDirectory) }
        let flags: UInt32 = replaceExisting ? 0 : CWINFS_RENAME_NOREPLACE
        do {
            try checked("MoveFileEx", source.description) {
                cwinfs_renameat2(sourceDirectory, sourceName, targetDirectory, targetName, flags)
            }
        } catch {
            // Windows reports an existing destination as ERROR_ALREADY_EXISTS, not ERROR_FILE_EXISTS.
            if error.posixErrno == EEXIST {
                throw Win32Error(183, operation: "MoveFileEx", path: destination.description, posixErrno: EEXIST)
            }
            throw error
        }
    }

    /// Deletes the file (or empty directory, as Session Manager does) at `path`.
    /// Missing: ERROR_FILE_NOT_FOUND (2); a directory that is not empty: ERROR_DIR_NOT_EMPTY (145).
    public func delete(_ path: WindowsPath) throws(Win32Error) {
        completeDeletes(path)
        let (directory, name) = try openParent(root.onDiskPath(path), shown: path, operation: "DeleteFile")
        defer { close(directory) }
        do {
            try checked("DeleteFile", path.description) { unlinkat(directory, name, 0) }
        } catch  where error.posixErrno == EISDIR {
            try checked("RemoveDirectory", path.description) { unlinkat(directory, name, AT_REMOVEDIR) }
        }
    }

    /// Files that were delete-pending when the machine went down lost their last handle with
    /// their processes: on Windows they are gone before Session Manager runs. Here their delete
    /// completes when a name is met (see WinFS `DeletePending`), so a queued rename from such a
    /// file finds no file (2) and one onto its name finds the name free.
    private func completeDeletes(_ paths: WindowsPath...) {
        for path in paths { root.completePendingDelete(path) }
    }

    /// Whether a file or directory exists at `path`.
    public func exists(_ path: WindowsPath) -> Bool { root.exists(path) }

    /// Opens the directory holding `onDisk` (a path as spelled on disk) beneath drive C: and
    /// returns it with the last name; errors name `path`, the path as queued.
    private func openParent(_ onDisk: WindowsPath, shown path: WindowsPath, operation: String) throws(Win32Error) -> (Int32, String) {
        guard let name = onDisk.name, let parent = onDisk.parent else {
            throw Win32Error(123, operation: operation, path: path.description, reason: "names the drive root, not a file")
        }
        let relative = parent.components.isEmpty ? "." : parent.components.joined(separator: "/")
        let flags = UInt64(UInt32(bitPattern: O_RDONLY | O_DIRECTORY | O_CLOEXEC))
        let resolve = CWINFS_RESOLVE_BENEATH | CWINFS_RESOLVE_NO_MAGICLINKS
        do {
            let fd = try checked(operation, path.description) {
                relative.withCString { cwinfs_openat2(root.driveDescriptor, $0, flags, 0, resolve) }
            }
            return (fd, name)
        } catch {
            switch error.posixErrno {
            case ENOENT, ENOTDIR:
                throw Win32Error(3, operation: operation, path: path.description, posixErrno: error.posixErrno)
            case EXDEV, ELOOP:
                throw Win32Error(
                    123, operation: operation, path: path.description,
                    reason: "a symbolic link on the way leads outside the machine's drive C:", posixErrno: error.posixErrno)
            default:
                throw error
            }
        }
    }
}
