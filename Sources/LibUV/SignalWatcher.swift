import CLibUV

/// Calls back on the loop when the process receives a signal (SIGINT, SIGTERM, ...).
public final class SignalWatcher: Handle {
    private var callback: ((Int32) -> Void)?

    public init(loop: EventLoop, signal: Int32, _ callback: @escaping (Int32) -> Void) throws(UVError) {
        super.init(allocating: uv_signal_t.self)
        let handle = UnsafeMutableRawPointer(rawHandle).assumingMemoryBound(to: uv_signal_t.self)
        do { try check(uv_signal_init(loop.raw, handle), "uv_signal_init") } catch {
            discardUnopened()
            throw error
        }
        opened()
        self.callback = callback
        do {
            try check(
                uv_signal_start(handle, { handle, signum in
                    Handle.from(UnsafeMutableRawPointer(handle), as: SignalWatcher.self)?.callback?(signum)
                }, signal), "uv_signal_start(\(signal))")
        } catch {
            close()
            throw error
        }
    }

    /// Lets the loop end while this watcher is still open (it no longer keeps `run()` alive).
    public func unref() { uv_unref(rawHandle) }

    override func willClose() { callback = nil }
}
