import CWinFS
import Glibc
import WindowsModel

// Delete-pending (NTFS, Windows NT to Server 2003; Wine server/fd.c `set_fd_disposition`,
// `open_fd`): DeleteFile on a file that other handles hold — all of them sharing delete, or the
// delete open fails with 32 — succeeds, but only marks the file; its name stays until the last
// handle closes. Meanwhile:
// * every new open of the name (CreateFile with any disposition, CREATE_NEW included, the
//   loader's open, the delete open of DeleteFile or MoveFileEx's source) fails with
//   STATUS_DELETE_PENDING, which Win32 reports as ERROR_ACCESS_DENIED (5);
// * MoveFileEx onto the name fails as it does onto any open file: ERROR_ACCESS_DENIED (5) with
//   MOVEFILE_REPLACE_EXISTING, ERROR_ALREADY_EXISTS (183) without;
// * directory listings (FindFirstFile) still show the name: the entry is there until the close.
// When the last handle closes the name goes, and the name can be used again.
//
// How it is modelled: the mark is an extended attribute of the inode (`user.patchrig.delete-pending`),
// set under the file's gate by the DeleteFile that found other holders. An attribute of the inode,
// not a lock byte, because the deleting process usually exits long before the holders close (an
// OFD lock would vanish with it); not a marker file beside it, because a second name can fall out
// of step with the file (a process killed between the two) and would show in listings. The
// holders are the OFD locks of `ShareLock` (`open`, `image`), which the kernel drops when a
// handle closes or its process dies without running any code, so nothing can run "at the last
// close". Instead the delete completes lazily: the next operation that meets a marked name and
// finds no holder left unlinks it then, and goes on as if the name were free. A file deleted
// with no other handle open is unlinked at once, as before.
//
// A file system without user extended attributes (ENOTSUP) cannot carry the mark: there
// DeleteFile unlinks at once (holders that shared delete keep the nameless inode).

enum DeletePending {
    /// The extended attribute that marks a file delete-pending.
    static let attribute = "user.patchrig.delete-pending"

    /// Whether `fd`'s file carries the mark (false where extended attributes are unsupported).
    static func isMarked(_ fd: Int32) -> Bool {
        cwinfs_has_xattr(fd, attribute) == 1
    }

    /// Marks `fd`'s file delete-pending; false when the file system cannot carry the mark.
    static func mark(_ fd: Int32, _ path: WindowsPath, operation: StaticString) throws(Win32Error) -> Bool {
        if cwinfs_set_xattr(fd, attribute) == 0 { return true }
        let value = errno
        if value == ENOTSUP || value == EOPNOTSUPP { return false }
        throw Win32Error(errno: value, operation: "\(operation)", path: path.description)
    }

    /// Whether another handle (any open, with or without data access) or image section holds
    /// `fd`'s file. `fd`'s own description does not count.
    static func isHeld(_ fd: Int32, _ path: WindowsPath) throws(Win32Error) -> Bool {
        try ShareLock.anyHeld(fd, ShareLock.open | ShareLock.image, path)
    }

    /// STATUS_DELETE_PENDING as Win32 reports it.
    static func error(_ path: WindowsPath, operation: String) -> Win32Error {
        Win32Error(
            5, operation: operation, path: path.description,
            reason:
                "the file is delete-pending (STATUS_DELETE_PENDING): it was deleted while handles still hold it, and the name stays until the last one closes"
        )
    }
}

extension MachineRoot {
    /// Looks at the file `fd` is open on, found at `path`: when it is marked delete-pending and no
    /// handle holds it any more, unlinks `path` (if it still names that file) — the lazy completion
    /// of the delete. `fd` must hold no share lock yet.
    func deletePendingState(_ fd: Int32, _ path: WindowsPath, operation: StaticString) throws(Win32Error) -> DeletePendingOutcome {
        guard DeletePending.isMarked(fd) else { return .none }
        try ShareLock.gate(fd, path)
        defer { ShareLock.ungate(fd) }
        if try DeletePending.isHeld(fd, path) { return .held }
        // Resolved as DeleteFile resolves it (`openParent`), so a change to name lookup applies here too.
        guard let (parent, name) = try? openParent(path, operation: operation) else { return .completed }
        defer { close(parent) }
        if stillNames(parent, name, fd) { _ = unlinkat(parent, name, 0) }
        return .completed
    }

    /// Completes the delete of the file at `path` when it is delete-pending and no handle holds it
    /// any more (the name is then gone). Returns what it found: `.none` also for a missing file,
    /// a directory, or a path that cannot be opened. Session Manager calls it at boot, before
    /// it touches a name: every process of the machine was stopped, so every delete-pending file
    /// is due to go.
    @discardableResult
    public func completePendingDelete(_ path: WindowsPath) -> DeletePendingOutcome {
        guard let fd = try? openBeneath(path, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK, operation: "DeleteFile") else {
            return .none
        }
        defer { close(fd) }
        return (try? deletePendingState(fd, path, operation: "DeleteFile")) ?? .none
    }

    /// Whether the file at `path` is delete-pending and still held (its name stays, opens fail
    /// with ERROR_ACCESS_DENIED (5)); a delete-pending file nobody holds is unlinked by this look.
    public func isDeletePending(_ path: WindowsPath) -> Bool {
        completePendingDelete(path) == .held
    }
}

/// What an operation meeting a name found (`MachineRoot.completePendingDelete`).
public enum DeletePendingOutcome: Sendable, Equatable {
    /// The file is not marked delete-pending (or there is no file).
    case none
    /// It was marked and no handle holds it any more: its delete has now completed (the name was
    /// unlinked by this look, or was already gone).
    case completed
    /// It is marked and some handle still holds it: the name stays, and opens fail with 5.
    case held
}

extension MachineRoot {
    /// Whether files in the host directory `directory` can carry the delete-pending mark (user
    /// extended attributes): without it DeleteFile of a held file unlinks at once. Probed with a
    /// file of its own, removed again.
    public static func carriesDeletePending(directory: String) -> Bool {
        let probe = directory + "/.patchrig-xattr-probe"
        let fd = Glibc.open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer {
            close(fd)
            unlink(probe)
        }
        return cwinfs_set_xattr(fd, DeletePending.attribute) == 0
    }
}
