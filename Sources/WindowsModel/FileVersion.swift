/// A Windows file version (`VS_FIXEDFILEINFO`): four 16-bit parts, e.g. `1.1.4322.573`.
///
/// Ordered part by part, as Windows Installer compares versions when it decides whether to
/// replace a file.
public struct FileVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Encodable {
    public var major: UInt16
    public var minor: UInt16
    public var build: UInt16
    public var revision: UInt16

    public init(_ major: UInt16, _ minor: UInt16, _ build: UInt16, _ revision: UInt16) {
        self.major = major
        self.minor = minor
        self.build = build
        self.revision = revision
    }

    /// Parses `a.b.c.d`, each part a decimal number 0...65535. Nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var numbers: [UInt16] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 5, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = UInt16(part)
            else { return nil }
            numbers.append(value)
        }
        self.init(numbers[0], numbers[1], numbers[2], numbers[3])
    }

    /// `1.1.4322.573`
    public var description: String { "\(major).\(minor).\(build).\(revision)" }

    public static func < (a: FileVersion, b: FileVersion) -> Bool {
        (a.major, a.minor, a.build, a.revision) < (b.major, b.minor, b.build, b.revision)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
