import WindowsModel
import Wire

/// Generates frame streams: valid messages of every kind, encoded field by field as
/// `Sources/Wire/Codec.swift` does, then changed at the wire level (counts, tags, flags, string
/// bytes, length prefixes, truncation, garbage) and cut into reads at random boundaries.
public enum WireFuzz {
    /// One field of an encoded payload, so a mutation can aim at a count or a string.
    enum Field {
        case tag(UInt8)
        case kind(UInt8)  // the kind byte of a nested value: an operation result, a script step
        case flag(UInt8)
        case u32(UInt32)
        case u64(UInt64)
        case count(UInt32)  // a string's byte count or a list's element count
        case bytes([UInt8])  // a string's bytes

        var encoded: [UInt8] {
            switch self {
            case .tag(let v), .kind(let v), .flag(let v): return [v]
            case .u32(let v), .count(let v): return (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) }
            case .u64(let v): return (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
            case .bytes(let b): return b
            }
        }
    }

    /// A stream of frames and the reads it arrives in.
    public struct Stream {
        /// The messages encoded into the stream before any mutation (empty entries for frames
        /// made of garbage).
        public var messages: [Message]
        /// The bytes as they arrive, one element per read.
        public var reads: [[UInt8]]
        /// What was changed.
        public var mutations: [String]
        /// The whole stream.
        public var bytes: [UInt8]
    }

    static let texts = [
        "", "script", "installer", "ready", "C:\\Windows\\System32\\mscoree.dll", "ERROR_SHARING_VIOLATION (32)",
        "é", "😀", "中文", "\u{0}", "\u{10FFFF}", "a\nb", "reboot required ✓", "replace", "any",
    ]

    static func text(_ g: inout SplitMix64) -> String {
        if g.oneIn(200) { return String(repeating: g.pick(["x", "é", "😀"]), count: 20_000 + g.below(60_000)) }
        if g.oneIn(4) { return String((0..<g.below(20)).map { _ in Character(Unicode.Scalar(UInt8(32 + g.below(95)))) }) }
        return g.pick(texts)
    }

    static func arguments(_ g: inout SplitMix64) -> [Argument] {
        (0..<g.below(g.oneIn(20) ? 200 : 4)).map { _ in Argument(text(&g), text(&g)) }
    }

    static func u64(_ g: inout SplitMix64) -> UInt64 { g.oneIn(3) ? g.pick([0, 1, UInt64.max, 1 << 63]) : g.next() }
    static func i32(_ g: inout SplitMix64) -> Int32 {
        Int32(truncatingIfNeeded: g.oneIn(3) ? g.pick([0, -1, 3010, Int64(Int32.min), Int64(Int32.max)]) : Int64(bitPattern: g.next()))
    }

    static func optional<Value>(_ g: inout SplitMix64, _ value: (inout SplitMix64) -> Value) -> Value? {
        g.oneIn(2) ? value(&g) : nil
    }

    /// Any operation result: ok with or without a note, a failure with or without a code and a
    /// name, an unknown outcome.
    static func result(_ g: inout SplitMix64) -> OperationResult {
        switch g.below(3) {
        case 0: return .ok(note: optional(&g, text))
        case 1: return .failed(code: optional(&g, i32), name: optional(&g, text), detail: text(&g))
        default: return .unknown(reason: text(&g))
        }
    }

    /// Any script step.
    static func step(_ g: inout SplitMix64) -> ScriptStep {
        switch g.below(4) {
        case 0: return .sleep(ns: u64(&g))
        case 1: return .emit(event: text(&g))
        case 2: return .wait(actor: text(&g), event: text(&g))
        default: return .exit(code: i32(&g))
        }
    }

    /// A valid message of any kind.
    public static func message(_ g: inout SplitMix64) -> Message {
        switch g.below(17) {
        case 0: return .hello(Hello(role: text(&g), pid: i32(&g), mainNs: u64(&g)))
        case 1:
            let steps = (0..<g.below(g.oneIn(20) ? 100 : 5)).map { _ in step(&g) }
            let point = g.oneIn(2) ? FaultPoint(op: text(&g), nth: UInt32(truncatingIfNeeded: u64(&g))) : nil
            return .task(WorkerTask(actor: text(&g), parameters: arguments(&g), steps: steps, faultPoint: point, controlled: g.oneIn(2)))
        case 2: return .event(Event(startNs: u64(&g), endNs: u64(&g), op: text(&g), args: arguments(&g), result: result(&g)))
        case 3: return .await(actor: text(&g), event: text(&g))
        case 4: return .release(actor: text(&g), event: text(&g), ns: u64(&g))
        case 5: return .unreachable(actor: text(&g), event: text(&g), reason: text(&g))
        case 6: return .stop
        case 7: return .exit(ExitReport(code: i32(&g), ns: u64(&g), detail: text(&g)))
        case 8: return .ping(u64(&g))
        case 9: return .pong(u64(&g))
        case 10: return .startChild(ChildRequest(label: text(&g), role: text(&g), parameters: arguments(&g)))
        case 11: return .childExited(label: text(&g), pid: i32(&g), code: i32(&g), detail: text(&g))
        case 12: return .faultPoint(FaultPoint(op: text(&g), nth: UInt32(truncatingIfNeeded: u64(&g))))
        case 13: return .announce(op: text(&g))
        case 14: return .delay(ns: u64(&g))
        case 15: return .grant
        default: return .proceed
        }
    }

    /// The fields of `message`'s payload, in the codec's order.
    static func fields(_ message: Message) -> [Field] {
        var out: [Field] = []
        func string(_ s: String) {
            let utf8 = Array(s.utf8)
            out.append(.count(UInt32(utf8.count)))
            out.append(.bytes(utf8))
        }
        func arguments(_ args: [Argument]) {
            out.append(.count(UInt32(args.count)))
            for a in args {
                string(a.name)
                string(a.value)
            }
        }
        func i32(_ v: Int32) { out.append(.u32(UInt32(bitPattern: v))) }
        func optional<Value>(_ value: Value?, _ write: (Value) -> Void) {
            guard let value else { return out.append(.flag(0)) }
            out.append(.flag(1))
            write(value)
        }
        func result(_ r: OperationResult) {
            switch r {
            case .ok(let note):
                out.append(.kind(0))
                optional(note, string)
            case .failed(let code, let name, let detail):
                out.append(.kind(1))
                optional(code, i32)
                optional(name, string)
                string(detail)
            case .unknown(let reason):
                out.append(.kind(2))
                string(reason)
            }
        }
        func step(_ s: ScriptStep) {
            switch s {
            case .sleep(let ns):
                out.append(.kind(0))
                out.append(.u64(ns))
            case .emit(let event):
                out.append(.kind(1))
                string(event)
            case .wait(let actor, let event):
                out.append(.kind(2))
                string(actor)
                string(event)
            case .exit(let code):
                out.append(.kind(3))
                i32(code)
            }
        }
        switch message {
        case .hello(let h):
            out.append(.tag(1))
            string(h.role)
            out.append(.u32(UInt32(bitPattern: h.pid)))
            out.append(.u64(h.mainNs))
        case .task(let t):
            out.append(.tag(2))
            string(t.actor)
            arguments(t.parameters)
            out.append(.count(UInt32(t.steps.count)))
            for s in t.steps { step(s) }
            if let p = t.faultPoint {
                out.append(.flag(1))
                string(p.op)
                out.append(.u32(p.nth))
            } else {
                out.append(.flag(0))
            }
            out.append(.flag(t.controlled ? 1 : 0))
        case .event(let e):
            out.append(.tag(3))
            out.append(.u64(e.startNs))
            out.append(.u64(e.endNs))
            string(e.op)
            arguments(e.args)
            result(e.result)
        case .await(let a, let e):
            out.append(.tag(4))
            string(a)
            string(e)
        case .release(let a, let e, let ns):
            out.append(.tag(5))
            string(a)
            string(e)
            out.append(.u64(ns))
        case .unreachable(let a, let e, let r):
            out.append(.tag(6))
            string(a)
            string(e)
            string(r)
        case .stop: out.append(.tag(7))
        case .exit(let x):
            out.append(.tag(8))
            out.append(.u32(UInt32(bitPattern: x.code)))
            out.append(.u64(x.ns))
            string(x.detail)
        case .ping(let n):
            out.append(.tag(9))
            out.append(.u64(n))
        case .pong(let n):
            out.append(.tag(10))
            out.append(.u64(n))
        case .startChild(let c):
            out.append(.tag(11))
            string(c.label)
            string(c.role)
            arguments(c.parameters)
        case .childExited(let l, let pid, let code, let d):
            out.append(.tag(12))
            string(l)
            out.append(.u32(UInt32(bitPattern: pid)))
            out.append(.u32(UInt32(bitPattern: code)))
            string(d)
        case .faultPoint(let p):
            out.append(.tag(13))
            string(p.op)
            out.append(.u32(p.nth))
        case .proceed: out.append(.tag(14))
        case .announce(let op):
            out.append(.tag(15))
            string(op)
        case .delay(let ns):
            out.append(.tag(16))
            out.append(.u64(ns))
        case .grant: out.append(.tag(17))
        }
        return out
    }

    /// One field-level change; returns its name.
    static func mutate(_ fields: inout [Field], using g: inout SplitMix64) -> String {
        let counts = fields.indices.filter { if case .count = fields[$0] { return true } else { return false } }
        let strings = fields.indices.filter { if case .bytes = fields[$0] { return true } else { return false } }
        let kinds = fields.indices.filter { if case .kind = fields[$0] { return true } else { return false } }
        let flags = fields.indices.filter { if case .flag = fields[$0] { return true } else { return false } }
        switch g.below(10) {
        case 0 where !counts.isEmpty:  // a count: huge, off by one, past the end
            let i = g.pick(counts)
            guard case .count(let n) = fields[i] else { return "count" }
            fields[i] = .count(
                g.pick([UInt32.max, UInt32.max - 1, 1 << 31, 1 << 20, n &+ 1, n &- 1, n &+ 4, 0, UInt32(truncatingIfNeeded: g.next())]))
            return "count"
        case 1 where !strings.isEmpty:  // a string's bytes not UTF-8 (its count kept right)
            let i = g.pick(strings)
            guard case .bytes(var b) = fields[i], i > 0 else { return "utf8" }
            let bad: [[UInt8]] = [
                [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0x80], [0x80],
                [0xF8, 0x88, 0x80, 0x80, 0x80],
            ]
            b.insert(contentsOf: g.pick(bad), at: g.below(b.count + 1))
            fields[i] = .bytes(b)
            fields[i - 1] = .count(UInt32(b.count))
            return "not UTF-8"
        case 2:  // the tag: unknown or another kind's
            if let i = fields.firstIndex(where: { if case .tag = $0 { return true } else { return false } }) {
                fields[i] = .tag(g.oneIn(2) ? UInt8(truncatingIfNeeded: g.next()) : g.pick([0, 18, 19, 255, UInt8(1 + g.below(17))]))
            }
            return "tag"
        case 3:  // a flag (the fault point's, an optional field's): neither 0 nor 1
            if !flags.isEmpty { fields[g.pick(flags)] = .flag(UInt8(2 + g.below(254))) }
            return "flag"
        case 8 where !kinds.isEmpty:  // a result's or a step's kind: unknown or another kind's
            fields[g.pick(kinds)] = .kind(g.oneIn(2) ? UInt8(truncatingIfNeeded: g.next()) : UInt8(g.below(5)))
            return "kind"
        case 4 where !fields.isEmpty:  // a field dropped
            fields.remove(at: g.below(fields.count))
            return "drop field"
        case 5 where !fields.isEmpty:  // a field twice
            let i = g.below(fields.count)
            fields.insert(fields[i], at: i)
            return "duplicate field"
        case 6:  // trailing bytes
            fields.append(.bytes((0..<(1 + g.below(8))).map { _ in UInt8(truncatingIfNeeded: g.next()) }))
            return "trailing bytes"
        case 7:  // an empty payload
            fields = []
            return "empty payload"
        default:  // random bytes in a string, count kept
            if !strings.isEmpty {
                let i = g.pick(strings)
                if case .bytes(var b) = fields[i], !b.isEmpty {
                    b[g.below(b.count)] = UInt8(truncatingIfNeeded: g.next())
                    fields[i] = .bytes(b)
                }
            }
            return "byte in string"
        }
    }

    /// A stream of one to several frames, some changed, cut into reads.
    public static func stream(using g: inout SplitMix64) -> Stream {
        var bytes: [UInt8] = []
        var messages: [Message] = []
        var mutations: [String] = []
        let frameCount = 1 + g.below(g.oneIn(10) ? 40 : 6)
        for _ in 0..<frameCount {
            let message = message(&g)
            messages.append(message)
            var fields = fields(message)
            if g.oneIn(3) {
                for _ in 0..<(1 + g.below(3)) { mutations.append(mutate(&fields, using: &g)) }
            }
            var payload: [UInt8] = []
            for field in fields { payload.append(contentsOf: field.encoded) }
            var length = UInt32(payload.count)
            if g.oneIn(12) {  // the length prefix lies
                length = g.pick([
                    UInt32.max, UInt32(Frame.maxPayload), UInt32(Frame.maxPayload + 1), length &+ 1, length &- 1, 0, 1 << 31,
                    UInt32(truncatingIfNeeded: g.next()),
                ])
                mutations.append("length \(length)")
            }
            bytes += [
                UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8),
                UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 24),
            ]
            bytes.append(contentsOf: payload)
            if g.oneIn(25) {  // garbage between frames
                bytes += (0..<(1 + g.below(9))).map { _ in UInt8(truncatingIfNeeded: g.next()) }
                mutations.append("garbage")
            }
        }
        if g.oneIn(8) {
            bytes = Array(bytes.prefix(g.below(bytes.count + 1)))
            mutations.append("truncated")
        }
        if g.oneIn(20), !bytes.isEmpty {
            for _ in 0..<(1 + g.below(4)) { bytes[g.below(bytes.count)] ^= UInt8(1 << g.below(8)) }
            mutations.append("bit flips")
        }
        // Reads: one byte at a time, the whole stream at once, or random cuts (some empty).
        var reads: [[UInt8]] = []
        switch g.below(6) {
        case 0 where bytes.count <= 4096: reads = bytes.map { [$0] }
        case 1: reads = [bytes]
        default:
            var i = 0
            while i < bytes.count {
                let n = g.oneIn(10) ? 0 : 1 + g.below(g.oneIn(2) ? 8 : 4096)
                reads.append(Array(bytes[i..<min(bytes.count, i + n)]))
                i += n
            }
        }
        return Stream(messages: messages, reads: reads, mutations: mutations, bytes: bytes)
    }

    /// The field encoding of `message` is the codec's (a check of the generator itself).
    public static func fieldsMatchCodec(_ message: Message) -> Bool {
        Array(fields(message).map(\.encoded).joined()) == message.encoded()
    }
}
