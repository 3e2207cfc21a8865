import Glibc

/// The running process: its id, its environment, how it sleeps, starts a child and ends. Each
/// function wraps one or two system calls, so that modules above Host import no Glibc; the
/// doc comment of each says who needs it and why.
public enum CurrentProcess {
    /// This process's id (getpid): a worker says it in its hello, the coordinator records its own.
    public static var id: Int32 { getpid() }

    /// The value of the environment variable `name`; nil when it is not set.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The path of the running executable (where the `/proc/self/exe` link leads); nil when it
    /// cannot be read. The coordinator looks for `rig-worker` beside `rig`.
    public static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Ends the process with `code` the ordinary way (exit(3)): buffered output is flushed.
    public static func exit(_ code: Int32) -> Never { Glibc.exit(code) }

    /// Ends the process with `code` at once (_exit(2)): nothing buffered is flushed and no
    /// `atexit` handler runs. For a worker whose coordinator is gone: nobody would read what it
    /// could still say, and it must not linger.
    public static func exitImmediately(_ code: Int32) -> Never { _exit(code) }

    /// Sends `signal` to this process (raise(3)): a standalone worker kills itself at its fault
    /// point (`Signal.kill`), Session Manager stops at its test breakpoint (`Signal.stop`).
    public static func raise(_ signal: Int32) { _ = Glibc.raise(signal) }

    /// Blocks the thread for `nanoseconds` (nanosleep, resumed after a signal interrupts it):
    /// for code with no event loop to keep running (a standalone worker, the registry's wait for
    /// another process to switch the database to WAL).
    public static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Starts `executable` with `arguments` (argv, argv[0] included) and this process's
    /// environment (posix_spawn), and returns its pid; the caller waits for it (LibUV's
    /// `TerminationStatus.wait(for:)`). A standalone worker, with no coordinator to ask, starts
    /// its child processes this way.
    public static func spawn(_ executable: String, arguments: [String]) throws(SystemCallError) -> Int32 {
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, nil, nil, &argv, environ)
        guard rc == 0 else { throw SystemCallError(operation: "posix_spawn", path: executable, code: rc) }
        return pid
    }
}

/// The signals PatchRig sends, raises and watches, by name (the numbers are the host's).
public enum Signal {
    /// SIGINT (Ctrl-C): interrupts a run.
    public static let interrupt: Int32 = SIGINT
    /// SIGTERM: interrupts a run.
    public static let terminate: Int32 = SIGTERM
    /// SIGKILL: ends a process at once (a kill fault, a timeout, the end of a run).
    public static let kill: Int32 = SIGKILL
    /// SIGSTOP: pauses a process (a pause fault, a worker's breakpoint).
    public static let stop: Int32 = SIGSTOP
    /// SIGCONT: lets a paused process go on.
    public static let resume: Int32 = SIGCONT
}
