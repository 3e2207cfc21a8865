extension Message {
    private enum Tag: UInt8 {
        case hello = 1
        case task, event, await, release, unreachable, stop, exit, ping, pong, startChild, childExited
        case faultPoint, proceed
        case announce, delay, grant
    }

    /// The message's payload bytes (frame them with `Frame.encode`).
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        write(to: &w)
        return w.bytes
    }

    /// The whole frame for this message, built in one buffer: the length prefix is written
    /// last, in front of the payload.
    public func frame() throws(WireError) -> [UInt8] {
        var w = ByteWriter()
        w.bytes.reserveCapacity(64)
        w.u32(0)
        write(to: &w)
        let length = w.bytes.count - Frame.headerSize
        guard length <= Frame.maxPayload else { throw .oversizedFrame(length: length, limit: Frame.maxPayload) }
        for i in 0..<Frame.headerSize { w.bytes[i] = UInt8(truncatingIfNeeded: length >> (8 * i)) }
        return w.bytes
    }

    private func write(to w: inout ByteWriter) {
        switch self {
        case .hello(let h):
            w.u8(Tag.hello.rawValue)
            w.string(h.role)
            w.i32(h.pid)
            w.u64(h.mainNs)
        case .task(let t):
            w.u8(Tag.task.rawValue)
            w.string(t.actor)
            w.arguments(t.parameters)
            w.u32(UInt32(t.steps.count))
            for step in t.steps { w.step(step) }
            if let point = t.faultPoint {
                w.u8(1)
                w.string(point.op)
                w.u32(point.nth)
            } else {
                w.u8(0)
            }
            w.u8(t.controlled ? 1 : 0)
        case .event(let e):
            w.u8(Tag.event.rawValue)
            w.u64(e.startNs)
            w.u64(e.endNs)
            w.string(e.op)
            w.arguments(e.args)
            w.result(e.result)
        case .await(let actor, let event):
            w.u8(Tag.await.rawValue)
            w.string(actor)
            w.string(event)
        case .release(let actor, let event, let ns):
            w.u8(Tag.release.rawValue)
            w.string(actor)
            w.string(event)
            w.u64(ns)
        case .unreachable(let actor, let event, let reason):
            w.u8(Tag.unreachable.rawValue)
            w.string(actor)
            w.string(event)
            w.string(reason)
        case .stop:
            w.u8(Tag.stop.rawValue)
        case .exit(let x):
            w.u8(Tag.exit.rawValue)
            w.i32(x.code)
            w.u64(x.ns)
            w.string(x.detail)
        case .ping(let n):
            w.u8(Tag.ping.rawValue)
            w.u64(n)
        case .pong(let n):
            w.u8(Tag.pong.rawValue)
            w.u64(n)
        case .startChild(let c):
            w.u8(Tag.startChild.rawValue)
            w.string(c.label)
            w.string(c.role)
            w.arguments(c.parameters)
        case .childExited(let label, let pid, let code, let detail):
            w.u8(Tag.childExited.rawValue)
            w.string(label)
            w.i32(pid)
            w.i32(code)
            w.string(detail)
        case .faultPoint(let point):
            w.u8(Tag.faultPoint.rawValue)
            w.string(point.op)
            w.u32(point.nth)
        case .proceed:
            w.u8(Tag.proceed.rawValue)
        case .announce(let op):
            w.u8(Tag.announce.rawValue)
            w.string(op)
        case .delay(let ns):
            w.u8(Tag.delay.rawValue)
            w.u64(ns)
        case .grant:
            w.u8(Tag.grant.rawValue)
        }
    }

    /// Decodes one payload; anything short, unknown, trailing or not UTF-8 is `malformed`.
    public init(decoding payload: [UInt8]) throws(WireError) {
        var r = ByteReader(payload)
        let tagByte = try r.u8()
        guard let tag = Tag(rawValue: tagByte) else { throw .malformed("unknown message tag \(tagByte)", offset: 0) }
        switch tag {
        case .hello:
            self = .hello(Hello(role: try r.string(), pid: try r.i32(), mainNs: try r.u64()))
        case .task:
            let actor = try r.string()
            let parameters = try r.arguments()
            let count = try r.count()
            var steps: [ScriptStep] = []
            for _ in 0..<count { steps.append(try r.step()) }
            var faultPoint: FaultPoint?
            switch try r.u8() {
            case 0: break
            case 1: faultPoint = FaultPoint(op: try r.string(), nth: try r.u32())
            case let flag: throw .malformed("a fault point flag of \(flag)", offset: r.offset - 1)
            }
            let controlled: Bool
            switch try r.u8() {
            case 0: controlled = false
            case 1: controlled = true
            case let flag: throw .malformed("a controlled flag of \(flag)", offset: r.offset - 1)
            }
            self = .task(WorkerTask(actor: actor, parameters: parameters, steps: steps, faultPoint: faultPoint, controlled: controlled))
        case .event:
            self = .event(
                Event(
                    startNs: try r.u64(), endNs: try r.u64(), op: try r.string(), args: try r.arguments(),
                    result: try r.result()))
        case .await:
            self = .await(actor: try r.string(), event: try r.string())
        case .release:
            self = .release(actor: try r.string(), event: try r.string(), ns: try r.u64())
        case .unreachable:
            self = .unreachable(actor: try r.string(), event: try r.string(), reason: try r.string())
        case .stop:
            self = .stop
        case .exit:
            self = .exit(ExitReport(code: try r.i32(), ns: try r.u64(), detail: try r.string()))
        case .ping:
            self = .ping(try r.u64())
        case .pong:
            self = .pong(try r.u64())
        case .startChild:
            self = .startChild(ChildRequest(label: try r.string(), role: try r.string(), parameters: try r.arguments()))
        case .childExited:
            self = .childExited(label: try r.string(), pid: try r.i32(), code: try r.i32(), detail: try r.string())
        case .faultPoint:
            self = .faultPoint(FaultPoint(op: try r.string(), nth: try r.u32()))
        case .proceed:
            self = .proceed
        case .announce:
            self = .announce(op: try r.string())
        case .delay:
            self = .delay(ns: try r.u64())
        case .grant:
            self = .grant
        }
        guard r.atEnd else { throw .malformed("\(r.remaining) trailing bytes", offset: r.offset) }
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
    mutating func arguments(_ args: [Argument]) {
        u32(UInt32(args.count))
        for a in args {
            string(a.name)
            string(a.value)
        }
    }
    /// A flag byte (0 absent, 1 present), then the value when present.
    mutating func optional<Value>(_ value: Value?, _ write: (inout ByteWriter, Value) -> Void) {
        guard let value else { return u8(0) }
        u8(1)
        write(&self, value)
    }
    mutating func result(_ result: OperationResult) {
        switch result {
        case .ok(let note):
            u8(ResultKind.ok.rawValue)
            optional(note) { $0.string($1) }
        case .failed(let code, let name, let detail):
            u8(ResultKind.failed.rawValue)
            optional(code) { $0.i32($1) }
            optional(name) { $0.string($1) }
            string(detail)
        case .unknown(let reason):
            u8(ResultKind.unknown.rawValue)
            string(reason)
        }
    }
    mutating func step(_ step: ScriptStep) {
        switch step {
        case .sleep(let ns):
            u8(StepKind.sleep.rawValue)
            u64(ns)
        case .emit(let event):
            u8(StepKind.emit.rawValue)
            string(event)
        case .wait(let actor, let event):
            u8(StepKind.wait.rawValue)
            string(actor)
            string(event)
        case .exit(let code):
            u8(StepKind.exit.rawValue)
            i32(code)
        }
    }
}

/// The kind byte of an `OperationResult` on the wire.
enum ResultKind: UInt8 {
    case ok = 0
    case failed, unknown
}
/// The kind byte of a `ScriptStep` on the wire.
enum StepKind: UInt8 {
    case sleep = 0
    case emit, wait, exit
}

struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var remaining: Int { bytes.count - offset }
    var atEnd: Bool { offset == bytes.count }

    mutating func take(_ n: Int, _ what: String) throws(WireError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else {
            throw .malformed("\(what) needs \(n) bytes, \(remaining) left", offset: offset)
        }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }
    mutating func u8() throws(WireError) -> UInt8 { try take(1, "a byte").first! }
    mutating func u32() throws(WireError) -> UInt32 {
        try take(4, "a 32-bit integer").reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func u64() throws(WireError) -> UInt64 {
        try take(8, "a 64-bit integer").reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func i32() throws(WireError) -> Int32 { Int32(bitPattern: try u32()) }
    /// A list or string length; never more than the bytes left could hold.
    mutating func count() throws(WireError) -> Int {
        let at = offset
        let n = Int(try u32())
        guard n <= remaining else { throw .malformed("a count of \(n) with \(remaining) bytes left", offset: at) }
        return n
    }
    mutating func string() throws(WireError) -> String {
        let at = offset
        let n = try count()
        let slice = try take(n, "a string")
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw .malformed("a string that is not UTF-8", offset: at)
        }
        return s
    }
    mutating func arguments() throws(WireError) -> [Argument] {
        let n = try count()
        var out: [Argument] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(Argument(try string(), try string())) }
        return out
    }
    /// A flag byte, then the value when it is 1; any other flag is malformed.
    mutating func optional<Value>(
        _ what: String, _ read: (inout ByteReader) throws(WireError) -> Value
    ) throws(WireError) -> Value? {
        switch try u8() {
        case 0: return nil
        case 1: return try read(&self)
        case let flag: throw .malformed("\(what) flag of \(flag)", offset: offset - 1)
        }
    }
    mutating func result() throws(WireError) -> OperationResult {
        let kindByte = try u8()
        switch ResultKind(rawValue: kindByte) {
        case .ok:
            return .ok(note: try optional("a note") { (r: inout ByteReader) throws(WireError) in try r.string() })
        case .failed:
            let code = try optional("a failure code") { (r: inout ByteReader) throws(WireError) in try r.i32() }
            let name = try optional("a failure name") { (r: inout ByteReader) throws(WireError) in try r.string() }
            return .failed(code: code, name: name, detail: try string())
        case .unknown:
            return .unknown(reason: try string())
        case nil:
            throw .malformed("unknown result kind \(kindByte)", offset: offset - 1)
        }
    }
    mutating func step() throws(WireError) -> ScriptStep {
        let kindByte = try u8()
        switch StepKind(rawValue: kindByte) {
        case .sleep: return .sleep(ns: try u64())
        case .emit: return .emit(event: try string())
        case .wait: return .wait(actor: try string(), event: try string())
        case .exit: return .exit(code: try i32())
        case nil: throw .malformed("unknown script step kind \(kindByte)", offset: offset - 1)
        }
    }
}
