import LibUV
import Report
import RigModel
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// Runs one rig: spawns each actor as a `rig-worker` process when its start condition comes,
/// gives it its task over its pipe, relays named events between workers, and records
/// everything that happened in a `RunHistory`. It decides no outcome: exit codes, events and
/// failures are what the processes did.
///
/// Every worker leads its own process group (uv_spawn's detached mode), so signalling the group
/// reaches what the worker started too. On an actor's timeout, the run's timeout, SIGINT or
/// SIGTERM the coordinator kills those groups; at the end of the run it kills every group it
/// created, so no process outlives its run. A worker whose pipe closes exits by itself.
public final class RigRunner {
    private let rig: Rig
    private let options: RunOptions
    private let loop: EventLoop
    private var actors: [ActorState] = []
    private var emitted: [String: UInt64] = [:]
    private var waiters: [String: [Int]] = [:]
    private var coordinatorEvents: [Event] = []
    private var problems: [String] = []
    private var startNs: UInt64 = 0
    private var done = false
    private var housekeeping: [Handle] = []
    /// The signal that interrupted the run, if one did.
    public private(set) var interruptedBy: Int32?

    private enum Phase { case pending, scheduled, running, finished }

    private final class ActorState {
        let actor: Actor
        let index: Int
        let jitterNs: UInt64
        var record: ActorRecord
        var phase: Phase = .pending
        var process: ChildProcess?
        var pipe: FramedPipe?
        var timers: [Timer] = []
        var helloSeen = false
        var pipeEnded = false
        /// For a child process a worker started: its parent and the label it gave.
        var parent: (index: Int, label: String)?
        init(actor: Actor, index: Int, jitterNs: UInt64) {
            self.actor = actor
            self.index = index
            self.jitterNs = jitterNs
            record = ActorRecord(name: actor.name, role: actor.role)
        }
        var name: String { actor.name }
    }

    public init(rig: Rig, options: RunOptions) throws {
        self.rig = rig
        self.options = options
        loop = try EventLoop()
        // Jitter is drawn up front, in actor order, so it depends on the seed alone and not on
        // the order in which real timing makes start conditions come true.
        var random = SeededRandom(seed: options.seed)
        for (i, actor) in rig.actors.enumerated() {
            let jitter: RigDuration
            switch actor.start {
            case .at(_, let j), .afterEvent(_, _, _, let j), .afterExit(_, _, let j): jitter = j
            }
            actors.append(ActorState(actor: actor, index: i, jitterNs: random.upTo(jitter.nanoseconds)))
        }
    }

    /// Runs the rig to its end and returns what happened.
    public func run() -> RunHistory {
        // Whoever started us may have blocked signals (some process launchers do): libuv must see
        // SIGCHLD to reap workers, and SIGINT/SIGTERM must reach the watchers below.
        unblockSignals([SIGCHLD, SIGINT, SIGTERM])
        startNs = MonotonicClock.now()
        note("run", [Argument("rig", rig.name), Argument("seed", String(options.seed))])
        do {
            for signal in [SIGINT, SIGTERM] {
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
        for state in actors {
            if case .at(let at, _) = state.actor.start { schedule(state, afterNs: at.nanoseconds) }
        }
        finishIfDone()
        if !done { loop.run() }
        let endNs = MonotonicClock.now()
        loop.close()
        return RunHistory(
            rig: rig, seed: options.seed, startNs: startNs, endNs: endNs, coordinatorPid: getpid(),
            actors: actors.map(\.record), coordinatorEvents: coordinatorEvents, problems: problems)
    }

    // MARK: Starting actors

    private func schedule(_ state: ActorState, afterNs delay: UInt64) {
        guard state.phase == .pending, !done else { return }
        state.phase = .scheduled
        let total = delay + state.jitterNs
        if total == 0 {
            spawn(state)
            return
        }
        do {
            let timer = try Timer(loop: loop)
            state.timers.append(timer)
            try timer.start(afterNanoseconds: total) { [unowned self] in
                timer.close()
                self.spawn(state)
            }
        } catch {
            fail(state, "cannot schedule its start: \(error)")
        }
    }

    private func spawn(_ state: ActorState) {
        guard state.phase == .scheduled, !done else { return }
        state.phase = .running
        let logBase = options.logDirectory + "/" + state.name
        state.record.stdoutPath = logBase + ".stdout"
        state.record.stderrPath = logBase + ".stderr"
        let out = open(logBase + ".stdout", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let err = open(logBase + ".stderr", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer {
            if out >= 0 { close(out) }
            if err >= 0 { close(err) }
        }
        guard out >= 0, err >= 0 else {
            fail(state, "cannot create its log files under \(options.logDirectory): \(String(cString: strerror(errno)))")
            return
        }
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
            note("spawn", [Argument("actor", state.name), Argument("pid", String(process.pid))])
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

    // MARK: Talking to workers

    private func received(_ event: FramedPipe.ReadEvent, from state: ActorState) {
        switch event {
        case .end:
            state.pipeEnded = true
            finishIfOver(state)
        case .error(let message):
            state.pipeEnded = true
            kill(state, because: "its control pipe failed: \(message)")
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
            send(.task(task(for: state.actor)), to: state)
        case .event(let event):
            state.record.events.append(event)
            if event.op == "emit", let name = event.argument("event") {
                emit(actor: state, event: name, ns: event.endNs)
            }
        case .await(let actor, let event):
            let key = "\(actor).\(event)"
            if let ns = emitted[key] {
                send(.release(actor: actor, event: event, ns: ns), to: state)
            } else if let reason = neverComing(actor: actor, event: event) {
                send(.unreachable(actor: actor, event: event, reason: reason), to: state)
            } else {
                waiters[key, default: []].append(state.index)
            }
        case .exit(let report):
            state.record.exitReport = report
        case .pong:
            break
        case .startChild(let request):
            startChild(request, of: state)
        case .task, .release, .unreachable, .stop, .ping, .childExited:
            kill(state, because: "it broke the protocol: it sent \(message), which only the coordinator sends")
        }
    }

    private func send(_ message: Message, to state: ActorState) {
        guard let pipe = state.pipe, pipe.isOpen else { return }
        do { try pipe.send(message) } catch {
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
        let actor = Actor(
            name: name, role: request.role, timeout: parent.actor.timeout,
            parameters: request.parameters.map { Parameter(name: $0.name, value: $0.value, position: parent.actor.position) },
            position: parent.actor.position)
        let child = ActorState(actor: actor, index: actors.count, jitterNs: 0)
        child.parent = (parent.index, request.label)
        actors.append(child)
        schedule(child, afterNs: 0)
    }

    /// A named event happened: release whoever waits for it and start whoever starts after it.
    private func emit(actor state: ActorState, event: String, ns: UInt64) {
        let key = "\(state.name).\(event)"
        guard emitted[key] == nil else { return }
        emitted[key] = ns
        for index in waiters.removeValue(forKey: key) ?? [] {
            send(.release(actor: state.name, event: event, ns: ns), to: actors[index])
            note("release", [Argument("actor", actors[index].name), Argument("event", key)])
        }
        for other in actors where other.phase == .pending {
            if case .afterEvent(state.name, event, let delay, _) = other.actor.start {
                schedule(other, afterNs: delay.nanoseconds)
            }
        }
    }

    /// Why `actor.event` can no longer happen, or nil while it still can.
    private func neverComing(actor: String, event: String) -> String? {
        guard let target = actors.first(where: { $0.name == actor }), target.phase == .finished else { return nil }
        return target.record.pid == nil
            ? "\(actor) never started" : "\(actor) exited without emitting \(event)"
    }

    // MARK: Ends

    private func exited(_ state: ActorState, _ status: TerminationStatus) {
        state.record.endNs = MonotonicClock.now()
        switch status {
        case .exited(let code): state.record.termination = .exited(code: code)
        case .signaled(let signal): state.record.termination = .signaled(signal: signal)
        }
        note("exit", [Argument("actor", state.name), Argument("status", status.description)])
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
        finished(state)
    }

    /// The actor could not be run at all; the report lists `reason` as its failure.
    private func fail(_ state: ActorState, _ reason: String) {
        state.record.failure = reason
        finished(state)
    }

    private func kill(_ state: ActorState, because reason: String) {
        if state.record.failure == nil {
            state.record.failure = "\(reason); killed (pid \(state.record.pid.map(String.init) ?? "-"))"
        }
        note("kill", [Argument("actor", state.name), Argument("reason", reason)])
        state.process?.signalGroup(SIGKILL)
        state.process?.kill(SIGKILL)
        state.pipe?.stopReading()
        state.pipeEnded = true
        finishIfOver(state)
    }

    /// An actor is over: its process ended (or never will run). Unblock what depended on it.
    private func finished(_ state: ActorState) {
        guard state.phase != .finished else { return }
        state.phase = .finished
        for timer in state.timers { timer.close() }
        state.timers = []
        state.pipe?.close()
        state.process?.close()
        if let (parentIndex, label) = state.parent {
            let detail: String
            switch state.record.termination {
            case .exited?: detail = state.record.failure ?? ""
            case .signaled(let signal)?: detail = state.record.failure ?? "killed by signal \(signal)"
            case nil: detail = state.record.failure ?? "never started"
            }
            send(.childExited(label: label, pid: state.record.pid ?? 0, code: state.record.exitCode ?? -1, detail: detail),
                 to: actors[parentIndex])
        }
        // Whoever waits for an event of this actor that never came will not get it.
        for (key, indices) in waiters where key.hasPrefix(state.name + ".") {
            let event = String(key.dropFirst(state.name.count + 1))
            let reason = neverComing(actor: state.name, event: event) ?? "\(state.name) is over"
            waiters[key] = nil
            for index in indices { send(.unreachable(actor: state.name, event: event, reason: reason), to: actors[index]) }
        }
        for other in actors where other.phase == .pending {
            switch other.actor.start {
            case .afterExit(state.name, let delay, _) where state.record.pid != nil:
                schedule(other, afterNs: delay.nanoseconds)
            case .afterExit(state.name, _, _):
                neverStarted(other, "\(state.name) never started")
            case .afterEvent(state.name, let event, _, _) where emitted["\(state.name).\(event)"] == nil:
                neverStarted(other, neverComing(actor: state.name, event: event) ?? "\(state.name) is over")
            default: break
            }
        }
        finishIfDone()
    }

    private func neverStarted(_ state: ActorState, _ reason: String) {
        state.record.failure = "never started: \(reason)"
        finished(state)
    }

    private func finishIfDone() {
        guard !done, actors.allSatisfy({ $0.phase == .finished }) else { return }
        done = true
        note("end")
        // No process outlives its run: whatever a worker started is in its group.
        for state in actors { state.process?.signalGroup(SIGKILL) }
        for handle in housekeeping { handle.close() }
    }

    /// Ends the run now: kills every running worker's group, gives up on the rest.
    private func abort(_ reason: String) {
        guard !done else { return }
        problems.append(reason)
        note("abort", [Argument("reason", reason)])
        for state in actors {
            switch state.phase {
            case .running: kill(state, because: reason)
            case .pending, .scheduled: neverStarted(state, reason)
            case .finished: break
            }
        }
    }

    private func interrupted(_ signal: Int32) {
        interruptedBy = signal
        abort("interrupted by \(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)")")
    }

    private func note(_ op: String, _ args: [Argument] = []) {
        let now = MonotonicClock.now()
        coordinatorEvents.append(Event(startNs: now, endNs: now, op: op, args: args))
    }
}

/// The work a worker gets for an actor: its parameters, and its steps as wire steps.
func task(for actor: Actor) -> Task {
    Task(
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
