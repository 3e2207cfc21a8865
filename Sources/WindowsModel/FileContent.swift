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

    /// The contents of `name` at `version`, `size` bytes long, to be produced piece by piece.
    public static func content(name: String, version: FileVersion, size: Int) -> GeneratedContent {
        GeneratedContent(header: header(name: name, version: version), size: size)
    }

    /// The complete contents of `name` at `version`: `size` bytes, or just the header when `size`
    /// is smaller than the header (image loaders refuse such sizes).
    public static func bytes(name: String, version: FileVersion, size: Int) -> [UInt8] {
        content(name: name, version: version, size: size).bytes
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
}

/// The bytes of a generated file: a header, then pseudo-random filler up to the file's size.
/// Simulated PE files (`FileContent`) and native images are made this way.
///
/// The filler is little-endian 64-bit words; word k is `pattern[k % 8192] ^ key(k / 8192)`, where
/// `pattern` is splitmix64's first 8192 outputs from seed 0 (the same in every file) and
/// `key(b)` is splitmix64's output number b + 1 from the header's `ContentHash` (so each 64 KB
/// block of each file and version is its own). Any range can be produced on its own, cheaply (an
/// exclusive-or per word): a 2 MB file is written, hashed or compared a chunk at a time, never held
/// whole.
public struct GeneratedContent: Sendable, Equatable {
    /// The first bytes.
    public let header: [UInt8]
    /// The whole length: the size asked for, or the header's when that is longer.
    public let count: Int
    private let seed: UInt64

    public init(header: [UInt8], size: Int) {
        self.header = header
        count = max(size, header.count)
        seed = ContentHash.hash(header)
    }

    /// The bytes of `range` (within `0..<count`) into `buffer`, which holds at least
    /// `range.count` bytes.
    public func fill(_ buffer: UnsafeMutableRawBufferPointer, with range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count && buffer.count >= range.count)
        var position = range.lowerBound
        var out = 0
        while position < range.upperBound && position < header.count {
            buffer[out] = header[position]
            position += 1
            out += 1
        }
        guard position < range.upperBound else { return }
        var relative = position - header.count
        let end = range.upperBound - header.count
        // A word cut by the start of the range.
        if relative % 8 != 0 {
            let word = word(relative / 8)
            while relative % 8 != 0 && relative < end {
                buffer[out] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(relative % 8)))
                relative += 1
                out += 1
            }
        }
        // Whole words, a block's worth at a time.
        var index = relative / 8
        let base = buffer.baseAddress!
        while relative + 8 <= end {
            let block = index / Self.blockWords
            let key = self.key(block)
            let words = min((end - relative) / 8, (block + 1) * Self.blockWords - index)
            Self.pattern.withUnsafeBufferPointer { pattern in
                let from = index % Self.blockWords
                var i = 0
                #if _endian(little)
                    // Four words at a time (vector registers), as the word loop would do them.
                    let source = UnsafeRawPointer(pattern.baseAddress! + from)
                    let keys = SIMD4<UInt64>(repeating: key)
                    while i + 4 <= words {
                        let four = source.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<UInt64>.self) ^ keys
                        base.storeBytes(of: four, toByteOffset: out + 8 * i, as: SIMD4<UInt64>.self)
                        i += 4
                    }
                #endif
                while i < words {
                    base.storeBytes(of: (pattern[from + i] ^ key).littleEndian, toByteOffset: out + 8 * i, as: UInt64.self)
                    i += 1
                }
            }
            relative += 8 * words
            out += 8 * words
            index += words
        }
        // A word cut by the end.
        if relative < end {
            let word = word(index)
            for i in 0..<(end - relative) { buffer[out + i] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(i))) }
        }
    }

    /// Words per block of the filler (64 KB).
    static let blockWords = 8192

    /// The filler's pattern: splitmix64's first `blockWords` outputs from seed 0.
    static let pattern: [UInt64] = {
        var generator = SplitMix64(seed: 0)
        return (0..<blockWords).map { _ in generator.next() }
    }()

    /// Block `block`'s key: splitmix64's output number `block + 1` from `seed`.
    private func key(_ block: Int) -> UInt64 { SplitMix64.mix(seed &+ UInt64(block + 1) &* SplitMix64.increment) }

    /// Filler word `index` (0-based).
    private func word(_ index: Int) -> UInt64 { Self.pattern[index % Self.blockWords] ^ key(index / Self.blockWords) }

    /// The bytes of `range`.
    public func bytes(_ range: Range<Int>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: range.count) { raw, initialized in
            fill(UnsafeMutableRawBufferPointer(raw), with: range)
            initialized = range.count
        }
    }

    /// All the bytes.
    public var bytes: [UInt8] { bytes(0..<count) }

    /// Calls `body` with the bytes of `range` in consecutive chunks of at most `chunkSize` bytes
    /// (each valid only during its call), from one reused buffer.
    public func forEachChunk<E: Error>(
        of range: Range<Int>, chunkSize: Int = GeneratedContent.chunkSize, _ body: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunkSize, max(range.count, 1)), alignment: 16)
        defer { buffer.deallocate() }
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + buffer.count, range.upperBound)
            fill(buffer, with: start..<end)
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<(end - start)]))
            start = end
        }
    }

    /// The `ContentHash` of all the bytes, computed a chunk at a time.
    public var hash: UInt64 {
        var hasher = ContentHash.Hasher()
        forEachChunk(of: 0..<count) { hasher.update($0) }
        return hasher.value
    }

    /// The chunk size of `forEachChunk` and of chunked reads: small enough to stay in the CPU's
    /// cache and in malloc's reused memory, large enough that system calls are few.
    public static let chunkSize = 64 << 10

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
/// basis and prime of FNV-1a 64) in four lanes. The file is taken as 32-byte blocks, the i-th
/// little-endian 64-bit word of each block going into lane i; after the last whole block, the
/// whole words left go into lanes 0, 1 and 2 in turn and the bytes left one at a time into lane 3;
/// then the four lanes, as words, go through FNV-1a once more. Four lanes because each lane's
/// multiply waits only for its own previous one: a 2 MB assembly hashes about three times faster
/// than with one. Not cryptographic (it only has to notice a different file).
public enum ContentHash {
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The hash of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The hash of the bytes at `raw`.
    public static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.update(raw)
        return hasher.value
    }

    /// The hash of bytes given in consecutive pieces of any sizes: equal to `hash` of them joined.
    public struct Hasher: Sendable {
        private var lanes = (offsetBasis, offsetBasis, offsetBasis, offsetBasis)
        /// The start of a block not yet complete (`pendingCount` bytes of it).
        private var pending: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        private var pendingCount = 0
        /// How many bytes were hashed.
        public private(set) var count = 0

        public init() {}

        @inline(__always) private static func step(_ lane: UInt64, _ word: UInt64) -> UInt64 {
            (lane ^ UInt64(littleEndian: word)) &* ContentHash.prime
        }

        /// Adds the next bytes.
        public mutating func update(_ raw: UnsafeRawBufferPointer) {
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            count += raw.count
            var offset = 0
            if pendingCount > 0 {
                let take = min(32 - pendingCount, raw.count)
                let start = pendingCount
                withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.advanced(by: start).copyMemory(from: base, byteCount: take) }
                pendingCount += take
                offset = take
                guard pendingCount == 32 else { return }
                lanes.0 = Self.step(lanes.0, pending.0)
                lanes.1 = Self.step(lanes.1, pending.1)
                lanes.2 = Self.step(lanes.2, pending.2)
                lanes.3 = Self.step(lanes.3, pending.3)
                pendingCount = 0
            }
            var (a, b, c, d) = lanes
            while offset + 32 <= raw.count {
                a = Self.step(a, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                b = Self.step(b, raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                c = Self.step(c, raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
                d = Self.step(d, raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
                offset += 32
            }
            lanes = (a, b, c, d)
            if offset < raw.count {
                let rest = raw.count - offset
                withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: base + offset, byteCount: rest) }
                pendingCount = rest
            }
        }

        /// The hash of everything added.
        public var value: UInt64 {
            var (a, b, c, d) = lanes
            let tail = withUnsafeBytes(of: pending) { Array($0.prefix(pendingCount)) }
            let words = tail.count / 8
            let word = { (i: Int) -> UInt64 in tail.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self) } }
            if words > 0 { a = Self.step(a, word(0)) }
            if words > 1 { b = Self.step(b, word(1)) }
            if words > 2 { c = Self.step(c, word(2)) }
            for byte in tail[(8 * words)...] { d = (d ^ UInt64(byte)) &* ContentHash.prime }
            var h = ContentHash.offsetBasis
            for lane in [a, b, c, d] { h = (h ^ lane) &* ContentHash.prime }
            return h
        }
    }

    /// `0123456789abcdef`: 16 lowercase hex digits.
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
