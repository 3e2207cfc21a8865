import Machine
import Testing
import WindowsModel

@Suite struct FileVersionTests {
    @Test func parsesAndPrints() {
        #expect(FileVersion("1.1.4322.573") == FileVersion(1, 1, 4322, 573))
        #expect(FileVersion("1.1.4322.573")?.description == "1.1.4322.573")
        #expect(FileVersion("65535.0.0.0") != nil)
    }

    @Test(arguments: ["", "1.1.4322", "1.1.4322.573.1", "1..4322.573", "1.1.4322.65536", "a.b.c.d", "1.1.4322.-5", " 1.1.1.1"])
    func refusesBadVersions(text: String) {
        #expect(FileVersion(text) == nil)
    }

    @Test func ordersPartByPart() {
        #expect(version("1.1.4322.573") < version("1.1.4322.2032"))
        #expect(version("1.1.4322.2032") < version("2.0.50727.42"))
        #expect(!(version("1.1.4322.573") < version("1.1.4322.573")))
    }
}

@Suite struct FileContentTests {
    let v573 = version("1.1.4322.573")
    let v2032 = version("1.1.4322.2032")

    @Test func startsWithAReadableHeaderAndHasTheRequestedSize() {
        let bytes = FileContent.bytes(name: "mscorwks.dll", version: v573, size: 2_076_672)
        #expect(bytes.count == 2_076_672)
        let header = Array("PATCHRIG-PE mscorwks.dll 1.1.4322.573\n".utf8)
        #expect(Array(bytes.prefix(header.count)) == header)
    }

    @Test func versionRoundTripsThroughTheBytes() {
        for (name, v) in [("mscorwks.dll", v573), ("System.Web.dll", v2032), ("a file with spaces.dll", version("0.0.0.1"))] {
            let bytes = FileContent.bytes(name: name, version: v, size: 4096)
            #expect(FileContent.stamp(of: bytes) == VersionStamp(name: name, version: v))
        }
    }

    @Test func isDeterministic() {
        let a = FileContent.bytes(name: "System.dll", version: v573, size: 100_003)
        let b = FileContent.bytes(name: "System.dll", version: v573, size: 100_003)
        #expect(a == b)
        #expect(ContentHash.hash(a) == ContentHash.hash(b))
    }

    @Test func anotherVersionOrNameGivesOtherBytesAndAnotherHash() {
        let old = FileContent.bytes(name: "System.dll", version: v573, size: 65536)
        let new = FileContent.bytes(name: "System.dll", version: v2032, size: 65536)
        let other = FileContent.bytes(name: "System.Xml.dll", version: v573, size: 65536)
        #expect(old != new)
        #expect(ContentHash.hash(old) != ContentHash.hash(new))
        #expect(ContentHash.hash(old) != ContentHash.hash(other))
        // Not only the header differs: the pseudo-random body is seeded from name and version.
        #expect(old.suffix(1000) != new.suffix(1000))
    }

    @Test func bodyIsNotTrivial() {
        let bytes = FileContent.bytes(name: "mscorlib.dll", version: v573, size: 1 << 16)
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes.dropFirst(64) { counts[Int(byte)] += 1 }
        // Every byte value appears; none dominates (a uniform stream gives ~256 each).
        #expect(counts.allSatisfy { $0 > 100 && $0 < 450 })
    }

    @Test func aSizeBelowTheHeaderGivesJustTheHeader() {
        let bytes = FileContent.bytes(name: "x.dll", version: v573, size: 3)
        #expect(bytes == FileContent.header(name: "x.dll", version: v573))
    }

    @Test func bytesWithoutAHeaderHaveNoStamp() {
        #expect(FileContent.stamp(of: Array("hello world\n".utf8)) == nil)
        #expect(FileContent.stamp(of: Array("PATCHRIG-PE x.dll 1.2\n".utf8)) == nil)
        #expect(FileContent.stamp(of: Array("PATCHRIG-PE x.dll 1.1.4322.573".utf8)) == nil)  // no end of line
        #expect(FileContent.stamp(of: [UInt8]()) == nil)
    }

    @Test func hashSeesEveryByte() {
        var bytes = FileContent.bytes(name: "System.dll", version: v573, size: 10_001)
        let before = ContentHash.hash(bytes)
        bytes[5000] ^= 1
        #expect(ContentHash.hash(bytes) != before)
        bytes[5000] ^= 1
        bytes[10_000] ^= 0x80  // the tail byte after the last whole word
        #expect(ContentHash.hash(bytes) != before)
        #expect(ContentHash.hex(0xab) == "00000000000000ab")
    }

    /// The filler as `GeneratedContent` documents it, written plainly: word k is
    /// `pattern[k % 8192] ^ key(k / 8192)`.
    static func reference(header: [UInt8], size: Int) -> [UInt8] {
        var generator = SplitMix64(seed: 0)
        let pattern = (0..<8192).map { _ in generator.next() }
        var keys = SplitMix64(seed: ContentHash.hash(header))
        var key: UInt64 = 0
        var bytes = header
        var k = 0
        while bytes.count < size {
            if k % 8192 == 0 { key = keys.next() }
            let word = pattern[k % 8192] ^ key
            for i in 0..<min(8, size - bytes.count) { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
            k += 1
        }
        return bytes
    }

    @Test(arguments: [0, 1, 37, 38, 45, 46, 1000, 65536 + 3, 200_001, 3 * 65536 + 45])
    func generatedContentIsTheDocumentedFiller(size: Int) {
        let header = FileContent.header(name: "mscorwks.dll", version: v573)
        let content = GeneratedContent(header: header, size: size)
        let expected = Self.reference(header: header, size: size)
        #expect(content.bytes == expected)
        #expect(content.count == expected.count)
        #expect(content.hash == ContentHash.hash(expected))
        // Any range on its own, cut anywhere within a word or the header.
        let blockEdge = header.count + 65536
        for start in [0, 1, 5, header.count - 1, header.count, header.count + 3, expected.count / 2, blockEdge - 3, blockEdge]
        where start <= expected.count {
            for length in [0, 1, 7, 8, 9, 17, 4096] where start + length <= expected.count {
                #expect(content.bytes(start..<(start + length)) == Array(expected[start..<(start + length)]))
            }
        }
        var chunks: [UInt8] = []
        content.forEachChunk(of: 0..<content.count, chunkSize: 1001) { chunks.append(contentsOf: $0) }
        #expect(chunks == expected)
    }

    /// `ContentHash` as its documentation defines it, written plainly.
    static func referenceHash(_ bytes: [UInt8]) -> UInt64 {
        func word(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        let prime = ContentHash.prime
        var lanes = [UInt64](repeating: ContentHash.offsetBasis, count: 4)
        var offset = 0
        while offset + 32 <= bytes.count {
            for i in 0..<4 { lanes[i] = (lanes[i] ^ word(offset + 8 * i)) &* prime }
            offset += 32
        }
        var lane = 0
        while offset + 8 <= bytes.count {
            lanes[lane] = (lanes[lane] ^ word(offset)) &* prime
            lane += 1
            offset += 8
        }
        for byte in bytes[offset...] { lanes[3] = (lanes[3] ^ UInt64(byte)) &* prime }
        return lanes.reduce(ContentHash.offsetBasis) { ($0 ^ $1) &* prime }
    }

    @Test func hashIsTheDocumentedFourLaneFNV() {
        let bytes = FileContent.bytes(name: "System.dll", version: v573, size: 4099)
        for length in Array(0...100) + [1023, 1024, 4099] {
            #expect(ContentHash.hash(Array(bytes.prefix(length))) == Self.referenceHash(Array(bytes.prefix(length))))
        }
    }

    @Test func hasherInPiecesEqualsTheHashOfTheWhole() {
        let bytes = FileContent.bytes(name: "System.dll", version: v573, size: 10_001)
        var generator = SplitMix64(seed: 7)
        for _ in 0..<50 {
            var hasher = ContentHash.Hasher()
            var offset = 0
            while offset < bytes.count {
                let length = min(Int(generator.next() % 23), bytes.count - offset)
                bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
                offset += length
            }
            #expect(hasher.value == ContentHash.hash(bytes))
            #expect(hasher.count == bytes.count)
        }
        #expect(ContentHash.Hasher().value == ContentHash.hash([]))
    }
}
