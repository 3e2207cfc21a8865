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
}
