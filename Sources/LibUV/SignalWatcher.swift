import CLibUV

#if canImport(Glibc)
    import Glibc
#endif

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
                uv_signal_start(
                    handle,
                    { handle, signum in
                        guard let watcher = Handle.from(UnsafeMutableRawPointer(handle), as: SignalWatcher.self) else { return }
                        watcher.callback?(signum)
                        watcher.delivered()
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

/// Makes a write to a pipe or socket whose reader is gone fail with EPIPE instead of killing
/// the process with SIGPIPE (whose default action is to terminate). The coordinator writes to
/// workers that may have just been killed: that is an event to handle, not a reason to die.
public func ignoreBrokenPipes() {
    signal(SIGPIPE, SIG_IGN)
}

/// Blocks `signals` in the calling thread's signal mask: they stay pending until unblocked
/// (`unblockSignals`), so a signal that arrives before its watcher exists is not lost, nor
/// handled by the default action (which would end the process).
public func blockSignals(_ signals: [Int32]) {
    var set = sigset_t()
    sigemptyset(&set)
    for signal in signals { sigaddset(&set, signal) }
    pthread_sigmask(SIG_BLOCK, &set, nil)
}

/// The first of `signals` that is pending (blocked and arrived), if any.
public func pendingSignal(among signals: [Int32]) -> Int32? {
    var set = sigset_t()
    sigemptyset(&set)
    guard sigpending(&set) == 0 else { return nil }
    return signals.first { sigismember(&set, $0) == 1 }
}

/// Unblocks `signals` in the calling thread's signal mask (which a process inherits from
/// whoever started it). libuv watches signals through the mask, so a blocked signal silently
/// never arrives.
public func unblockSignals(_ signals: [Int32]) {
    var set = sigset_t()
    sigemptyset(&set)
    for signal in signals { sigaddset(&set, signal) }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}
