/// Frames on a worker's pipe: a 4-byte little-endian payload length, then the payload.
///
/// A frame larger than `Frame.maxPayload` is refused by both the encoder and the decoder: a peer
/// that announces one is broken or hostile, and the connection is dropped.
public enum Frame {
    /// The largest payload accepted, 1 MiB: far above any message the protocol sends.
    public static let maxPayload = 1 << 20
    /// Bytes in the length prefix.
    public static let headerSize = 4

    /// The frame carrying `payload`.
    public static func encode(_ payload: [UInt8]) throws(WireError) -> [UInt8] {
        guard payload.count <= maxPayload else {
            throw .oversizedFrame(length: payload.count, limit: maxPayload)
        }
        var out = [UInt8]()
        out.reserveCapacity(headerSize + payload.count)
        let n = UInt32(payload.count)
        out.append(UInt8(truncatingIfNeeded: n))
        out.append(UInt8(truncatingIfNeeded: n >> 8))
        out.append(UInt8(truncatingIfNeeded: n >> 16))
        out.append(UInt8(truncatingIfNeeded: n >> 24))
        out.append(contentsOf: payload)
        return out
    }
}

/// Reassembles frames from reads of any size: a read may hold part of a frame or several.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Adds bytes as they were read from the pipe.
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame's payload, or nil when more bytes are needed.
    /// Throws `oversizedFrame` as soon as a header announces more than `Frame.maxPayload`.
    public mutating func next() throws(WireError) -> [UInt8]? {
        let available = buffer.count - start
        guard available >= Frame.headerSize else { return nil }
        let n =
            Int(buffer[start]) | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2]) << 16
            | Int(buffer[start + 3]) << 24
        guard n <= Frame.maxPayload else { throw .oversizedFrame(length: n, limit: Frame.maxPayload) }
        guard available >= Frame.headerSize + n else { return nil }
        let bodyStart = start + Frame.headerSize
        let payload = Array(buffer[bodyStart..<bodyStart + n])
        start = bodyStart + n
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        return payload
    }

    /// Bytes received but not yet part of a whole frame.
    public var pendingByteCount: Int { buffer.count - start }
}

/// What is wrong with bytes on the wire.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A frame announced or carried more than the limit.
    case oversizedFrame(length: Int, limit: Int)
    /// A payload that does not decode as a message: what was wrong, at which byte.
    case malformed(String, offset: Int)

    public var description: String {
        switch self {
        case .oversizedFrame(let length, let limit):
            return "oversized frame: \(length) bytes announced, the limit is \(limit)"
        case .malformed(let what, let offset):
            return "malformed frame: \(what) at byte \(offset)"
        }
    }
}
