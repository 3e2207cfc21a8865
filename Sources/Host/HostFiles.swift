import Glibc

/// A system call on a host file that failed: what was being done, to which path, and the errno
/// it set. Callers that report Win32 errors turn it into one (`Win32Error(errno:operation:path:)`).
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being done, e.g. `create`, `write`, `posix_spawn`.
    public var operation: String
    /// The path it was done to.
    public var path: String
    /// The errno value (for `posix_spawn`, the error number it returned).
    public var code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The system's words for `code` (strerror), e.g. `No such file or directory`.
    public var message: String { systemErrorMessage(code) }

    /// Whether the path does not exist (ENOENT).
    public var isNotFound: Bool { code == ENOENT }

    /// `create /tmp/m/profile: File exists`
    public var description: String { "\(operation) \(path): \(message)" }
}

/// The system's words for the errno value `code` (strerror), for messages.
public func systemErrorMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

/// The system's words for the errno the last failed system call of this thread set, for a
/// caller that got a failure without an error value (LibUV's `TerminationStatus.wait(for:)`).
public func lastSystemErrorMessage() -> String { systemErrorMessage(errno) }

/// What a host path names.
public enum FileKind: Sendable, Equatable {
    case regularFile
    case directory
    case symbolicLink
    /// A device, a socket, a FIFO.
    case other
}

/// Plain files and directories of the host, by host path: the machine directory before it is
/// opened as a machine, the registry's database files, the coordinator's log files. A machine's
/// drive C: is WinFS's (`MachineRoot`), never these.
public enum HostFiles {
    /// What `path` names (stat, or lstat when not `followingLinks`: a symbolic link is then
    /// reported as one instead of what it leads to); nil when nothing is there or it cannot be
    /// looked at.
    public static func kind(of path: String, followingLinks: Bool) -> FileKind? {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        default: return .other
        }
    }

    /// The names in the directory at `path`, without `.` and `..`, in the directory's order.
    public static func entries(ofDirectory path: String) throws(SystemCallError) -> [String] {
        guard let dir = opendir(path) else { throw SystemCallError(operation: "opendir", path: path, code: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Creates the directory `path` (mkdir, mode 0755 before the umask); its parent must exist.
    public static func makeDirectory(_ path: String) throws(SystemCallError) {
        _ = try retrying("mkdir", path) { mkdir(path, 0o755) }
    }

    /// Creates the file `path`, which must not exist yet (nor be a symbolic link: one is never
    /// followed), with mode 0644 and `bytes` as its contents. The failing step is `create` or
    /// `write`.
    public static func createNewFile(_ path: String, contents bytes: [UInt8]) throws(SystemCallError) {
        let fd = try retrying("create", path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            offset += try retrying("write", path) { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) } }
        }
    }

    /// The whole contents of the file `name` in the directory open at `directory`, never
    /// following a symbolic link at `name` (openat with O_NOFOLLOW): a file of a machine directory
    /// itself, such as its `profile`.
    public static func readFile(_ name: String, inDirectory directory: Int32) throws(SystemCallError) -> [UInt8] {
        let fd = try retrying("open", name) { openat(directory, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let count = try retrying("read", name) { read(fd, &chunk, chunk.count) }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    /// Opens the log file `path` for writing, created or truncated, and returns its descriptor
    /// (close it with `close`). A symbolic link at `path` is not followed: one planted at a log's
    /// name must not make the coordinator truncate a file elsewhere.
    public static func createLogFile(_ path: String) throws(SystemCallError) -> Int32 {
        try retrying("open", path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644) }
    }

    /// Closes a descriptor this process opened (`createLogFile`).
    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Whether this process may execute the file at `path` (access X_OK).
    public static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

    /// Writes all of `text` to descriptor `fd` (standard output 1, standard error 2), retrying
    /// after a signal and a short write; gives up silently on any other error, as a log line
    /// that cannot be written is no reason to fail.
    public static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    /// The bytes an unprivileged process may still write on the file system holding `path`
    /// (statvfs); nil when it cannot be asked.
    public static func availableBytes(at path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Copies the tree at `source` (directories and regular files; anything else, such as a
    /// symbolic link, is refused) to `destination`, which must not exist. Each file is copied by
    /// the kernel (sendfile), with its permission bits, into an inode of its own: nothing
    /// is shared with the source afterwards, neither bytes nor locks.
    public static func copyTree(from source: String, to destination: String) throws(SystemCallError) {
        var info = stat()
        _ = try retrying("lstat", source) { lstat(source, &info) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            _ = try retrying("mkdir", destination) { mkdir(destination, info.st_mode & 0o7777) }
            for name in try entries(ofDirectory: source) {
                try copyTree(from: source + "/" + name, to: destination + "/" + name)
            }
        case S_IFREG:
            let input = try retrying("open", source) { open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            defer { close(input) }
            let output = try retrying("create", destination) {
                open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, info.st_mode & 0o7777)
            }
            defer { close(output) }
            var left = Int(info.st_size)
            while left > 0 {
                let copied = try retrying("sendfile", destination) { sendfile(output, input, nil, left) }
                if copied == 0 { break }  // the source shrank meanwhile
                left -= copied
            }
        default:
            throw SystemCallError(operation: "copy (not a file or directory)", path: source, code: EINVAL)
        }
    }

    /// Runs `body` (a system call returning -1 and setting errno on failure) again after EINTR;
    /// any other failure throws, naming `operation` and `path`.
    private static func retrying<Result: BinaryInteger>(
        _ operation: String, _ path: String, _ body: () -> Result
    ) throws(SystemCallError) -> Result {
        while true {
            let result = body()
            if result >= 0 { return result }
            let value = errno
            if value != EINTR { throw SystemCallError(operation: operation, path: path, code: value) }
        }
    }
}
