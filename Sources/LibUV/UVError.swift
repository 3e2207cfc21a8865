import CLibUV

/// A failed libuv call: the operation, libuv's error name (`ECONNRESET`) and message.
public struct UVError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var name: String { String(cString: uv_err_name(code)) }
    public var message: String { String(cString: uv_strerror(code)) }
    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }
    public var description: String { "\(operation): \(name) (\(message))" }
    /// The peer closed the stream.
    public var isEndOfFile: Bool { code == Int32(UV_EOF.rawValue) }
    /// A write found the reader gone (EPIPE, ECONNRESET): the peer process has ended.
    public var isPeerGone: Bool { code == Int32(UV_EPIPE.rawValue) || code == Int32(UV_ECONNRESET.rawValue) }
}

/// Every libuv return code goes through here: negative is an error naming `operation`.
@inline(__always)
@discardableResult
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(UVError) -> Int32 {
    if rc < 0 { throw UVError(operation(), code: rc) }
    return rc
}
