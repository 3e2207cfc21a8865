/// The bytes of a simulated file, derived from its name and version.
///
/// A file starts with one readable line, `PATCHRIG-PE mscorwks.dll 1.1.4322.573\n`, standing for the
/// PE header and version resource of a real DLL; the rest, up to the file's size, is deterministic
/// pseudo-random bytes seeded from that line. Two files with the same name and version are
/// byte-for-byte equal; another version gives other bytes (and another content hash). A process
/// that maps a file reads the version back from the bytes it mapped, so a process that loaded a
/// DLL before it was replaced keeps reporting the old version.
public enum FileContent {
    /// The first bytes of every simulated PE file.
    public static let magic = "PATCHRIG-PE"

    /// The header line of `name` at `version`.
    public static func header(name: String, version: FileVersion) -> [UInt8] {
        Array("\(magic) \(name) \(version)\n".utf8)
    }

    /// The complete contents of `name` at `version`: `size` bytes, or just the header when `size`
    /// is smaller than the header (image loaders refuse such sizes).
    public static func bytes(name: String, version: FileVersion, size: Int) -> [UInt8] {
        var bytes = header(name: name, version: version)
        appendPseudoRandom(to: &bytes, upTo: size, seed: ContentHash.hash(bytes))
        return bytes
    }

    /// The name and version written in the header of `bytes`; nil when the bytes do not start
    /// with a simulated PE header (a data file, or a damaged file).
    public static func stamp(of bytes: some Collection<UInt8>) -> VersionStamp? {
        guard let line = firstLine(of: bytes, prefix: magic) else { return nil }
        // `PATCHRIG-PE <name> <version>`; the name may contain spaces, the version cannot.
        let rest = line.dropFirst(magic.count + 1)
        guard let space = rest.lastIndex(of: " ") else { return nil }
        let name = String(rest[..<space])
        guard !name.isEmpty, let version = FileVersion(rest[rest.index(after: space)...]) else { return nil }
        return VersionStamp(name: name, version: version)
    }

    /// The first line of `bytes` (without its newline) if it starts with `prefix` and a space and
    /// ends within the first 512 bytes.
    static func firstLine(of bytes: some Collection<UInt8>, prefix: String) -> Substring? {
        var line: [UInt8] = []
        for byte in bytes.prefix(512) {
            if byte == 0x0A {
                guard let text = String(validating: line, as: UTF8.self),
                    text.hasPrefix(prefix + " ")
                else { return nil }
                return Substring(text)
            }
            line.append(byte)
        }
        return nil
    }

    /// Appends splitmix64 output to `bytes` until it holds `size` bytes (also the filler of native
    /// images, in Machine).
    package static func appendPseudoRandom(to bytes: inout [UInt8], upTo size: Int, seed: UInt64) {
        let start = bytes.count
        guard size > start else { return }
        // Built in place in one array of the final size: no zero fill, no temporary copy.
        let prefix = bytes
        bytes = [UInt8](unsafeUninitializedCapacity: size) { raw, count in
            prefix.withUnsafeBufferPointer { head in
                if start > 0 { raw.baseAddress!.update(from: head.baseAddress!, count: start) }
            }
            var state = seed
            var offset = start
            while offset < size {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                if size - offset >= 8 {
                    UnsafeMutableRawPointer(raw.baseAddress! + offset).storeBytes(of: z.littleEndian, as: UInt64.self)
                    offset += 8
                } else {
                    for i in 0..<(size - offset) { raw[offset + i] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(i))) }
                    offset = size
                }
            }
            count = size
        }
    }
}

/// What a simulated PE file says it is: its name and file version.
public struct VersionStamp: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var version: FileVersion
    public init(name: String, version: FileVersion) {
        self.name = name
        self.version = version
    }
    /// `mscorwks.dll 1.1.4322.573`
    public var description: String { "\(name) \(version)" }
}

/// The content hash native images record for the files they were built from: FNV-1a 64 (offset
/// basis and prime of FNV-1a 64) applied to the file as little-endian 64-bit words, then to the
/// last bytes one at a time. Word-wise so hashing a 2 MB assembly is cheap even in a debug build;
/// not cryptographic (it only has to notice a different file).
public enum ContentHash {
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The hash of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var h = offsetBasis
            let words = raw.count / 8
            var offset = 0
            for _ in 0..<words {
                h ^= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                h &*= prime
                offset += 8
            }
            while offset < raw.count {
                h ^= UInt64(raw[offset])
                h &*= prime
                offset += 1
            }
            return h
        }
    }

    /// `0123456789abcdef`: 16 lowercase hex digits.
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
