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
    public func start(
        afterNanoseconds nanoseconds: UInt64, repeatNanoseconds: UInt64 = 0, _ callback: @escaping () -> Void
    )
        throws(UVError)
    {
        self.callback = callback
        // libuv counts a timer in whole milliseconds from the loop's cached time, which is stale
        // after work done since the loop last ran, and truncated even when fresh. Refresh it, and
        // count from that truncated time to `nanoseconds` after the real now, so the timer lasts
        // at least `nanoseconds` (a 300 ms pause is never 299.7 ms).
        let loop = uv_handle_get_loop(rawHandle)
        uv_update_time(loop)
        let nowNs = uv_hrtime()
        let loopNs = uv_now(loop) &* 1_000_000
        let behindNs = nowNs > loopNs ? nowNs - loopNs : 0
        let ms = (nanoseconds + behindNs + 999_999) / 1_000_000
        let repeatMs = (repeatNanoseconds + 999_999) / 1_000_000
        try check(
            uv_timer_start(
                timer,
                { timer in
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
