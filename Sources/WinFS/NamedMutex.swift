import Glibc

/// A machine-wide named mutex, as Windows kernel objects are: `_MSIExecute`, which Windows
/// Installer holds while an installation runs, so a second install exits with
/// ERROR_INSTALL_ALREADY_RUNNING (1618).
///
/// It is an exclusive `flock` on `<machine>/objects/<name>`: held by one open description at a
/// time, across processes, and released by the kernel when the holding process dies, as Windows
/// abandons a mutex whose owner exits.
public final class NamedMutex {
    /// Windows Installer's mutex (`Global\_MSIExecute`).
    public static let installer = "_MSIExecute"

    public let name: String
    private let fd: Int32
    public private(set) var isHeld = false

    /// Opens (creating if needed) the mutex `name` of the machine at `root`.
    public init(_ name: String, machine root: MachineRoot) throws(Win32Error) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw Win32Error(123, operation: "open mutex", path: name, reason: "not a usable mutex name")
        }
        self.name = name
        // `objects` is opened without following a link (a link planted there would put the mutex
        // outside the machine), then the mutex file beneath that descriptor.
        let objects = "objects"
        var directory = openat(root.descriptor, objects, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if directory < 0 && errno == ENOENT {
            if mkdirat(root.descriptor, objects, 0o755) == 0 || errno == EEXIST {
                directory = openat(root.descriptor, objects, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
        }
        guard directory >= 0 else {
            let value = errno
            if value == ELOOP || value == ENOTDIR {
                throw Win32Error(
                    123, operation: "open mutex", path: root.path + "/" + objects,
                    reason: "'objects' of the machine must be a directory inside it, not a symbolic link or a file",
                    posixErrno: value)
            }
            throw Win32Error(errno: value, operation: "open mutex", path: root.path + "/" + objects)
        }
        defer { close(directory) }
        let fd = openat(directory, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let value = errno
            if value == ELOOP {
                throw Win32Error(
                    123, operation: "open mutex", path: name,
                    reason: "the mutex file is a symbolic link", posixErrno: value)
            }
            throw Win32Error(errno: value, operation: "open mutex", path: name)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Takes the mutex if nobody holds it; false if another process (or handle) does.
    public func tryAcquire() -> Bool {
        if isHeld { return true }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno != EINTR { return false }
        }
        isHeld = true
        return true
    }

    /// Waits until the mutex is free and takes it, polling every `pollNs` through `sleep` (so a
    /// worker's loop keeps running). False if `timeoutNs` passed first.
    public func acquire(timeoutNs: UInt64, pollNs: UInt64 = 5_000_000, sleep: (UInt64) -> Void) -> Bool {
        var waited: UInt64 = 0
        while !tryAcquire() {
            if waited >= timeoutNs { return false }
            sleep(pollNs)
            waited += pollNs
        }
        return true
    }

    /// Releases the mutex (also done by closing, and by the kernel when the process dies).
    public func release() {
        guard isHeld else { return }
        flock(fd, LOCK_UN)
        isHeld = false
    }
}
