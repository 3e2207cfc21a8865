import WinFS
import WindowsModel

/// The file operations the machine needs beneath drive C:, by Windows path.
///
/// `create`, `show` and native-image builds use it. `MachineRoot` provides it with plain file
/// operations (no share modes); a worker role can pass an implementation that goes through WinFS
/// handles (share modes, loaded images) so its reads and writes conflict with other processes
/// exactly as on Windows.
public protocol MachineFiles {
    /// The whole contents of a file.
    func readFile(_ path: WindowsPath) throws -> [UInt8]
    /// The first `limit` bytes of a file (all of it when shorter) and its whole size.
    func readHead(_ path: WindowsPath, limit: Int) throws -> (bytes: [UInt8], size: Int)
    /// The first `headLimit` bytes of a file, and the hash and length of all of it, read a chunk
    /// at a time.
    func digestFile(_ path: WindowsPath, headLimit: Int) throws -> FileDigest
    /// Creates or replaces a file with `bytes` (parent directories must exist).
    func writeFile(_ path: WindowsPath, _ bytes: [UInt8]) throws
    /// Creates or replaces a file with generated content, written a chunk at a time.
    func writeFile(_ path: WindowsPath, _ content: GeneratedContent) throws
    /// Creates a directory and any missing parents.
    func createDirectories(_ path: WindowsPath) throws
    /// Whether a file or directory exists at `path`.
    func exists(_ path: WindowsPath) -> Bool
    /// The names in a directory, sorted, without `.` and `..`.
    func list(_ path: WindowsPath) throws -> [String]
    /// Whether `path` is a directory.
    func isDirectory(_ path: WindowsPath) -> Bool
}

extension MachineRoot: MachineFiles {}

extension FileContent {
    /// The name and version in the header of the file at `path` on the machine; nil when it is
    /// not a simulated PE file. Throws when the file cannot be read.
    public static func stamp(ofFileAt path: WindowsPath, in files: some MachineFiles) throws -> VersionStamp? {
        stamp(of: try files.readHead(path, limit: 512).bytes)
    }
}
