import CLibUV
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
    /// /dev/null (libuv's UV_IGNORE).
    case ignore
    /// The given descriptor of this process (a log file, or our own stdout).
    case inherit(fd: Int32)
}

/// A child process started with `uv_spawn`; `onExit` runs on the loop when it ends.
public final class ChildProcess: Handle {
    /// The child's pid (valid once `spawn` returned).
    public private(set) var pid: Int32 = 0
    private var onExit: ((TerminationStatus) -> Void)?
    public private(set) var status: TerminationStatus?
    private var leadsGroup = false

    private var process: UnsafeMutablePointer<uv_process_t> {
        UnsafeMutableRawPointer(rawHandle).assumingMemoryBound(to: uv_process_t.self)
    }

    /// Starts `executable` with `arguments` (not including argv[0], which is the executable).
    ///
    /// - `controlPipe`: an unopened `FramedPipe`; the child gets the other end of a socket pair
    ///   as descriptor 3.
    /// - `newProcessGroup`: the child leads its own process group (and session), so
    ///   `signalGroup` reaches it and everything it starts. Its group is killed (SIGKILL) as soon
    ///   as the child is reaped: nothing it started outlives it, and the group id is never
    ///   signalled later, when the pid may be another process's (pids are reused, soon when
    ///   `pid_max` is 32768 and a stress run spawns thousands).
    /// - `environment`: nil inherits ours.
    public init(
        loop: EventLoop, executable: String, arguments: [String], environment: [String]? = nil,
        stdin: StandardStream = .ignore, stdout: StandardStream = .inherit(fd: 1),
        stderr: StandardStream = .inherit(fd: 2), controlPipe: FramedPipe? = nil, newProcessGroup: Bool = false,
        onExit: @escaping (TerminationStatus) -> Void
    ) throws(UVError) {
        super.init(allocating: uv_process_t.self)
        self.onExit = onExit

        let argv = CStringArray([executable] + arguments)
        let envp = environment.map { CStringArray($0) }
        defer {
            argv.free()
            envp?.free()
        }
        var stdio = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: controlPipe == nil ? 3 : 4)
        for (i, stream) in [stdin, stdout, stderr].enumerated() {
            switch stream {
            case .ignore: stdio[i].flags = UV_IGNORE
            case .inherit(let fd):
                stdio[i].flags = UV_INHERIT_FD
                stdio[i].data.fd = fd
            }
        }
        if let controlPipe {
            stdio[3].flags = uv_stdio_flags(UV_CREATE_PIPE.rawValue | UV_READABLE_PIPE.rawValue | UV_WRITABLE_PIPE.rawValue)
            stdio[3].data.stream = controlPipe.stream
        }
        let rc: Int32 = executable.withCString { file in
            stdio.withUnsafeMutableBufferPointer { stdioBuffer in
                var options = uv_process_options_t()
                options.file = file
                options.args = argv.pointer
                options.env = envp?.pointer
                options.flags = newProcessGroup ? UInt32(UV_PROCESS_DETACHED.rawValue) : 0
                options.stdio_count = Int32(stdioBuffer.count)
                options.stdio = stdioBuffer.baseAddress
                options.exit_cb = { process, exitStatus, termSignal in
                    guard let child = Handle.from(UnsafeMutableRawPointer(process), as: ChildProcess.self) else { return }
                    let status: TerminationStatus =
                        termSignal != 0 ? .signaled(signal: termSignal) : .exited(code: Int32(truncatingIfNeeded: exitStatus))
                    child.status = status
                    if child.leadsGroup { _ = Glibc.kill(-child.pid, SIGKILL) }
                    let callback = child.onExit
                    child.onExit = nil
                    callback?(status)
                    child.delivered()
                }
                return uv_spawn(loop.raw, process, &options)
            }
        }
        // uv_spawn initialises the handle even when it fails; it must be closed either way.
        opened()
        if rc < 0 {
            self.onExit = nil
            close()
            throw UVError("uv_spawn(\(executable))", code: rc)
        }
        pid = uv_process_get_pid(process)
        leadsGroup = newProcessGroup
    }

    /// Sends `signal` to the process.
    public func kill(_ signal: Int32) {
        guard isOpen, status == nil else { return }
        uv_process_kill(process, signal)
    }

    /// Sends `signal` to the process group the child leads (with `newProcessGroup`), reaching
    /// what it started too. Does nothing once the child has been reaped: its group was killed
    /// then, and its pid may since be another's.
    public func signalGroup(_ signal: Int32) {
        guard pid > 0, leadsGroup, status == nil else { return }
        _ = Glibc.kill(-pid, signal)
    }

    override func willClose() { onExit = nil }
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
