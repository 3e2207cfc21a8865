import CLibUV

/// A libuv event loop. Not thread-safe: a loop and its handles are used from one thread.
///
/// `close()` closes every handle still open (through `uv_close`), runs the loop until their close
/// callbacks have freed them, then closes the loop itself, so nothing leaks.
public final class EventLoop {
    let raw: UnsafeMutablePointer<uv_loop_t>
    private var closed = false
    /// Inside `runOnce`: a delivered callback makes the loop return instead of polling again.
    private var runningOnce = false

    public init() throws(UVError) {
        raw = .allocate(capacity: 1)
        do {
            try check(uv_loop_init(raw), "uv_loop_init")
        } catch {
            raw.deallocate()
            throw error
        }
        // Unretained: the loop's handles reach their EventLoop through it (see `delivered`).
        uv_loop_set_data(raw, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { close() }

    /// Runs until there is nothing left to do or `stop()` is called.
    public func run() { uv_run(raw, UV_RUN_DEFAULT) }

    /// Waits for and handles at least one event — a timer, a frame, a process exit, a signal —
    /// and returns once one has been delivered, so `while !condition { runOnce() }` sees every
    /// change its callbacks make. Returns false when nothing is left to wait for.
    ///
    /// `uv_run(UV_RUN_ONCE)` alone does not promise that: libuv 1.44 runs due timers at the top
    /// of the iteration and then polls with the timeout of the *next* timer, which is infinite
    /// when the one that fired was the last. A timer that came due while the loop was not
    /// running (a role doing work between two waits) thus fired and then the loop slept in
    /// `epoll_wait` forever, holding its caller's condition unseen. Each delivered callback
    /// calls `uv_stop`, which makes libuv poll without blocking and end the iteration.
    @discardableResult
    public func runOnce() -> Bool {
        runningOnce = true
        defer { runningOnce = false }
        return uv_run(raw, UV_RUN_ONCE) != 0
    }

    /// A handle's callback ran (see `runOnce`).
    func delivered() {
        if runningOnce { uv_stop(raw) }
    }

    /// Makes `run()` return after the current iteration.
    public func stop() { uv_stop(raw) }

    /// Closes every open handle, lets their close callbacks run, and closes the loop.
    public func close() {
        guard !closed else { return }
        closed = true
        uv_walk(
            raw,
            { handle, _ in
                guard let handle, uv_is_closing(handle) == 0 else { return }
                if let data = uv_handle_get_data(handle) {
                    Unmanaged<Handle>.fromOpaque(data).takeUnretainedValue().close()
                } else {
                    uv_close(handle, nil)
                }
            }, nil)
        while uv_run(raw, UV_RUN_DEFAULT) != 0 {}
        let rc = uv_loop_close(raw)
        precondition(rc == 0, "uv_loop_close: a handle is still open after closing all (\(rc))")
        raw.deallocate()
    }
}

/// What every libuv handle wrapper shares: heap memory for the C handle, which is freed only in
/// the `uv_close` callback; while open, the loop holds a strong reference to the wrapper.
public class Handle {
    let rawHandle: UnsafeMutablePointer<uv_handle_t>
    private let free: (UnsafeMutablePointer<uv_handle_t>) -> Void
    private var state: State = .unopened
    private enum State { case unopened, open, closing }

    /// Allocates the C handle of type `T`; the subclass initialises it with `uv_*_init`, then
    /// calls `opened()`.
    init<T>(allocating type: T.Type) {
        let memory = UnsafeMutablePointer<T>.allocate(capacity: 1)
        rawHandle = UnsafeMutableRawPointer(memory).bindMemory(to: uv_handle_t.self, capacity: 1)
        free = { handle in UnsafeMutableRawPointer(handle).assumingMemoryBound(to: T.self).deallocate() }
    }

    /// Call once the `uv_*_init` call succeeded: the loop now owns a reference to `self`.
    func opened() {
        state = .open
        uv_handle_set_data(rawHandle, Unmanaged.passRetained(self).toOpaque())
    }

    /// Frees the C memory of a handle whose init failed (never opened).
    func discardUnopened() {
        precondition(state == .unopened)
        free(rawHandle)
        state = .closing
    }

    /// Whether the handle is open and not closing.
    public var isOpen: Bool { state == .open }

    /// Stops the handle; its memory is freed in the close callback. Safe to call twice.
    public func close() {
        guard state == .open else { return }
        state = .closing
        willClose()
        uv_close(rawHandle) { handle in
            guard let handle, let data = uv_handle_get_data(handle) else { return }
            let wrapper = Unmanaged<Handle>.fromOpaque(data)
            let object = wrapper.takeUnretainedValue()
            object.didClose()
            object.free(handle)
            wrapper.release()
        }
    }

    /// Tells the handle's loop that one of its callbacks ran: `EventLoop.runOnce` then returns
    /// without blocking again. Every trampoline calling user code calls it afterwards.
    func delivered() {
        guard let data = uv_loop_get_data(uv_handle_get_loop(rawHandle)) else { return }
        Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().delivered()
    }

    /// Subclasses drop callbacks or buffers here (before `uv_close`).
    func willClose() {}
    /// Subclasses release what the close callback must release.
    func didClose() {}

    /// The wrapper stored in a C handle's data.
    static func from<H: Handle>(_ handle: UnsafeMutableRawPointer?, as type: H.Type) -> H? {
        guard let handle, let data = uv_handle_get_data(handle.assumingMemoryBound(to: uv_handle_t.self)) else {
            return nil
        }
        return Unmanaged<Handle>.fromOpaque(data).takeUnretainedValue() as? H
    }
}
