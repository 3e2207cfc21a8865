import Host
import LibUV
import Machine
import Report
import RigModel
import Wire
import WindowsModel

/// Runs one rig: spawns each actor as a `rig-worker` process when its start condition comes,
/// gives it its task over its pipe, relays named events between workers, takes the machine
/// steps (reboots, logons; see MachineSteps.swift), and records everything that happened in a
/// `RunHistory`. It decides no outcome: exit codes, events and failures are what the processes
/// did.
///
/// Every worker leads its own process group (uv_spawn's detached mode), so signalling the group
/// reaches what the worker started too. On an actor's timeout, the run's timeout, SIGINT or
/// SIGTERM the coordinator kills those groups; at the end of the run it kills every group it
/// created, so no process outlives its run. A worker whose pipe closes exits by itself.
public final class RigRunner {
    let rig: Rig
    let options: RunOptions
    let loop: EventLoop
    var actors: [ActorState] = []
    var steps: [StepState] = []
    var faults: [FaultState] = []
    /// "owner.event" → when it was emitted. Owners are actors and machine steps.
    var emitted: [String: UInt64] = [:]
    /// "owner.event" → the actors waiting for it.
    var waiters: [String: [Int]] = [:]
    /// Actors and steps that are over, and whether each really ran.
    var over: [String: Bool] = [:]
    var coordinatorEvents: [Event] = []
    var problems: [String] = []
    var startNs: UInt64 = 0
    var done = false
    var housekeeping: [Handle] = []
    /// While a reboot has stopped the machine, actors due to start wait for it to come up.
    var machineDown = false
    var deferredSpawns: [ActorState] = []
    /// Callbacks waiting for a set of actors to be over (a reboot waits for the processes it stops).
    var finishWatchers: [(pending: Set<Int>, then: () -> Void)] = []
    /// The signal that interrupted the run, if one did.
    public private(set) var interruptedBy: Int32?
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

    enum Phase { case pending, scheduled, running, finished }

    /// What actors and machine steps share: a name, a start condition, a phase.
    class Startable {
        let name: String
        let start: Start
        let jitterNs: UInt64
        var phase: Phase = .pending
        var timers: [Timer] = []
        init(name: String, start: Start, jitterNs: UInt64) {
            self.name = name
            self.start = start
            self.jitterNs = jitterNs
        }
        func closeTimers() {
            for timer in timers { timer.close() }
            timers = []
        }
    }

    final class ActorState: Startable {
        let actor: Actor
        let index: Int
        var record: ActorRecord
        var process: ChildProcess?
        var pipe: FramedPipe?
        var helloSeen = false
        var pipeEnded = false
        /// The coordinator killed it (a timeout, a reboot, a fault, the end of the run): a
        /// signal death it did not cause is a problem of the run.
        var killedByCoordinator = false
        /// For processes started by a worker or by a boot: called once it is over.
        var onOver: ((ActorState) -> Void)?
        init(actor: Actor, index: Int, jitterNs: UInt64) {
            self.actor = actor
            self.index = index
            record = ActorRecord(name: actor.name, role: actor.role)
            super.init(name: actor.name, start: actor.start, jitterNs: jitterNs)
        }
    }

    public init(rig: Rig, options: RunOptions) throws {
        self.rig = rig
        self.options = options
        loop = try EventLoop()
        // Jitter is drawn up front, actors then steps in file order, so it depends on the seed
        // alone and not on the order in which real timing makes start conditions come true.
        var random = SplitMix64(seed: options.seed)
        for (i, actor) in rig.actors.enumerated() {
            actors.append(ActorState(actor: actor, index: i, jitterNs: random.upTo(actor.start.jitter.nanoseconds)))
        }
        for step in rig.machine?.steps ?? [] {
            steps.append(StepState(step: step, jitterNs: random.upTo(step.start.jitter.nanoseconds)))
        }
        for fault in rig.faults {
            var jitter = RigDuration.zero
            if case .time(let start) = fault.trigger { jitter = start.jitter }
            faults.append(FaultState(fault: fault, jitterNs: random.upTo(jitter.nanoseconds)))
        }
    }

    /// Runs the rig to its end and returns what happened.
    public func run() -> RunHistory {
        ignoreBrokenPipes()
        startNs = MonotonicClock.now()
        note("run", [Argument("rig", rig.name), Argument("seed", String(options.seed))])
        do {
            for signal in Self.interruptions {
                housekeeping.append(try SignalWatcher(loop: loop, signal: signal) { [unowned self] in self.interrupted($0) })
            }
            let runTimer = try Timer(loop: loop)
            try runTimer.start(afterNanoseconds: rig.timeout.nanoseconds) { [unowned self] in
                self.abort("the run timed out after \(self.rig.timeout)")
            }
            housekeeping.append(runTimer)
        } catch {
            problems.append("cannot set up the run: \(error)")
        }
        // The watchers exist now: whoever started us may have blocked signals (some process
        // launchers do; `rig run` blocks SIGINT and SIGTERM until here so that one arriving
        // early is not lost). libuv must see SIGCHLD to reap workers; a pending SIGINT or
        // SIGTERM is delivered to its watcher now and aborts the run before it starts.
        unblockSignals([Signal.childEnded] + Self.interruptions)
        for fault in faults {
            // A fault at an operation waits in its process's task, not on a timer.
            if case .operation = fault.fault.trigger { fault.phase = .scheduled }
        }
        for startable in triggerables where startable.phase == .pending {
            if case .at(let at, _) = startable.start { schedule(startable, afterNs: at.nanoseconds) }
        }
        finishIfDone()
        if !done { loop.run() }
        // From here on the outputs are being made: a signal waits until they are written
        // (`RunCommand` checks for it), since the watchers close with the loop.
        blockSignals(Self.interruptions)
        let endNs = MonotonicClock.now()
        // The `run` slice spans the run.
        if let run = coordinatorEvents.firstIndex(where: { $0.op == "run" }) { coordinatorEvents[run].endNs = endNs }
        loop.close()
        var history = RunHistory(
            rig: rig, seed: options.seed, startNs: startNs, endNs: endNs, coordinatorPid: CurrentProcess.id,
            actors: actors.map(\.record), coordinatorEvents: coordinatorEvents, problems: problems)
        history.faults = faults.map(\.record)
        if let machine = options.machineDirectory {
            do { history.machine = try MachineSnapshotReader.read(machine) } catch {
                history.problems.append("cannot read the machine at the end of the run: \(error)")
            }
        }
        return history
    }

    /// What the run waits for: it ends when every actor and step is over.
    var startables: [Startable] { actors + steps }
    /// What starts on a time or after an event or an exit: actors, steps and time faults.
    var triggerables: [Startable] { actors + steps + faults }

    // MARK: Starting actors and steps

    func schedule(_ startable: Startable, afterNs delay: UInt64) {
        guard startable.phase == .pending, !done else { return }
        startable.phase = .scheduled
        let total = delay + startable.jitterNs
        if total == 0 { return begin(startable) }
        do {
            let timer = try Timer(loop: loop)
            startable.timers.append(timer)
            try timer.start(afterNanoseconds: total) { [unowned self] in
                timer.close()
                self.begin(startable)
            }
        } catch {
            problems.append("cannot schedule \(startable.name): \(error)")
            neverStarted(startable, "cannot schedule its start: \(error)")
        }
    }

    private func begin(_ startable: Startable) {
        if let actor = startable as? ActorState {
            if machineDown && actor.onOver == nil {
                // Windows is down: what was due starts once the machine is back up.
                deferredSpawns.append(actor)
            } else {
                spawn(actor)
            }
        } else if let step = startable as? StepState {
            take(step)
        } else if let fault = startable as? FaultState {
            trigger(fault)
        }
    }

    /// The parameters every worker of a machine rig gets besides its own.
    private func machineParameters(for state: ActorState) -> [Argument] {
        guard let machine = options.machineDirectory else { return [] }
        var random = SplitMix64(seed: options.seed ^ (UInt64(state.index + 1) &* 0x9E37_79B9_7F4A_7C15))
        return [Argument("machine", machine), Argument("seed", String(random.next()))]
    }

    func spawn(_ state: ActorState) {
        guard state.phase == .scheduled, !done else { return }
        state.phase = .running
        let logBase = options.logDirectory + "/" + state.name.replacingSlashes
        state.record.stdoutPath = logBase + ".stdout"
        state.record.stderrPath = logBase + ".stderr"
        // Never through a symlink: one planted at a log's name (in an --out directory) must not
        // make the coordinator truncate a file outside it (`HostFiles.createLogFile`).
        var logs: [Int32] = []
        var logError: SystemCallError?
        defer { for fd in logs { HostFiles.close(fd) } }
        for suffix in [".stdout", ".stderr"] {
            do { logs.append(try HostFiles.createLogFile(logBase + suffix)) } catch { logError = error }
        }
        if let logError {
            fail(state, "cannot create its log files under \(options.logDirectory): \(logError.message)")
            return
        }
        let (out, err) = (logs[0], logs[1])
        do {
            let pipe = try FramedPipe(loop: loop)
            state.pipe = pipe
            state.record.spawnNs = MonotonicClock.now()
            let process = try ChildProcess(
                loop: loop, executable: options.workerExecutable, arguments: [state.actor.role, "--ipc", "3"],
                stdout: .inherit(fd: out), stderr: .inherit(fd: err), controlPipe: pipe, newProcessGroup: true
            ) { [unowned self] status in self.exited(state, status) }
            state.process = process
            state.record.pid = process.pid
            try pipe.startReading { [unowned self] event in self.received(event, from: state) }
            // The spawn, from just before uv_spawn to its return (the child's lane starts at the
            // same instant), not a moment after the child may have begun.
            coordinatorEvents.append(
                Event(
                    startNs: state.record.spawnNs!, endNs: MonotonicClock.now(), op: "spawn",
                    args: [Argument("actor", state.name), Argument("pid", String(process.pid))]))
            let timeout = try Timer(loop: loop)
            state.timers.append(timeout)
            try timeout.start(afterNanoseconds: state.actor.timeout.nanoseconds) { [unowned self] in
                self.kill(state, because: "timed out after \(state.actor.timeout)")
            }
        } catch {
            state.pipe?.close()
            state.pipe = nil
            fail(state, "cannot start \(options.workerExecutable): \(error)")
        }
    }

    /// Adds and spawns a process the rig does not name: a worker's child or a boot's program.
    /// `onOver` runs once it is over.
    func spawnProcess(
        name: String, role: String, parameters: [Argument], timeout: RigDuration, position: SourcePosition,
        onOver: @escaping (ActorState) -> Void
    ) {
        let actor = Actor(
            name: name, role: role, timeout: timeout,
            parameters: parameters.map { Parameter(name: $0.name, value: $0.value, position: position) },
            position: position)
        let state = ActorState(actor: actor, index: actors.count, jitterNs: 0)
        state.onOver = onOver
        actors.append(state)
        schedule(state, afterNs: 0)
    }

    // MARK: Talking to workers

    private func received(_ event: FramedPipe.ReadEvent, from state: ActorState) {
        switch event {
        case .end:
            state.pipeEnded = true
            finishIfOver(state)
        case .error(let message):
            state.pipeEnded = true
            if state.record.failure == nil { state.record.failure = "it broke the protocol: \(message)" }
            kill(state, because: nil)
        case .frame(let payload):
            let message: Message
            do { message = try Message(decoding: payload) } catch {
                kill(state, because: "it sent a malformed frame (\(error))")
                return
            }
            handle(message, from: state)
        }
    }

    private func handle(_ message: Message, from state: ActorState) {
        guard state.helloSeen || { if case .hello = message { return true } else { return false } }() else {
            kill(state, because: "it broke the protocol: \(message) before hello")
            return
        }
        switch message {
        case .hello(let hello):
            guard !state.helloSeen else { return kill(state, because: "it broke the protocol: a second hello") }
            state.helloSeen = true
            state.record.helloNs = MonotonicClock.now()
            guard hello.role == state.actor.role else {
                return kill(state, because: "it says it plays '\(hello.role)', not '\(state.actor.role)'")
            }
            var work = task(for: state.actor)
            work.parameters += machineParameters(for: state)
            work.faultPoint = faultPoint(for: state)
            send(.task(work), to: state)
        case .event(let event):
            guard state.record.events.count < rig.maxEvents else {
                return kill(state, because: "it reported more than \(rig.maxEvents) events (the rig's max_events)")
            }
            state.record.events.append(event)
            if event.op == "emit", let name = event.argument("event") {
                emit(owner: state.name, event: name, ns: event.endNs)
            }
        case .await(let owner, let event):
            let key = "\(owner).\(event)"
            if owner == state.name {
                send(.unreachable(actor: owner, event: event, reason: "a process cannot wait on itself"), to: state)
            } else if !triggerables.contains(where: { $0.name == owner && !($0 is FaultState) }) {
                send(.unreachable(actor: owner, event: event, reason: "no actor or machine step is named \(owner)"), to: state)
            } else if let ns = emitted[key] {
                send(.release(actor: owner, event: event, ns: ns), to: state)
            } else if let reason = neverComing(owner: owner, event: event) {
                send(.unreachable(actor: owner, event: event, reason: reason), to: state)
            } else {
                waiters[key, default: []].append(state.index)
            }
        case .exit(let report):
            state.record.exitReport = report
        case .pong:
            break
        case .startChild(let request):
            startChild(request, of: state)
        case .faultPoint(let point):
            reachedFaultPoint(point, state)
        case .task, .release, .unreachable, .stop, .ping, .childExited, .proceed:
            kill(state, because: "it broke the protocol: it sent \(message), which only the coordinator sends")
        }
    }

    /// Sends `message` to a worker. A worker that is gone (killed, or its pipe ended) gets
    /// nothing: its exit is what the run records, not the failed write.
    func send(_ message: Message, to state: ActorState) {
        guard let pipe = state.pipe, pipe.isOpen, !state.pipeEnded else { return }
        do { try pipe.send(message) } catch {
            if case .uv(let error) = error, error.isPeerGone { return }
            problems.append("cannot send to \(state.name): \(error)")
        }
    }

    /// A worker starts a child process (setup runs the installer, a service runs ngen): it is
    /// spawned as an actor of its own, `<parent>/<label>`, with the parent's time limit, and the
    /// parent hears how it ended.
    private func startChild(_ request: ChildRequest, of parent: ActorState) {
        let name = "\(parent.name)/\(request.label)"
        guard actors.allSatisfy({ $0.name != name || $0.phase == .finished }) else {
            send(.childExited(label: request.label, pid: 0, code: 0, detail: "\(name) is already running"), to: parent)
            return
        }
        spawnProcess(
            name: name, role: request.role, parameters: request.parameters, timeout: parent.actor.timeout,
            position: parent.actor.position
        ) { [unowned self] child in
            self.send(
                .childExited(
                    label: request.label, pid: child.record.pid ?? 0, code: child.record.exitCode ?? -1,
                    detail: child.record.exitCode == nil || child.record.failure != nil ? child.record.outcome : ""),
                to: parent)
        }
    }

    /// A named event happened: release whoever waits for it and start whatever starts after it.
    func emit(owner: String, event: String, ns: UInt64) {
        let key = "\(owner).\(event)"
        guard emitted[key] == nil else { return }
        emitted[key] = ns
        // A worker's events are on its own lane; a machine step's are the coordinator's.
        if steps.contains(where: { $0.name == owner }) {
            coordinatorEvents.append(Event(startNs: ns, endNs: ns, op: "event", args: [Argument("step", owner), Argument("event", event)]))
        }
        for index in waiters.removeValue(forKey: key) ?? [] {
            send(.release(actor: owner, event: event, ns: ns), to: actors[index])
            note("release", [Argument("actor", actors[index].name), Argument("event", key)])
        }
        for other in triggerables where other.phase == .pending {
            if case .afterEvent(owner, event, let delay, _) = other.start {
                schedule(other, afterNs: delay.nanoseconds)
            }
        }
    }

    /// Why `owner.event` can no longer happen, or nil while it still can.
    func neverComing(owner: String, event: String) -> String? {
        guard let ran = over[owner] else { return nil }
        return ran ? "\(owner) exited without emitting \(event)" : "\(owner) never started"
    }

    // MARK: Ends

    private func exited(_ state: ActorState, _ status: TerminationStatus) {
        state.record.endNs = MonotonicClock.now()
        state.record.termination = status
        note("exit", [Argument("actor", state.name), Argument("status", status.description)])
        if case .signaled(let signal) = status, !state.killedByCoordinator, state.record.failure == nil {
            // Nothing the rig asked for killed it: something outside the run did, or it crashed.
            state.record.failure = "killed by signal \(signal), which the rig did not inject"
        }
        if !state.pipeEnded {
            // Frames still in the pipe are read first; a descendant that kept the pipe's other
            // end open must not hold the run, so the pipe is closed after a short grace.
            do {
                let grace = try Timer(loop: loop)
                state.timers.append(grace)
                try grace.start(afterNanoseconds: 250_000_000) { [unowned self] in
                    state.pipeEnded = true
                    self.finishIfOver(state)
                }
            } catch { state.pipeEnded = true }
        }
        finishIfOver(state)
    }

    private func finishIfOver(_ state: ActorState) {
        guard state.phase == .running, state.pipeEnded, state.record.termination != nil else { return }
        if let broken = protocolBreach(state), state.record.failure == nil {
            state.record.failure = "it broke the protocol: \(broken)"
        }
        finished(state)
    }

    /// How a worker that exited by itself broke the protocol, if it did: every worker says
    /// hello first and reports its exit code last, and that code's low byte is its status.
    private func protocolBreach(_ state: ActorState) -> String? {
        guard case .exited(let status)? = state.record.termination, !state.killedByCoordinator else { return nil }
        guard state.helloSeen else { return "it exited (status \(status)) without saying hello" }
        guard let report = state.record.exitReport else { return "it exited (status \(status)) without an exit report" }
        guard report.code & 0xff == status else {
            return "its exit report says \(report.code), but its process status was \(status)"
        }
        return nil
    }

    /// The actor could not be run at all; the report lists `reason` as its failure.
    private func fail(_ state: ActorState, _ reason: String) {
        state.record.failure = reason
        finished(state)
    }

    func kill(_ state: ActorState, because reason: String?) {
        if let reason, state.record.failure == nil {
            // No pid here: the text names a problem, and a JUnit test case after it, which must
            // read the same from run to run (the pid is in the record beside it).
            state.record.failure = "\(reason); killed"
        }
        note("kill", [Argument("actor", state.name), Argument("reason", reason ?? "stopped")])
        state.killedByCoordinator = true
        state.process?.signalGroup(Signal.kill)
        state.process?.kill(Signal.kill)
        state.pipe?.stopReading()
        state.pipeEnded = true
        finishIfOver(state)
    }

    /// An actor is over: its process ended (or never will run). Unblock what depended on it.
    private func finished(_ state: ActorState) {
        guard state.phase != .finished else { return }
        state.phase = .finished
        state.closeTimers()
        state.pipe?.close()
        state.process?.close()
        if let onOver = state.onOver {
            state.onOver = nil
            onOver(state)
        }
        for i in finishWatchers.indices { finishWatchers[i].pending.remove(state.index) }
        let ready = finishWatchers.filter { $0.pending.isEmpty }
        finishWatchers.removeAll { $0.pending.isEmpty }
        for watcher in ready { watcher.then() }
        ownerIsOver(state.name, ran: state.record.pid != nil)
    }

    /// An actor or a step is over: whoever waits for one of its events that never came will not
    /// get it, and what starts after it (or after an event it never emitted) starts or never will.
    func ownerIsOver(_ name: String, ran: Bool) {
        over[name] = ran
        for (key, indices) in waiters where key.hasPrefix(name + ".") {
            let event = String(key.dropFirst(name.count + 1))
            let reason = neverComing(owner: name, event: event) ?? "\(name) is over"
            waiters[key] = nil
            for index in indices { send(.unreachable(actor: name, event: event, reason: reason), to: actors[index]) }
        }
        for other in triggerables where other.phase == .pending {
            switch other.start {
            case .afterExit(name, let delay, _) where ran:
                schedule(other, afterNs: delay.nanoseconds)
            case .afterExit(name, _, _):
                neverStarted(other, "\(name) never started")
            case .afterEvent(name, let event, _, _) where emitted["\(name).\(event)"] == nil:
                neverStarted(other, neverComing(owner: name, event: event) ?? "\(name) is over")
            default: break
            }
        }
        finishIfDone()
    }

    func neverStarted(_ startable: Startable, _ reason: String) {
        if let fault = startable as? FaultState {
            missed(fault, reason)
        } else if let actor = startable as? ActorState {
            actor.record.failure = "never started: \(reason)"
            finished(actor)
        } else if let step = startable as? StepState, step.phase != .finished {
            problems.append("machine step \(step.name) was never taken: \(reason)")
            step.phase = .finished
            step.closeTimers()
            ownerIsOver(step.name, ran: false)
        }
    }

    func finishIfDone() {
        guard !done, startables.allSatisfy({ $0.phase == .finished }) else { return }
        done = true
        closeFaults()
        note("end")
        // No process outlives its run: whatever a worker started is in its group, which
        // ChildProcess kills when the worker is reaped; one still running is killed here.
        for state in actors { state.process?.signalGroup(Signal.kill) }
        for handle in housekeeping { handle.close() }
    }

    /// Ends the run now: kills every running worker's group, gives up on the rest.
    private func abort(_ reason: String) {
        guard !done else { return }
        problems.append(reason)
        note("abort", [Argument("reason", reason)])
        finishWatchers = []
        for startable in startables {
            switch startable.phase {
            case .running:
                if let actor = startable as? ActorState {
                    kill(actor, because: reason)
                } else if let step = startable as? StepState {
                    step.phase = .finished
                    step.closeTimers()
                    ownerIsOver(step.name, ran: true)
                }
            case .pending, .scheduled: neverStarted(startable, reason)
            case .finished: break
            }
        }
    }

    private func interrupted(_ signal: Int32) {
        interruptedBy = signal
        abort("interrupted by \(signal == Signal.interrupt ? "SIGINT" : signal == Signal.terminate ? "SIGTERM" : "signal \(signal)")")
    }

    func note(_ op: String, _ args: [Argument] = []) {
        let now = MonotonicClock.now()
        coordinatorEvents.append(Event(startNs: now, endNs: now, op: op, args: args))
    }
}

extension Start {
    /// The jitter range of any start form.
    var jitter: RigDuration {
        switch self {
        case .at(_, let j), .afterEvent(_, _, _, let j), .afterExit(_, _, let j): return j
        }
    }
}

extension String {
    /// A name usable as a file name: child and boot processes are named `parent/label`.
    var replacingSlashes: String { split(separator: "/", omittingEmptySubsequences: false).joined(separator: "~") }
}

/// The work a worker gets for an actor: its parameters, and its steps as wire steps.
func task(for actor: Actor) -> WorkerTask {
    WorkerTask(
        actor: actor.name,
        parameters: actor.parameters.map { Argument($0.name, $0.value) },
        steps: actor.steps.map { step in
            switch step.kind {
            case .sleep(let d): return TaskStep(op: "sleep", args: [Argument("ns", String(d.nanoseconds))])
            case .emit(let name): return TaskStep(op: "emit", args: [Argument("event", name)])
            case .wait(let actor, let event):
                return TaskStep(op: "wait", args: [Argument("actor", actor), Argument("event", event)])
            case .exit(let code): return TaskStep(op: "exit", args: [Argument("code", String(code))])
            }
        })
}
