import WinFS
import WindowsModel

extension FileContent {
    /// `count` bytes of `name` at `version` starting at `offset`, computed without generating the
    /// bytes before them (see `GeneratedContent`). Equal to
    /// `bytes(name:version:size:)[offset..<offset+count]` for any size that covers the range.
    public static func bytes(name: String, version: FileVersion, offset: Int, count: Int) -> [UInt8] {
        content(name: name, version: version, size: offset + count).bytes(offset..<(offset + count))
    }
}

/// Whether a file's bytes are what its version header says, checked cheaply enough to run at
/// the end of every run (no whole-file hash).
///
/// Two checks, both sound (a complete file of that version always passes):
/// * size: the inode's size against the sizes the machine's packages (`C:\Windows\Installer\*.msp`)
///   give for that file name and version — a write cut short leaves the new header over too few
///   bytes. Versions no package names (the image's own files) have no known size; only the
///   second check applies to them.
/// * content: the last bytes of the file (up to 64) against that version's bytes at that
///   offset, computed directly (`FileContent.bytes(name:version:offset:count:)`) — a file of the
///   right length whose tail was never written, or bytes of another version under this header.
public struct FileIntegrity {
    /// (file name lowercased, version) → the sizes packages give it.
    public let knownSizes: [String: Set<Int>]
    public let root: MachineRoot

    /// Reads the sizes from the packages staged on the machine (unreadable packages are skipped).
    public init(root: MachineRoot) {
        self.root = root
        var sizes: [String: Set<Int>] = [:]
        let directory = Patch.installerDirectory
        for name in (try? root.list(directory)) ?? [] where name.lowercased().hasSuffix(".msp") {
            guard let patch = try? PatchPackage.read(directory.appending(name), root: root) else { continue }
            for file in patch.files {
                sizes[Self.key(file.path.name ?? "", file.version), default: []].insert(file.size)
            }
        }
        knownSizes = sizes
    }

    static func key(_ name: String, _ version: FileVersion) -> String { "\(name.lowercased()) \(version)" }

    /// Why the file at `path` (of `size` bytes) does not match its version header; nil when it
    /// does, or when it has no header (not a simulated PE file: nothing to check against).
    public func damage(of path: WindowsPath, size: Int) -> String? {
        guard let handle = try? root.open(path, access: .read, share: .all) else { return nil }
        defer { handle.close() }
        guard let head = try? handle.read(upTo: 512), let stamp = FileContent.stamp(of: head) else { return nil }
        if let sizes = knownSizes[Self.key(stamp.name, stamp.version)], !sizes.contains(size) {
            return "\(size) bytes; \(stamp) has \(sizes.sorted().map(String.init).joined(separator: " or "))"
        }
        let count = min(64, size)
        guard (try? handle.seek(to: Int64(size - count))) != nil, let tail = try? handle.read(upTo: count), tail.count == count else {
            return "it cannot be read to its end"
        }
        if tail != FileContent.bytes(name: stamp.name, version: stamp.version, offset: size - count, count: count) {
            return "its last \(count) bytes are not those of \(stamp)"
        }
        return nil
    }
}
