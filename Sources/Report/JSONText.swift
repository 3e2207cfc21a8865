/// A JSON value with ordered object keys, written by hand so that the outputs are byte-for-byte
/// stable (same history, same file) and numbers keep their exact integer value.
package enum JSONText {
    case null
    case bool(Bool)
    /// An integer or decimal already spelled as JSON (see `int`, `micros`).
    case number(String)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

    package static func int<T: BinaryInteger>(_ value: T) -> JSONText { .number(String(value)) }
    package static func int<T: BinaryInteger>(_ value: T?) -> JSONText { value.map { .number(String($0)) } ?? .null }
    package static func string(_ value: String?) -> JSONText { value.map { .string($0) } ?? .null }

    /// Nanoseconds `ns - origin` as microseconds with three decimals (exact, no floating point).
    package static func micros(_ ns: UInt64, since origin: UInt64) -> JSONText {
        let negative = ns < origin
        let delta = negative ? origin - ns : ns - origin
        let whole = delta / 1_000
        let fraction = delta % 1_000
        var text = negative ? "-\(whole)" : "\(whole)"
        if fraction != 0 {
            var digits = String(fraction)
            while digits.count < 3 { digits = "0" + digits }
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return .number(text)
    }

    /// Compact JSON when `indent` is nil; otherwise one member per line (objects and arrays of
    /// objects), indented by `indent` spaces per level.
    package func rendered(indent: Int? = nil) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        return out
    }

    private func write(to out: inout String, indent: Int?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): JSONText.escape(text, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            // Arrays of scalars stay on one line even when pretty.
            let multiline = indent != nil && items.contains { if case .object = $0 { true } else { false } }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += multiline ? "," : (indent == nil ? "," : ", ") }
                if multiline { newline(&out, indent, level + 1) }
                item.write(to: &out, indent: multiline ? indent : nil, level: level + 1)
            }
            if multiline { newline(&out, indent, level) }
            out += "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                if indent != nil { newline(&out, indent, level + 1) }
                JSONText.escape(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.write(to: &out, indent: indent, level: level + 1)
            }
            if indent != nil { newline(&out, indent, level) }
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ indent: Int?, _ level: Int) {
        let width = (indent ?? 0) * level
        // A trace has thousands of lines: no new String for each one's indentation.
        if width < JSONText.lineStarts.count {
            out += JSONText.lineStarts[width]
        } else {
            out += "\n" + String(repeating: " ", count: width)
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; the rest UTF-8.
    package static func escape(_ text: String, into out: inout String) {
        out += "\""
        // Most text needs no escaping: no quote, backslash, control character or U+2028/9
        // (whose UTF-8 starts with E2).
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }) {
            out += text
            out += "\""
            return
        }
        // Otherwise byte by byte (every Windows path has backslashes): a byte below 0x80 is never
        // part of a multi-byte character, so escaping byte-wise is exact.
        let source = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.count + 16)
        var i = 0
        while i < source.count {
            let byte = source[i]
            i += 1
            let short: UInt8? =
                switch byte {
                case 0x22, 0x5C: byte  // \" \\
                case 0x0A: 0x6E  // \n
                case 0x0D: 0x72  // \r
                case 0x09: 0x74  // \t
                default: nil
                }
            if let short {
                bytes.append(0x5C)
                bytes.append(short)
            } else if byte < 0x20 {
                appendUnicodeEscape(UInt32(byte), to: &bytes)
            } else if byte == 0xE2, i + 1 < source.count, source[i] == 0x80, source[i + 1] == 0xA8 || source[i + 1] == 0xA9 {
                // U+2028, U+2029: line breaks to JavaScript.
                appendUnicodeEscape(source[i + 1] == 0xA8 ? 0x2028 : 0x2029, to: &bytes)
                i += 2
            } else {
                bytes.append(byte)
            }
        }
        out += String(decoding: bytes, as: UTF8.self)
        out += "\""
    }

    /// A line break followed by 0, 1, 2... spaces.
    private static let lineStarts: [String] = (0..<64).map { "\n" + String(repeating: " ", count: $0) }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `\uXXXX` (lowercase hex) for `value` below 0x10000.
    private static func appendUnicodeEscape(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(0x5C)
        bytes.append(0x75)
        for shift in [12, 8, 4, 0] as [UInt32] { bytes.append(hexDigits[Int((value >> shift) & 0xF)]) }
    }
}
