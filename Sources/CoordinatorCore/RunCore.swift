import Machine
import Report
import RigModel
import WindowsModel
import Wire

/// The coordinator's logic, as a state machine with no I/O: it takes what happened
/// (`CoreInput`: worker frames, expired timers, process exits, signals) and answers with what to
/// do (`CoreCommand`: spawn, send, arm a timer, kill). The libuv shell (`RigRunner`) carries the
/// commands out; tests drive the core with no processes at all, as swift-nio's
/// `EmbeddedEventLoop` lets channel logic be tested with no sockets.
///
/// It spawns each actor when its start condition comes, gives it its task, relays named events
/// between workers, takes the machine steps (reboots, logons; CoreMachine.swift) and the faults
/// (CoreFaults.swift), and records everything in a `RunHistory`. It decides no outcome: exit
/// codes, events and failures are what the processes did.
///
/// Under a controlled schedule (Controlled.swift) it also decides which worker goes next: every
/// worker announces each operation and waits for a grant, exactly one worker runs at a time, and
/// time is virtual.
public final class RunCore {
    public let rig: Rig
    let options: RunOptions
    let machine: (any MachineAccess)?
    var processes: [ProcessState] = []
    var steps: [StepState] = []
    var faults: [FaultState] = []
    /// "owner.event" → when it was emitted. Owners are processes and machine steps.
    var emitted: [String: UInt64] = [:]
    /// "owner.event" → the processes waiting for it, in the order they asked.
    var waiters: [String: [ProcessIndex]] = [:]
    /// Processes and steps that are over, and whether each really ran.
    var over: [String: Bool] = [:]
    var coordinatorEvents: [Event] = []
    var problems: [String] = []
    var startNs: UInt64 = 0
    /// The run is over (every process and step is).
    public private(set) var done = false
    /// The run was aborted (a timeout, a signal): what a process's end would continue (a boot,
    /// a logon's next command) no longer goes on.
    var aborted = false
    /// While a reboot has stopped the machine, actors due to start wait for it to come up.
    var machineDown = false
    var deferredSpawns: [ProcessIndex] = []
    /// Continuations waiting for a set of processes to be over (a reboot waits for the processes
    /// it stops; a power loss for the processes it kills).
    var finishWatchers: [(pending: Set<ProcessIndex>, then: Continuation)] = []
    /// The signal that interrupted the run, if one did.
    public private(set) var interruptedBy: Int32?
    /// What the core has decided since the shell last took its commands.
    var commands: [CoreCommand] = []
    /// The current time: the real clock the shell passes in, or the virtual clock.
    var now: UInt64 = 0
    /// Present under a controlled schedule: virtual time, grants, the schedule so far.
    var controlled: ControlledState?

    enum Phase { case pending, scheduled, running, finished }

    /// Where a process came from, and so what its end continues.
    enum Origin {
        /// A rig actor.
        case rig
        /// A worker's child (`parent/label`): the parent hears how it ended.
        case child(parent: ProcessIndex, label: String)
        /// A boot's Session Manager: the boot goes on when it ends.
        case sessionManager(step: Int)
        /// A service or a Run entry: nothing waits for it.
        case detached
        /// The RunOnce or Run command at `action` of a logon's plan.
        case startup(step: Int, action: Int)
    }

    /// What goes on once a set of processes is over.
    enum Continuation {
        case rebootAfterStop(step: Int)
        case bootAfterPowerLoss(step: Int, fault: Int)
    }

    /// One process of the run: a rig actor, a worker's child or a boot program.
    struct ProcessState {
        let actor: Actor
        let index: ProcessIndex
        let jitterNs: UInt64
        var origin: Origin
        var phase: Phase = .pending
        var record: ActorRecord
        /// A spawn was asked of the shell and has not failed.
        var spawned = false
        var helloSeen = false
        var pipeEnded = false
        /// The coordinator killed it (a timeout, a reboot, a fault, the end of the run): a
        /// signal death it did not cause is a problem of the run.
        var killedByCoordinator = false
        /// Under a controlled schedule: where the worker stands.
        var schedule = ProcessSchedule()
        init(actor: Actor, index: ProcessIndex, jitterNs: UInt64, origin: Origin) {
            self.actor = actor
            self.index = index
            self.jitterNs = jitterNs
            self.origin = origin
            record = ActorRecord(name: actor.name, role: actor.role)
        }
        var name: String { actor.name }
    }

    /// Creates the core for one run. `machine` is how the core reads and changes the machine at
    /// boot (nil for rigs without one).
    public init(rig: Rig, options: RunOptions, machine: (any MachineAccess)?) {
        self.rig = rig
        self.options = options
        self.machine = machine
        // Jitter is drawn up front, actors then steps in file order, so it depends on the seed
        // alone and not on the order in which real timing makes start conditions come true.
        var random = SplitMix64(seed: options.seed)
        for (i, actor) in rig.actors.enumerated() {
            processes.append(
                ProcessState(actor: actor, index: i, jitterNs: random.upTo(actor.start.jitter.nanoseconds), origin: .rig))
        }
        for step in rig.machine?.steps ?? [] {
            steps.append(StepState(step: step, jitterNs: random.upTo(step.start.jitter.nanoseconds)))
        }
        for fault in rig.faults {
            var jitter = RigDuration.zero
            if case .time(let start) = fault.trigger { jitter = start.jitter }
            faults.append(FaultState(fault: fault, jitterNs: random.upTo(jitter.nanoseconds)))
        }
        if let strategy = options.schedule.strategy(seed: options.seed) { controlled = ControlledState(strategy: strategy) }
    }

    /// Takes one input at `nowNs` on the real clock (ignored under a controlled schedule, whose
    /// clock is virtual) and returns what to do about it, in order.
    public func handle(_ input: CoreInput, nowNs: UInt64) -> [CoreCommand] {
        if controlled == nil { now = nowNs }
        take(input)
        if controlled != nil { drive() }
        defer { commands = [] }
        return commands
    }

    private func take(_ input: CoreInput) {
        switch input {
        case .begin: begin()
        case .timer(let id): timerExpired(id)
        case .spawned(let p, let pid, let startNs, let endNs): spawned(p, pid: pid, startNs: startNs, endNs: endNs)
        case .spawnFailed(let p, let reason): fail(p, reason)
        case .message(let p, let message): handle(message, from: p)
        case .malformed(let p, let reason): kill(p, because: "it sent a malformed frame (\(reason))")
        case .pipeEnded(let p):
            processes[p].pipeEnded = true
            finishIfOver(p)
        case .pipeFailed(let p, let reason):
            processes[p].pipeEnded = true
            if processes[p].record.failure == nil { processes[p].record.failure = "it broke the protocol: \(reason)" }
            kill(p, because: nil)
        case .exited(let p, let status): exited(p, status)
        case .interrupted(let signal, let name):
            interruptedBy = signal
            abort("interrupted by \(name)")
        }
    }

    private func begin() {
        startNs = now
        note("run", [Argument("rig", rig.name), Argument("seed", String(options.seed))] + (controlled?.runArguments ?? []))
        arm(.run, afterNs: rig.timeout.nanoseconds)
        if controlled != nil { arm(.watchdog, afterNs: rig.timeout.nanoseconds) }
        for i in faults.indices {
            // A fault at an operation waits in its process's task, not on a timer.
            if case .operation = faults[i].fault.trigger { faults[i].phase = .scheduled }
        }
        for trigger in triggers where phase(of: trigger) == .pending {
            if case .at(let at, _) = start(of: trigger) { schedule(trigger, afterNs: at.nanoseconds) }
        }
        finishIfDone()
    }

    /// The history of the run, once it is over. `endNs` is the real clock's reading; under a
    /// controlled schedule the run ends at the virtual clock's.
    public func history(endNs realEndNs: UInt64, coordinatorPid: Int32) -> RunHistory {
        let endNs = controlled == nil ? realEndNs : now
        // The `run` slice spans the run.
        var events = coordinatorEvents
        if let run = events.firstIndex(where: { $0.op == "run" }) { events[run].endNs = endNs }
        var history = RunHistory(
            rig: rig, seed: options.seed, startNs: startNs, endNs: endNs, coordinatorPid: coordinatorPid,
            actors: processes.map(\.record), coordinatorEvents: events, problems: problems)
        history.faults = faults.map(\.record)
        history.schedule = controlled?.record(strategy: options.schedule)
        return history
    }

    // MARK: Triggers: what starts on a time, after an event or after an exit

    /// Processes, steps and faults, in that order.
    var triggers: [Trigger] {
        processes.indices.map(Trigger.process) + steps.indices.map(Trigger.step) + faults.indices.map(Trigger.fault)
    }

    func phase(of trigger: Trigger) -> Phase {
        switch trigger {
        case .process(let p): return processes[p].phase
        case .step(let s): return steps[s].phase
        case .fault(let f): return faults[f].phase
        }
    }

    func setPhase(_ phase: Phase, of trigger: Trigger) {
        switch trigger {
        case .process(let p): processes[p].phase = phase
        case .step(let s): steps[s].phase = phase
        case .fault(let f): faults[f].phase = phase
        }
    }

    func start(of trigger: Trigger) -> Start {
        switch trigger {
        case .process(let p): return processes[p].actor.start
        case .step(let s): return steps[s].step.start
        case .fault(let f): return faults[f].start
        }
    }

    private func jitter(of trigger: Trigger) -> UInt64 {
        switch trigger {
        case .process(let p): return processes[p].jitterNs
        case .step(let s): return steps[s].jitterNs
        case .fault(let f): return faults[f].jitterNs
        }
    }

    func schedule(_ trigger: Trigger, afterNs delay: UInt64) {
        guard phase(of: trigger) == .pending, !done else { return }
        setPhase(.scheduled, of: trigger)
        let total = delay + jitter(of: trigger)
        // Under a controlled schedule even a start due now goes through the timers, which fire
        // in a fixed order, so the order of processes does not depend on real timing.
        if total == 0 && controlled == nil { return fire(trigger) }
        arm(.start(trigger), afterNs: total)
    }

    private func fire(_ what: Trigger) {
        switch what {
        case .process(let p):
            if machineDown, case .rig = processes[p].origin {
                // Windows is down: what was due starts once the machine is back up.
                deferredSpawns.append(p)
            } else {
                spawn(p)
            }
        case .step(let s): take(step: s)
        case .fault(let f): trigger(fault: f)
        }
    }

    // MARK: Timers

    func arm(_ id: TimerID, afterNs delay: UInt64) {
        if let controlled, id.isVirtual {
            controlled.timers[id] = now + delay
        } else {
            commands.append(.armTimer(id, afterNs: delay))
        }
    }

    func cancel(_ id: TimerID) {
        if let controlled, id.isVirtual {
            controlled.timers[id] = nil
        } else {
            commands.append(.cancelTimer(id))
        }
    }

    func timerExpired(_ id: TimerID) {
        switch id {
        case .start(let trigger): fire(trigger)
        case .timeout(let p):
            processes[p].record.cutShort = true
            kill(p, because: "timed out after \(processes[p].actor.timeout)")
        case .pauseEnd(let f): pauseEnded(f)
        case .stopGrace(let s): stopGraceOver(s)
        case .pipeGrace(let p):
            processes[p].pipeEnded = true
            finishIfOver(p)
        case .run: abort("the run timed out after \(rig.timeout)\(controlled == nil ? "" : " of virtual time")")
        case .watchdog: abort("the run timed out after \(rig.timeout) (real time; \(controlledStandings()))")
        }
    }

    /// Disarms a process's timers.
    private func cancelTimers(of p: ProcessIndex) {
        for id in [TimerID.start(.process(p)), .timeout(p), .pipeGrace(p)] { cancel(id) }
    }

    // MARK: Processes

    /// The parameters every worker of a machine rig gets besides its own.
    private func machineParameters(for p: ProcessIndex) -> [Argument] {
        guard let machine = options.machineDirectory else { return [] }
        var random = SplitMix64(seed: options.seed ^ (UInt64(p + 1) &* 0x9E37_79B9_7F4A_7C15))
        return [Argument("machine", machine), Argument("seed", String(random.next()))]
    }

    func spawn(_ p: ProcessIndex) {
        guard processes[p].phase == .scheduled, !done else { return }
        processes[p].phase = .running
        let logBase = options.logDirectory + "/" + processes[p].name.replacingSlashes
        processes[p].record.stdoutPath = logBase + ".stdout"
        processes[p].record.stderrPath = logBase + ".stderr"
        processes[p].spawned = true
        processes[p].schedule.state = .starting
        commands.append(.spawn(p, role: processes[p].actor.role, logBase: logBase))
    }

    private func spawned(_ p: ProcessIndex, pid: Int32, startNs: UInt64, endNs: UInt64) {
        processes[p].record.pid = pid
        // The spawn, from just before posix_spawn to its return (the child's lane starts at the
        // same instant), not a moment after the child may have begun.
        let (from, to) = controlled == nil ? (startNs, endNs) : (now, now)
        processes[p].record.spawnNs = from
        coordinatorEvents.append(
            Event(startNs: from, endNs: to, op: "spawn", args: [Argument("actor", processes[p].name), Argument("pid", String(pid))]))
        arm(.timeout(p), afterNs: processes[p].actor.timeout.nanoseconds)
    }

    /// Adds and starts a process the rig does not name: a worker's child or a boot's program.
    @discardableResult
    func spawnProcess(
        name: String, role: String, parameters: [Argument], timeout: RigDuration, position: SourcePosition, origin: Origin
    ) -> ProcessIndex {
        let actor = Actor(
            name: name, role: role, timeout: timeout,
            parameters: parameters.map { Parameter(name: $0.name, value: $0.value, position: position) },
            position: position)
        let p = processes.count
        processes.append(ProcessState(actor: actor, index: p, jitterNs: 0, origin: origin))
        schedule(.process(p), afterNs: 0)
        return p
    }

    // MARK: Talking to workers

    private func handle(_ message: Message, from p: ProcessIndex) {
        guard processes[p].helloSeen || { if case .hello = message { return true } else { return false } }() else {
            kill(p, because: "it broke the protocol: \(message) before hello")
            return
        }
        switch message {
        case .hello(let hello):
            guard !processes[p].helloSeen else { return kill(p, because: "it broke the protocol: a second hello") }
            processes[p].helloSeen = true
            processes[p].record.helloNs = now
            guard hello.role == processes[p].actor.role else {
                return kill(p, because: "it says it plays '\(hello.role)', not '\(processes[p].actor.role)'")
            }
            var work = task(for: processes[p].actor)
            work.parameters += machineParameters(for: p)
            work.faultPoint = faultPoint(for: p)
            work.controlled = controlled != nil
            wake(p, with: .task(work), point: "start")
        case .event(var event):
            guard processes[p].record.events.count < rig.maxEvents else {
                return kill(p, because: "it reported more than \(rig.maxEvents) events (the rig's max_events)")
            }
            if controlled != nil { stampVirtually(&event, of: p) }
            processes[p].record.events.append(event)
            if event.op == "emit", let name = event.argument("event") {
                emit(owner: processes[p].name, event: name, ns: event.endNs)
            }
        case .await(let owner, let event):
            let key = "\(owner).\(event)"
            if owner == processes[p].name {
                wake(p, with: .unreachable(actor: owner, event: event, reason: "a process cannot wait on itself"), point: "resume")
            } else if !isOwner(owner) {
                wake(
                    p, with: .unreachable(actor: owner, event: event, reason: "no actor or machine step is named \(owner)"),
                    point: "resume")
            } else if let ns = emitted[key] {
                wake(p, with: .release(actor: owner, event: event, ns: ns), point: "resume")
            } else if let reason = neverComing(owner: owner, event: event) {
                wake(p, with: .unreachable(actor: owner, event: event, reason: reason), point: "resume")
            } else {
                waiters[key, default: []].append(p)
                processes[p].schedule.state = .blocked
            }
        case .exit(let report):
            processes[p].record.exitReport = report
        case .pong:
            break
        case .startChild(let request):
            processes[p].schedule.state = .blocked
            startChild(request, of: p)
        case .faultPoint(let point):
            processes[p].schedule.state = .blocked
            reachedFaultPoint(point, p)
        case .announce(let op):
            announced(op, delayNs: 0, opensOperation: true, by: p, message: message)
        case .delay(let ns):
            announced("sleep", delayNs: ns, opensOperation: false, by: p, message: message)
        case .task, .release, .unreachable, .stop, .ping, .childExited, .proceed, .grant:
            kill(p, because: "it broke the protocol: it sent \(message), which only the coordinator sends")
        }
    }

    /// Whether `name` can emit events: a process or a machine step of the run.
    private func isOwner(_ name: String) -> Bool {
        processes.contains { $0.name == name } || steps.contains { $0.name == name }
    }

    /// Sends `message` to a worker. A worker that is gone (killed, or its pipe ended) gets
    /// nothing: its exit is what the run records, not the failed write.
    func send(_ message: Message, to p: ProcessIndex) {
        guard processes[p].spawned, !processes[p].pipeEnded else { return }
        commands.append(.send(p, message))
    }

    /// Lets a blocked worker go on with `message` (its task, a release, a child's end, ...): at
    /// once when running free; under a controlled schedule when the strategy grants it, as the
    /// scheduling point `point`.
    func wake(_ p: ProcessIndex, with message: Message, point: String) {
        guard controlled != nil else { return send(message, to: p) }
        // A process that is over (a reboot stopped it while it waited) waits for nothing.
        guard processes[p].phase == .running, processes[p].schedule.state != .ending else { return }
        processes[p].schedule.ready(message, point: point, at: now)
    }

    /// A worker starts a child process (setup runs the installer, a service runs ngen): it is
    /// spawned as a process of its own, `<parent>/<label>`, with the parent's time limit, and the
    /// parent hears how it ended.
    private func startChild(_ request: ChildRequest, of parent: ProcessIndex) {
        let name = "\(processes[parent].name)/\(request.label)"
        // When the parent asked: where the trace's arrow to the child begins.
        note("start_child", [Argument("actor", processes[parent].name), Argument("child", name)])
        guard processes.allSatisfy({ $0.name != name || $0.phase == .finished }) else {
            wake(parent, with: .childExited(label: request.label, pid: 0, code: 0, detail: "\(name) is already running"), point: "resume")
            return
        }
        spawnProcess(
            name: name, role: request.role, parameters: request.parameters, timeout: processes[parent].actor.timeout,
            position: processes[parent].actor.position, origin: .child(parent: parent, label: request.label))
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
        for p in waiters.removeValue(forKey: key) ?? [] {
            wake(p, with: .release(actor: owner, event: event, ns: ns), point: "resume")
            note("release", [Argument("actor", processes[p].name), Argument("event", key)])
        }
        for trigger in triggers where phase(of: trigger) == .pending {
            if case .afterEvent(owner, event, let delay, _) = start(of: trigger) {
                schedule(trigger, afterNs: delay.nanoseconds)
            }
        }
    }

    /// Why `owner.event` can no longer happen, or nil while it still can.
    func neverComing(owner: String, event: String) -> String? {
        guard let ran = over[owner] else { return nil }
        return ran ? "\(owner) exited without emitting \(event)" : "\(owner) never started"
    }

    // MARK: Ends

    private func exited(_ p: ProcessIndex, _ status: TerminationStatus) {
        processes[p].record.endNs = now
        processes[p].record.termination = status
        processes[p].schedule.state = .ending
        note("exit", [Argument("actor", processes[p].name), Argument("status", status.description)])
        if case .signaled(let signal) = status, !processes[p].killedByCoordinator, processes[p].record.failure == nil {
            // Nothing the rig asked for killed it: something outside the run did, or it crashed.
            processes[p].record.failure = "killed by signal \(signal), which the rig did not inject"
        }
        if !processes[p].pipeEnded {
            // Frames still in the pipe are read first; a descendant that kept the pipe's other
            // end open must not hold the run, so the pipe is closed after a short grace.
            arm(.pipeGrace(p), afterNs: 250_000_000)
        }
        finishIfOver(p)
    }

    private func finishIfOver(_ p: ProcessIndex) {
        guard processes[p].phase == .running, processes[p].pipeEnded, processes[p].record.termination != nil else { return }
        if let broken = protocolBreach(p), processes[p].record.failure == nil {
            processes[p].record.failure = "it broke the protocol: \(broken)"
        }
        finished(p)
    }

    /// How a worker that exited by itself broke the protocol, if it did: every worker says
    /// hello first and reports its exit code last, and that code's low byte is its status.
    private func protocolBreach(_ p: ProcessIndex) -> String? {
        let state = processes[p]
        guard case .exited(let status)? = state.record.termination, !state.killedByCoordinator else { return nil }
        guard state.helloSeen else { return "it exited (status \(status)) without saying hello" }
        guard let report = state.record.exitReport else { return "it exited (status \(status)) without an exit report" }
        guard report.code & 0xff == status else {
            return "its exit report says \(report.code), but its process status was \(status)"
        }
        return nil
    }

    /// The process could not be run at all; the report lists `reason` as its failure.
    private func fail(_ p: ProcessIndex, _ reason: String) {
        processes[p].record.failure = reason
        processes[p].spawned = false
        finished(p)
    }

    func kill(_ p: ProcessIndex, because reason: String?) {
        if let reason, processes[p].record.failure == nil {
            // No pid here: the text names a problem, and a JUnit test case after it, which must
            // read the same from run to run (the pid is in the record beside it).
            processes[p].record.failure = "\(reason); killed"
        }
        note("kill", [Argument("actor", processes[p].name), Argument("reason", reason ?? "stopped")])
        processes[p].killedByCoordinator = true
        if processes[p].spawned { commands.append(.kill(p)) }
        processes[p].pipeEnded = true
        processes[p].schedule.state = .ending
        finishIfOver(p)
    }

    /// A process is over: its process ended (or never will run). Unblock what depended on it.
    func finished(_ p: ProcessIndex) {
        guard processes[p].phase != .finished else { return }
        processes[p].phase = .finished
        processes[p].schedule.state = .over
        cancelTimers(of: p)
        if processes[p].spawned { commands.append(.close(p)) }
        let origin = processes[p].origin
        processes[p].origin = .detached
        switch aborted ? .detached : origin {
        case .child(let parent, let label):
            let record = processes[p].record
            wake(
                parent,
                with: .childExited(
                    label: label, pid: record.pid ?? 0, code: record.exitCode ?? -1,
                    detail: record.exitCode == nil || record.failure != nil ? record.outcome : ""),
                point: "resume")
        case .sessionManager(let step): sessionManagerEnded(step: step, p)
        case .startup(let step, let action): startupCommandEnded(step: step, action: action, p)
        case .rig, .detached: break
        }
        for i in finishWatchers.indices { finishWatchers[i].pending.remove(p) }
        let ready = finishWatchers.filter { $0.pending.isEmpty }
        finishWatchers.removeAll { $0.pending.isEmpty }
        for watcher in ready { go(on: watcher.then) }
        ownerIsOver(processes[p].name, ran: processes[p].record.pid != nil)
    }

    /// A process or a step is over: whoever waits for one of its events that never came will not
    /// get it, and what starts after it (or after an event it never emitted) starts or never will.
    func ownerIsOver(_ name: String, ran: Bool) {
        over[name] = ran
        for key in waiters.keys.sorted() where key.hasPrefix(name + ".") {
            let event = String(key.dropFirst(name.count + 1))
            let reason = neverComing(owner: name, event: event) ?? "\(name) is over"
            for p in waiters.removeValue(forKey: key) ?? [] {
                wake(p, with: .unreachable(actor: name, event: event, reason: reason), point: "resume")
            }
        }
        for trigger in triggers where phase(of: trigger) == .pending {
            switch start(of: trigger) {
            case .afterExit(name, let delay, _) where ran:
                schedule(trigger, afterNs: delay.nanoseconds)
            case .afterExit(name, _, _):
                neverStarted(trigger, "\(name) never started")
            case .afterEvent(name, let event, _, _) where emitted["\(name).\(event)"] == nil:
                neverStarted(trigger, neverComing(owner: name, event: event) ?? "\(name) is over")
            default: break
            }
        }
        finishIfDone()
    }

    func neverStarted(_ trigger: Trigger, _ reason: String) {
        switch trigger {
        case .fault(let f): missed(f, reason)
        case .process(let p):
            processes[p].record.failure = "never started: \(reason)"
            finished(p)
        case .step(let s) where steps[s].phase != .finished:
            problems.append("machine step \(steps[s].name) was never taken: \(reason)")
            steps[s].phase = .finished
            cancelTimers(ofStep: s)
            ownerIsOver(steps[s].name, ran: false)
        case .step: break
        }
    }

    func finishIfDone() {
        guard !done, processes.allSatisfy({ $0.phase == .finished }), steps.allSatisfy({ $0.phase == .finished }) else { return }
        done = true
        closeFaults()
        note("end")
        // No process outlives its run: whatever a worker started is in its group, which the
        // shell kills when the worker is reaped; one still running is killed here.
        for state in processes where state.spawned { commands.append(.signal(state.index, .kill)) }
        commands.append(.finish)
    }

    /// Ends the run now: kills every running worker's group, gives up on the rest.
    func abort(_ reason: String) {
        guard !done else { return }
        aborted = true
        problems.append(reason)
        note("abort", [Argument("reason", reason)])
        finishWatchers = []
        // How a process the run stops or gives up on would have ended is not known.
        for p in processes.indices where processes[p].phase != .finished { processes[p].record.cutShort = true }
        for trigger in processes.indices.map(Trigger.process) + steps.indices.map(Trigger.step) {
            switch (phase(of: trigger), trigger) {
            case (.running, .process(let p)): kill(p, because: reason)
            case (.running, .step(let s)):
                steps[s].phase = .finished
                cancelTimers(ofStep: s)
                ownerIsOver(steps[s].name, ran: true)
            case (.pending, _), (.scheduled, _): neverStarted(trigger, reason)
            default: break
            }
        }
    }

    /// A problem of the run the shell met (a frame it could not send, a timer it could not arm).
    public func report(problem: String) { problems.append(problem) }

    /// A process's name (`installer`, `reboot1/smss`).
    public func processName(_ p: ProcessIndex) -> String { processes[p].name }

    func note(_ op: String, _ args: [Argument] = [], result: OperationResult = .ok) {
        coordinatorEvents.append(Event(startNs: now, endNs: now, op: op, args: args, result: result))
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
            case .sleep(let d): return .sleep(ns: d.nanoseconds)
            case .emit(let name): return .emit(event: name)
            case .wait(let actor, let event): return .wait(actor: actor, event: event)
            case .exit(let code): return .exit(code: code)
            }
        })
}
