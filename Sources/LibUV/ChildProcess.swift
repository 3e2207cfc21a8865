import CLibUV
import Synchronization
import Wire

#if canImport(Glibc)
    import Glibc
#endif

extension TerminationStatus {
    /// Decodes a `waitpid(2)` status (through the C shim's WIFEXITED, WEXITSTATUS, WIFSIGNALED,
    /// WTERMSIG); nil for a status that says the process was stopped or continued, not ended.
    public init?(waitStatus status: Int32) {
        if patchrig_wifexited(status) != 0 {
            self = .exited(code: patchrig_wexitstatus(status))
        } else if patchrig_wifsignaled(status) != 0 {
            self = .signaled(signal: patchrig_wtermsig(status))
        } else {
            return nil
        }
    }

    /// Waits for child `pid` to end (retrying on EINTR) and says how; nil when `waitpid` fails
    /// (errno: not our child, already reaped).
    public static func wait(for pid: Int32) -> TerminationStatus? {
        var status: Int32 = 0
        while true {
            if waitpid(pid, &status, 0) == pid { return TerminationStatus(waitStatus: status) }
            if errno != EINTR { return nil }
        }
    }
}

/// Where a child's standard stream goes.
public enum StandardStream {
    /// /dev/null (read-only for stdin, read-write for stdout and stderr).
    case ignore
    /// The given descriptor of this process (a log file, or our own stdout).
    case inherit(fd: Int32)
}

/// A child process started with `posix_spawn`; `onExit` runs on the loop when it ends.
///
/// posix_spawn (glibc: clone with CLONE_VM | CLONE_VFORK) copies no page tables, which a fork of
/// a large coordinator does for every worker. The handle is a `uv_poll_t` on a pidfd
/// (pidfd_open), which polls readable once the child has ended; the child is then reaped with
/// waitpid. No SIGCHLD handler is involved: nothing else reaps these children.
///
/// The child gets descriptors 0, 1, 2 (and 3 with a control pipe) and nothing else: the spawn
/// closes every other one in the child (glibc 2.34's closefrom action; ours are close-on-exec
/// anyway, but one inherited without it, from a shell or a test runner, is not passed on). Until
/// it execs, the child holds a copy of the descriptor table, as a forked child did.
public final class ChildProcess: Handle {
    /// The child's pid (valid once `init` returned).
    public private(set) var pid: Int32 = 0
    private var onExit: ((TerminationStatus) -> Void)?
    public private(set) var status: TerminationStatus?
    private var leadsGroup = false
    /// The pidfd the poll handle watches; closed once the handle is (not before: libuv removes
    /// the descriptor from its epoll set when the handle closes, and must not meet a reused one).
    private var pidfd: Int32 = -1

    private var poll: UnsafeMutablePointer<uv_poll_t> {
        UnsafeMutableRawPointer(rawHandle).assumingMemoryBound(to: uv_poll_t.self)
    }

    /// Starts `executable` with `arguments` (not including argv[0], which is the executable).
    /// An executable without a slash is looked up in this process's PATH. The child starts with
    /// no signal blocked and every signal at its default action.
    ///
    /// - `controlPipe`: an unopened `FramedPipe`; it gets one end of a socket pair and the child
    ///   the other, as descriptor 3.
    /// - `newProcessGroup`: the child leads its own process group (and session), so
    ///   `signalGroup` reaches it and everything it starts. Its group is killed (SIGKILL) as soon
    ///   as the child is reaped: nothing it started outlives it, and the group id is never
    ///   signalled later, when the pid may be another process's (pids are reused, soon when
    ///   `pid_max` is 32768 and a stress run spawns thousands).
    /// - `environment`: nil inherits ours.
    ///
    /// Closing the handle before the child ends stops `onExit` but not the child: it is reaped
    /// (and its group killed) by a later spawn or close, in this or another loop.
    public init(
        loop: EventLoop, executable: String, arguments: [String], environment: [String]? = nil,
        stdin: StandardStream = .ignore, stdout: StandardStream = .inherit(fd: 1),
        stderr: StandardStream = .inherit(fd: 2), controlPipe: FramedPipe? = nil, newProcessGroup: Bool = false,
        onExit: @escaping (TerminationStatus) -> Void
    ) throws(UVError) {
        super.init(allocating: uv_poll_t.self)
        Unwatched.reapEnded()
        let pid: Int32
        do {
            pid = try Self.spawn(
                executable: executable, arguments: arguments, environment: environment, stdio: [stdin, stdout, stderr],
                controlPipe: controlPipe, newProcessGroup: newProcessGroup)
        } catch {
            discardUnopened()
            throw error
        }
        self.pid = pid
        leadsGroup = newProcessGroup

        // Watch for its end. Should that fail (no descriptor left), the child must not run
        // unwatched: it is killed and reaped here.
        pidfd = patchrig_pidfd_open(pid)
        if pidfd < 0 {
            let code = -errno
            discardUnopened()
            abandon()
            throw UVError("pidfd_open(\(executable))", code: code)
        }
        let rc = uv_poll_init(loop.raw, poll, pidfd)
        if rc < 0 {
            discardUnopened()
            abandon()
            Glibc.close(pidfd)
            throw UVError("uv_poll_init(pidfd of \(executable))", code: rc)
        }
        opened()
        self.onExit = onExit
        do {
            try check(
                uv_poll_start(
                    poll, Int32(UV_READABLE.rawValue),
                    { poll, _, _ in
                        guard let child = Handle.from(UnsafeMutableRawPointer(poll), as: ChildProcess.self) else { return }
                        child.ended()
                    }), "uv_poll_start(pidfd of \(executable))")
        } catch {
            self.onExit = nil
            abandon()
            close()
            throw error
        }
    }

    /// Starts the process (socket pair, file actions, attributes, posix_spawnp) and returns its pid.
    private static func spawn(
        executable: String, arguments: [String], environment: [String]?, stdio: [StandardStream], controlPipe: FramedPipe?,
        newProcessGroup: Bool
    ) throws(UVError) -> Int32 {
        // Descriptors made here for the spawn only (the child's end of the socket pair, copies of
        // low sources), all close-on-exec, closed once the child has its copies.
        var temporary: [Int32] = []
        defer { for fd in temporary { Glibc.close(fd) } }

        // What each of the child's descriptors 0..<count is: a descriptor of ours, or /dev/null.
        var sources: [Int32?] = stdio.map { stream -> Int32? in
            if case .inherit(let fd) = stream { return fd }
            return nil
        }
        if let controlPipe {
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
                throw UVError("socketpair", code: -errno)
            }
            temporary.append(pair[1])
            do { try check(uv_pipe_open(controlPipe.pipe, pair[0]), "uv_pipe_open") } catch {
                Glibc.close(pair[0])
                throw error
            }
            sources.append(pair[1])
        }
        // A source that is itself one of the child's descriptors 0..<count would be overwritten
        // (or, if it is its own target, stay close-on-exec) by the dup2s in the child: such a
        // source is first copied above them, so every dup2 goes from a high descriptor to a low one.
        let count = Int32(sources.count)
        for i in sources.indices {
            guard let fd = sources[i], fd < count else { continue }
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, count)
            guard copy >= 0 else { throw UVError("fcntl(F_DUPFD_CLOEXEC, \(fd))", code: -errno) }
            temporary.append(copy)
            sources[i] = copy
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in sources.enumerated() {
            // dup2 to another number clears close-on-exec on the child's copy.
            if let source {
                posix_spawn_file_actions_adddup2(&actions, source, Int32(target))
            } else {
                posix_spawn_file_actions_addopen(&actions, Int32(target), "/dev/null", target == 0 ? O_RDONLY : O_RDWR, 0)
            }
        }
        // Nothing else: not even a descriptor we inherited without close-on-exec (a shell's, a
        // test runner's), which could hold a file of a machine open in the worker.
        patchrig_spawn_close_from(&actions, count)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts as one libuv forked did: no signal blocked (a campaign's threads
        // block SIGINT and SIGTERM) and every signal at its default action (we ignore SIGPIPE,
        // and an ignored signal stays ignored across exec).
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var every = sigset_t()
        patchrig_sigset_every_signal(&every)
        posix_spawnattr_setsigdefault(&attributes, &every)
        var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup { flags |= patchrig_posix_spawn_setsid }
        posix_spawnattr_setflags(&attributes, flags)

        let argv = CStringArray([executable] + arguments)
        let envp = environment.map { CStringArray($0) }
        defer {
            argv.free()
            envp?.free()
        }
        var pid: pid_t = 0
        // A failed exec (no such file, not executable) comes back as the error number: the
        // vfork'd child reports it before the parent resumes.
        let rc = posix_spawnp(&pid, executable, &actions, &attributes, argv.pointer, envp?.pointer ?? environ)
        // libuv's error codes are negated errno values on Unix.
        guard rc == 0 else { throw UVError("posix_spawn(\(executable))", code: -rc) }
        return pid
    }

    /// The pidfd is readable: the child has ended. Until it is reaped it is a zombie, whose pid
    /// (and group id) cannot be reused: its group is killed first, then it is reaped.
    private func ended() {
        guard status == nil else { return }
        switch Self.reapIfEnded(pid, killingGroup: leadsGroup) {
        case .running: return
        case .gone:
            // Reaped by someone else (nothing in this project waits for any child but its own):
            // how it ended is not known, and the pid is no longer ours to watch.
            uv_poll_stop(poll)
        case .reaped(let ended):
            uv_poll_stop(poll)
            status = ended
            let callback = onExit
            onExit = nil
            callback?(ended)
            delivered()
        }
    }

    /// Kills and reaps a child this handle will not watch (its watch could not be set up).
    private func abandon() {
        if leadsGroup { _ = Glibc.kill(-pid, SIGKILL) }
        _ = Glibc.kill(pid, SIGKILL)
        status = TerminationStatus.wait(for: pid)
    }

    enum Reaping {
        case running
        case reaped(TerminationStatus)
        /// Not our child (any more): waitpid has nothing to say about it.
        case gone
    }

    /// Reaps child `pid` if it has ended, after killing its process group when `killingGroup`.
    static func reapIfEnded(_ pid: Int32, killingGroup: Bool) -> Reaping {
        switch patchrig_child_has_ended(pid) {
        case 0: return .running
        case 1: break
        default: return errno == ECHILD ? .gone : .running
        }
        if killingGroup { _ = Glibc.kill(-pid, SIGKILL) }
        var raw: Int32 = 0
        while true {
            let rc = waitpid(pid, &raw, WNOHANG)
            if rc == pid, let ended = TerminationStatus(waitStatus: raw) { return .reaped(ended) }
            if rc < 0 && errno == EINTR { continue }
            return rc < 0 ? .gone : .running
        }
    }

    /// Sends `signal` to the process (until it has been reaped, and while the handle is open).
    public func kill(_ signal: Int32) {
        guard isOpen, pid > 0, status == nil else { return }
        _ = Glibc.kill(pid, signal)
    }

    /// Sends `signal` to the process group the child leads (with `newProcessGroup`), reaching
    /// what it started too. Does nothing once the child has been reaped: its group was killed
    /// then, and its pid may since be another's.
    public func signalGroup(_ signal: Int32) {
        guard pid > 0, leadsGroup, status == nil else { return }
        if isOpen {
            _ = Glibc.kill(-pid, signal)
        } else {
            // Closed first: another thread may reap it at any time.
            Unwatched.signalGroup(pid, signal)
        }
    }

    override func willClose() {
        onExit = nil
        // Closed before its child ended: someone must still reap it (else a zombie until we
        // exit, one per such close in a campaign of thousands of runs).
        if pid > 0 && status == nil { Unwatched.adopt(pid, leadsGroup: leadsGroup) }
    }

    override func didClose() {
        if pidfd >= 0 { Glibc.close(pidfd) }
        pidfd = -1
        Unwatched.reapEnded()
    }
}

/// Children whose `ChildProcess` closed before they ended (at the latest, the handles a loop
/// still has when it closes). Each spawn and each close reaps those that have ended since, and
/// kills the groups they led, as their handle would have. Shared by every loop, and so by every
/// thread of a campaign: everything about these pids happens under the lock.
enum Unwatched {
    private struct Child {
        let pid: Int32
        let leadsGroup: Bool
    }
    private static let children = Mutex<[Child]>([])

    static func adopt(_ pid: Int32, leadsGroup: Bool) {
        children.withLock { $0.append(Child(pid: pid, leadsGroup: leadsGroup)) }
    }

    /// Signals the group `pid` leads if the child is not reaped yet.
    static func signalGroup(_ pid: Int32, _ signal: Int32) {
        children.withLock { children in
            if children.contains(where: { $0.pid == pid }) { _ = Glibc.kill(-pid, signal) }
        }
    }

    static func reapEnded() {
        children.withLock { children in
            guard !children.isEmpty else { return }
            children.removeAll { child in
                if case .running = ChildProcess.reapIfEnded(child.pid, killingGroup: child.leadsGroup) { return false }
                return true
            }
        }
    }
}

/// A NULL-terminated `char **` built from Swift strings, freed explicitly.
struct CStringArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int
    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: strings.count + 1)
        for (i, s) in strings.enumerated() { pointer[i] = strdup(s) }
        pointer[strings.count] = nil
    }
    func free() {
        for i in 0..<count { Glibc.free(pointer[i]) }
        pointer.deallocate()
    }
}

/// For a child: asks the kernel to send `signal` to this process when its parent dies, so a
/// worker cannot outlive a coordinator killed with SIGKILL even while it is busy.
public func dieWithParent(signal: Int32 = SIGKILL) {
    _ = patchrig_set_parent_death_signal(signal)
}
