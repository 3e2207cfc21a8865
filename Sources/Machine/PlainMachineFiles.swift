import Glibc
import WinFS

/// `MachineFiles` with plain POSIX calls beneath a machine directory (no share modes).
///
/// Every path is a checked `WindowsPath` (no `..`, drive C only) mapped under `<directory>/drive_c`,
/// and no component is followed if it is a symbolic link (`O_NOFOLLOW`, `lstat`), so nothing
/// outside the machine directory is read or written.
public struct PlainMachineFiles: MachineFiles, Sendable {
    /// The machine directory (holding `drive_c`).
    public let directory: String

    public init(directory: String) { self.directory = directory }

    func hostPath(_ path: WindowsPath) -> String { directory + "/" + path.sandboxRelativePath }

    /// Refuses `path` if any existing component below the machine directory is a symbolic link.
    func checkNoLinks(_ path: WindowsPath) throws(MachineError) {
        var current = directory + "/drive_c"
        for component in [""] + path.components {
            if !component.isEmpty { current += "/" + component }
            var info = stat()
            guard lstat(current, &info) == 0 else { return }  // the rest does not exist yet
            if info.st_mode & S_IFMT == S_IFLNK {
                throw MachineError("\(path): '\(current)' is a symbolic link; the machine does not follow links")
            }
        }
    }

    public func readFile(_ path: WindowsPath) throws -> [UInt8] {
        try checkNoLinks(path)
        let fd = try posixCall("open \(path) for reading") { open(hostPath(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        var info = stat()
        _ = try posixCall("stat \(path)") { fstat(fd, &info) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try posixCall("read \(path)") { chunk.withUnsafeMutableBytes { Int32(read(fd, $0.baseAddress, $0.count)) } }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(n)])
        }
        return bytes
    }

    public func writeFile(_ path: WindowsPath, _ bytes: [UInt8]) throws {
        try checkNoLinks(path)
        let fd = try posixCall("create \(path)") {
            open(hostPath(path), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = try posixCall("write \(path)") {
                bytes.withUnsafeBytes { Int32(write(fd, $0.baseAddress! + offset, $0.count - offset)) }
            }
            offset += Int(n)
        }
    }

    public func createDirectories(_ path: WindowsPath) throws {
        try checkNoLinks(path)
        var current = directory + "/drive_c"
        for component in [""] + path.components {
            if !component.isEmpty { current += "/" + component }
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw MachineError("create directory \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    public func exists(_ path: WindowsPath) -> Bool {
        var info = stat()
        return lstat(hostPath(path), &info) == 0
    }

    public func isDirectory(_ path: WindowsPath) -> Bool {
        var info = stat()
        return lstat(hostPath(path), &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    public func list(_ path: WindowsPath) throws -> [String] {
        try checkNoLinks(path)
        return try listHost(hostPath(path), what: "\(path)")
    }
}

/// The names in host directory `path`, sorted, without `.` and `..`.
func listHost(_ path: String, what: String) throws(MachineError) -> [String] {
    guard let dir = opendir(path) else {
        throw MachineError("list \(what): \(String(cString: strerror(errno)))")
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// The one checked call for C return codes: runs `body`, and turns -1 into a `MachineError`
/// naming `operation` and errno's text.
func posixCall(_ operation: @autoclosure () -> String, _ body: () -> Int32) throws(MachineError) -> Int32 {
    while true {
        let result = body()
        if result != -1 { return result }
        if errno == EINTR { continue }
        throw MachineError("\(operation()): \(String(cString: strerror(errno)))")
    }
}

extension PlainMachineFiles {
    /// Size of the file in bytes.
    public func size(_ path: WindowsPath) throws(MachineError) -> Int {
        var info = stat()
        _ = try posixCall("stat \(path)") { lstat(hostPath(path), &info) }
        return Int(info.st_size)
    }

    /// The first `count` bytes of a file (fewer if it is shorter).
    public func readPrefix(_ path: WindowsPath, count: Int) throws(MachineError) -> [UInt8] {
        try checkNoLinks(path)
        let fd = try posixCall("open \(path) for reading") { open(hostPath(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = try posixCall("read \(path)") { buffer.withUnsafeMutableBytes { Int32(read(fd, $0.baseAddress, $0.count)) } }
        return Array(buffer[0..<Int(n)])
    }
}
