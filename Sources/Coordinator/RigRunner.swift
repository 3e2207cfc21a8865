import CoordinatorCore
import Host
import LibUV
import Report
import RigModel
import Wire

/// Runs one rig: the libuv shell around `RunCore`. The core decides (whom to spawn, what to send,
/// which timer to arm, whom to kill); the shell carries that out with real processes, pipes,
/// timers and signals, and feeds back what happened, in the order it happened.
///
/// Every worker leads its own process group (a session of its own), so signalling the group
/// reaches what the worker started too. On an actor's timeout, the run's timeout, SIGINT or
/// SIGTERM the core kills those groups; at the end of the run it kills every group it created,
/// so no process outlives its run. A worker whose pipe closes exits by itself.
public final class RigRunner {
    let options: RunOptions
    let loop: EventLoop
    let core: RunCore
    /// Each spawned process and its control pipe. Kept after the process is over, so that its
    /// group can still be killed at the end of the run.
    private var workers: [ProcessIndex: (process: ChildProcess, pipe: FramedPipe)] = [:]
    private var timers: [TimerID: Timer] = [:]
    private var watchers: [SignalWatcher] = []
    /// Inputs not yet given to the core: a command carried out can produce one (a spawn), and
    /// the core takes one input at a time.
    private var inbox: [CoreInput] = []
    private var feeding = false

    /// The signal that interrupted the run, if one did.
    public var interruptedBy: Int32? { core.interruptedBy }
    /// The signals that interrupt a run (Ctrl-C, `kill`).
    public static let interruptions = [Signal.interrupt, Signal.terminate]

    /// Holds SIGINT and SIGTERM pending until `run()` has its watchers: call it first thing, so
    /// a signal that arrives while the rig is loaded or the machine created aborts the run
    /// with its outputs instead of ending the process.
    public static func holdInterruptions() { blockSignals(interruptions) }

    /// Undoes `holdInterruptions` for a process that runs no rig.
    public static func releaseInterruptions() { unblockSignals(interruptions) }

    /// A SIGINT or SIGTERM that arrived after `run()` returned (while outputs were written).
    public static func pendingInterruption() -> Int32? { pendingSignal(among: interruptions) }

    public init(rig: Rig, options: RunOptions) throws {
        self.options = options
        loop = try EventLoop()
        core = RunCore(rig: rig, options: options, machine: options.machineDirectory.map(MachineDirectoryAccess.init))
    }

    /// Runs the rig to its end and returns what happened.
    public func run() -> RunHistory {
        ignoreBrokenPipes()
        // A controlled run hands over between one process and the next at every operation: all
        // of them on one CPU (see `CPUAffinity`), the one this thread runs on (a campaign has
        // given each slot's thread its own), and the thread's own CPUs back afterwards. A free
        // run keeps every CPU: its processes really run at once.
        let ownCPUs = options.schedule.isControlled ? CPUAffinity.current() : nil
        if let ownCPUs, !ownCPUs.isEmpty {
            CPUAffinity.set([CPUAffinity.running().flatMap { ownCPUs.contains($0) ? $0 : nil } ?? ownCPUs[0]])
        }
        defer { if let ownCPUs { CPUAffinity.set(ownCPUs) } }
        do {
            for signal in Self.interruptions {
                watchers.append(
                    try SignalWatcher(loop: loop, signal: signal) { [unowned self] signal in
                        self.feed(
                            .interrupted(
                                signal: signal,
                                name: signal == Signal.interrupt ? "SIGINT" : signal == Signal.terminate ? "SIGTERM" : "signal \(signal)"))
                    })
            }
        } catch {
            core.report(problem: "cannot set up the run: \(error)")
        }
        // The watchers exist now: whoever started us may have blocked signals (some process
        // launchers do; `rig run` blocks SIGINT and SIGTERM until here so that one arriving
        // early is not lost). A pending SIGINT or SIGTERM is delivered to its watcher now and
        // aborts the run before it starts. (Workers are reaped through pidfds, not SIGCHLD.)
        unblockSignals(Self.interruptions)
        feed(.begin)
        if !core.done { loop.run() }
        // From here on the outputs are being made: a signal waits until they are written
        // (`RunCommand` checks for it), since the watchers close with the loop.
        blockSignals(Self.interruptions)
        let endNs = MonotonicClock.now()
        closeAll()
        loop.close()
        var history = core.history(endNs: endNs, coordinatorPid: CurrentProcess.id)
        if let machine = options.machineDirectory {
            do { history.machine = try MachineSnapshotReader.read(machine) } catch {
                history.problems.append("cannot read the machine at the end of the run: \(error)")
            }
        }
        return history
    }

    /// Gives the core an input, then carries out its commands (and the inputs they produce).
    private func feed(_ input: CoreInput) {
        inbox.append(input)
        guard !feeding else { return }
        feeding = true
        while !inbox.isEmpty {
            let next = inbox.removeFirst()
            for command in core.handle(next, nowNs: MonotonicClock.now()) { execute(command) }
        }
        feeding = false
    }

    private func execute(_ command: CoreCommand) {
        switch command {
        case .spawn(let p, let role, let logBase): spawn(p, role: role, logBase: logBase)
        case .send(let p, let message):
            guard let pipe = workers[p]?.pipe, pipe.isOpen else { return }
            do { try pipe.send(message) } catch {
                // A worker that is gone gets nothing: its exit is what the run records.
                if case .uv(let error) = error, error.isPeerGone { return }
                core.report(problem: "cannot send to \(core.processName(p)): \(error)")
            }
        case .armTimer(let id, let delay): arm(id, afterNs: delay)
        case .cancelTimer(let id): timers.removeValue(forKey: id)?.close()
        case .signal(let p, let signal):
            let number: Int32
            switch signal {
            case .kill: number = Signal.kill
            case .stop: number = Signal.stop
            case .resume: number = Signal.resume
            }
            workers[p]?.process.signalGroup(number)
        case .kill(let p):
            guard let worker = workers[p] else { return }
            worker.process.signalGroup(Signal.kill)
            worker.process.kill(Signal.kill)
            worker.pipe.stopReading()
        case .close(let p):
            workers[p]?.pipe.close()
            workers[p]?.process.close()
        case .finish: closeAll()
        }
    }

    private func spawn(_ p: ProcessIndex, role: String, logBase: String) {
        // Never through a symlink: one planted at a log's name (in an --out directory) must not
        // make the coordinator truncate a file outside it (`HostFiles.createLogFile`).
        var logs: [Int32] = []
        var logError: SystemCallError?
        defer { for fd in logs { HostFiles.close(fd) } }
        for suffix in [".stdout", ".stderr"] {
            do { logs.append(try HostFiles.createLogFile(logBase + suffix)) } catch { logError = error }
        }
        if let logError {
            return feed(.spawnFailed(p, reason: "cannot create its log files under \(options.logDirectory): \(logError.message)"))
        }
        let (out, err) = (logs[0], logs[1])
        var pipe: FramedPipe?
        do {
            let control = try FramedPipe(loop: loop)
            pipe = control
            let startNs = MonotonicClock.now()
            let process = try ChildProcess(
                loop: loop, executable: options.workerExecutable, arguments: [role, "--ipc", "3"],
                stdout: .inherit(fd: out), stderr: .inherit(fd: err), controlPipe: control, newProcessGroup: true
            ) { [unowned self] status in self.feed(.exited(p, status)) }
            workers[p] = (process, control)
            try control.startReading { [unowned self] event in
                switch event {
                case .end: self.feed(.pipeEnded(p))
                case .error(let message): self.feed(.pipeFailed(p, reason: message))
                case .frame(let payload):
                    do { self.feed(.message(p, try Message(decoding: payload))) } catch {
                        self.feed(.malformed(p, reason: "\(error)"))
                    }
                }
            }
            feed(.spawned(p, pid: process.pid, startNs: startNs, endNs: MonotonicClock.now()))
        } catch {
            pipe?.close()
            if let process = workers[p]?.process {
                // Spawned, but its pipe cannot be read: it must not run unwatched.
                process.signalGroup(Signal.kill)
                process.kill(Signal.kill)
                workers[p] = nil
            }
            feed(.spawnFailed(p, reason: "cannot start \(options.workerExecutable): \(error)"))
        }
    }

    private func arm(_ id: TimerID, afterNs delay: UInt64) {
        timers.removeValue(forKey: id)?.close()
        do {
            let timer = try Timer(loop: loop)
            timers[id] = timer
            try timer.start(afterNanoseconds: delay) { [unowned self] in
                self.timers.removeValue(forKey: id)?.close()
                self.feed(.timer(id))
            }
        } catch {
            timers.removeValue(forKey: id)?.close()
            core.report(problem: "cannot arm a timer (\(id)): \(error)")
            // It fires now rather than never, so the run still ends.
            feed(.timer(id))
        }
    }

    /// The run is over: what the shell keeps for it closes, so the loop ends.
    private func closeAll() {
        for watcher in watchers { watcher.close() }
        watchers = []
        for timer in timers.values { timer.close() }
        timers = [:]
    }
}
