import CLibUV
import Wire

/// One end of a duplex pipe carrying length-prefixed frames (`Wire.Frame`).
///
/// The coordinator creates one unopened per worker and hands it to `ChildProcess.spawn`, which
/// makes it a socket pair with the child; the worker opens its end by descriptor. Writes copy
/// their bytes; each write's memory is freed in its completion callback.
public final class FramedPipe: Handle {
    /// What reading delivers: a whole frame, the peer's end of stream (EOF, or ECONNRESET when it
    /// died with frames unread), or an error (a read error, an oversized or truncated frame). After end or error, no more reads are delivered.
    public enum ReadEvent {
        case frame([UInt8])
        case end
        case error(String)
    }

    private var onRead: ((ReadEvent) -> Void)?
    private var decoder = FrameDecoder()
    private static let readBufferSize = 64 * 1024
    private var readBuffer: UnsafeMutableRawPointer?
    private var reading = false

    /// A pipe not yet connected: pass it to `ChildProcess.spawn` as the child's control pipe.
    public init(loop: EventLoop) throws(UVError) {
        super.init(allocating: uv_pipe_t.self)
        do { try check(uv_pipe_init(loop.raw, pipe, 0), "uv_pipe_init") } catch {
            discardUnopened()
            throw error
        }
        opened()
    }

    /// Wraps an inherited descriptor (the worker's end of its control pipe).
    public convenience init(loop: EventLoop, fd: Int32) throws(UVError) {
        try self.init(loop: loop)
        do { try check(uv_pipe_open(pipe, fd), "uv_pipe_open(\(fd))") } catch {
            close()
            throw error
        }
    }

    var pipe: UnsafeMutablePointer<uv_pipe_t> {
        UnsafeMutableRawPointer(rawHandle).assumingMemoryBound(to: uv_pipe_t.self)
    }
    var stream: UnsafeMutablePointer<uv_stream_t> { patchrig_as_stream(rawHandle) }

    /// Starts delivering frames (and the end of stream, and errors) to `onRead`.
    public func startReading(_ onRead: @escaping (ReadEvent) -> Void) throws(UVError) {
        self.onRead = onRead
        if readBuffer == nil { readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16) }
        reading = true
        try check(
            uv_read_start(
                stream,
                { handle, _, buf in
                    guard let buf, let pipe = Handle.from(UnsafeMutableRawPointer(handle), as: FramedPipe.self),
                        let memory = pipe.readBuffer
                    else { return }
                    buf.pointee = uv_buf_init(memory.assumingMemoryBound(to: CChar.self), UInt32(FramedPipe.readBufferSize))
                },
                { stream, nread, buf in
                    guard let pipe = Handle.from(UnsafeMutableRawPointer(stream), as: FramedPipe.self) else { return }
                    pipe.didRead(nread, buf)
                    pipe.delivered()
                }), "uv_read_start")
    }

    /// Stops delivering reads; frames already buffered stay buffered.
    public func stopReading() {
        guard isOpen, reading else { return }
        reading = false
        uv_read_stop(stream)
    }

    private func didRead(_ nread: Int, _ buf: UnsafePointer<uv_buf_t>?) {
        if nread < 0 {
            let error = UVError("read", code: Int32(nread))
            stopReading()
            // ECONNRESET: the peer died with our frames unread in its socket; its end, as EOF is.
            let ended = error.isEndOfFile || error.isPeerGone
            if ended && decoder.pendingByteCount > 0 {
                // The peer ended in the middle of a frame: what it sent last never arrived whole.
                onRead?(.error("truncated frame: the pipe ended after \(decoder.pendingByteCount) bytes of an unfinished frame"))
            } else {
                onRead?(ended ? .end : .error(error.description))
            }
            return
        }
        guard nread > 0, let base = buf?.pointee.base else { return }
        decoder.append(UnsafeRawBufferPointer(start: base, count: nread))
        while reading, let onRead {
            do {
                guard let payload = try decoder.next() else { break }
                onRead(.frame(payload))
            } catch {
                stopReading()
                onRead(.error(error.description))
                return
            }
        }
    }

    /// Sends one frame. Fails if the payload is over `Frame.maxPayload` or the pipe is closed.
    public func send(_ payload: [UInt8]) throws(PipeError) {
        let frame: [UInt8]
        do { frame = try Frame.encode(payload) } catch { throw .wire(error) }
        try write(frame)
    }

    /// Sends a message as one frame.
    public func send(_ message: Message) throws(PipeError) {
        let frame: [UInt8]
        do { frame = try message.frame() } catch { throw .wire(error) }
        try write(frame)
    }

    private func write(_ bytes: [UInt8]) throws(PipeError) {
        guard isOpen else { throw .closed }
        var written = 0
        if uv_stream_get_write_queue_size(stream) == 0 {
            // The common case: the kernel takes the whole frame at once. uv_try_write needs no
            // request and leaves no completion to run, which saves a loop iteration per frame.
            let rc = bytes.withUnsafeBytes { raw in
                var buf = uv_buf_init(
                    UnsafeMutableRawPointer(mutating: raw.baseAddress!).assumingMemoryBound(to: CChar.self),
                    UInt32(raw.count))
                return uv_try_write(stream, &buf, 1)
            }
            if rc == Int32(bytes.count) { return }
            if rc > 0 {
                written = Int(rc)
            } else if rc != Int32(UV_EAGAIN.rawValue) {
                throw .uv(UVError("uv_try_write", code: rc))
            }
        }
        // The rest is queued. One allocation holds the request and the bytes; the write
        // callback frees it.
        let count = bytes.count - written
        let requestSize = MemoryLayout<uv_write_t>.stride
        let memory = UnsafeMutableRawPointer.allocate(byteCount: requestSize + count, alignment: 16)
        let request = memory.bindMemory(to: uv_write_t.self, capacity: 1)
        let data = memory + requestSize
        bytes.withUnsafeBytes { data.copyMemory(from: $0.baseAddress! + written, byteCount: count) }
        var buf = uv_buf_init(data.assumingMemoryBound(to: CChar.self), UInt32(count))
        let rc = uv_write(request, stream, &buf, 1) { request, _ in
            UnsafeMutableRawPointer(request)?.deallocate()
        }
        if rc < 0 {
            memory.deallocate()
            throw .uv(UVError("uv_write", code: rc))
        }
    }

    /// Bytes handed to `send` that the kernel has not taken yet.
    public var pendingWriteBytes: Int { isOpen ? uv_stream_get_write_queue_size(stream) : 0 }

    override func willClose() {
        onRead = nil
        reading = false
    }

    override func didClose() {
        readBuffer?.deallocate()
        readBuffer = nil
    }
}

/// Why a frame could not be sent.
public enum PipeError: Error, Sendable, CustomStringConvertible {
    case closed
    case wire(WireError)
    case uv(UVError)
    public var description: String {
        switch self {
        case .closed: return "the pipe is closed"
        case .wire(let e): return e.description
        case .uv(let e): return e.description
        }
    }
}
