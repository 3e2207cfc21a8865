import CLibUV

/// A libuv timer (millisecond resolution, as libuv's).
public final class Timer: Handle {
    private var callback: (() -> Void)?

    public init(loop: EventLoop) throws(UVError) {
        super.init(allocating: uv_timer_t.self)
        let timer = UnsafeMutableRawPointer(rawHandle).assumingMemoryBound(to: uv_timer_t.self)
        do { try check(uv_timer_init(loop.raw, timer), "uv_timer_init") } catch {
            discardUnopened()
            throw error
        }
        opened()
    }

    private var timer: UnsafeMutablePointer<uv_timer_t> {
        UnsafeMutableRawPointer(rawHandle).assumingMemoryBound(to: uv_timer_t.self)
    }

    /// Calls `callback` after `nanoseconds` (rounded up to whole milliseconds), then every
    /// `repeatNanoseconds` if that is not zero.
    public func start(afterNanoseconds nanoseconds: UInt64, repeatNanoseconds: UInt64 = 0, _ callback: @escaping () -> Void)
        throws(UVError)
    {
        self.callback = callback
        // libuv counts a timer from the loop's cached time, which is stale after work done since
        // the loop last ran: refresh it so the timer lasts at least `nanoseconds` from now.
        uv_update_time(uv_handle_get_loop(rawHandle))
        let ms = (nanoseconds + 999_999) / 1_000_000
        let repeatMs = (repeatNanoseconds + 999_999) / 1_000_000
        try check(
            uv_timer_start(timer, { timer in
                guard let wrapper = Handle.from(UnsafeMutableRawPointer(timer), as: Timer.self) else { return }
                wrapper.callback?()
                wrapper.delivered()
            }, ms, repeatMs), "uv_timer_start")
    }

    public func stop() {
        guard isOpen else { return }
        uv_timer_stop(timer)
    }

    override func willClose() { callback = nil }
}
