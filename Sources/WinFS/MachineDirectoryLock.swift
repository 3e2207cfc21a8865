import Glibc

/// An exclusive lock on a machine directory: a `flock` on a new open of the directory, so two
/// processes (or two threads: each lock is an open of its own) never hold it at once, and the
/// kernel drops it when the holder dies. Machine rewrites the Windows 9x pending-rename queue
/// (`wininit.ini`) under it, and Servicing's installer takes back an entry it queued under it.
public struct MachineDirectoryLock {
    private let descriptor: Int32

    /// Waits until the machine directory of `root` is free and locks it. `what` names what the
    /// lock guards in errors (`lock wininit.ini`).
    public init(_ root: MachineRoot, guarding what: String) throws(Win32Error) {
        let fd = try checked("open machine directory", root.path) {
            openat(root.descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        do {
            try checked("lock \(what)", root.path) { flock(fd, LOCK_EX) }
        } catch {
            close(fd)
            throw error
        }
        descriptor = fd
    }

    /// Releases the lock (closes the open it is held on). Call it once.
    public func release() { close(descriptor) }
}
