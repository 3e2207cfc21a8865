import Report
import RigModel
import Testing
import WindowsModel
import Wire

@testable import CoordinatorCore
@testable import Machine

// The one fake shell of these tests: it drives a `RunCore` with no processes, as swift-nio's
// `EmbeddedEventLoop` drives channel logic with no sockets. Inputs go in one at a time, every
// command that comes out is recorded, spawns are answered at once with a fake pid, real timers
// are kept in a table and fire only when a test says so, and workers are either played by hand
// (`hello`, `emit`, `await`, `exit`) or by `ScriptedWorker`, which plays a task as the real
// `script` role does, announcing each operation under a controlled schedule.

/// A machine that is only values: services and a startup plan to hand out, and a record of what
/// the core asked of it.
final class FakeMachine: MachineAccess {
    let directory = "/fake/machine"
    var services: [BootService] = []
    var plan: [StartupAction] = []
    var hasServiceManager = true
    /// What the core asked, in order: `flush`, `services`, `plan admin`, `delete NAME`, `power`.
    private(set) var calls: [String] = []
    private(set) var deleted: [String] = []
    var flushes: Int { calls.filter { $0 == "flush" }.count }

    func flushWrites() { calls.append("flush") }
    func losePower(atNs: UInt64?) -> [String] {
        calls.append("power")
        return []
    }
    func autoStartServices() throws -> [BootService]? {
        calls.append("services")
        return hasServiceManager ? services : nil
    }
    func startupPlan(logon who: Logon) throws -> [StartupAction] {
        calls.append("plan \(who.rawValue)")
        return plan
    }
    func deleteStartupValue(_ action: StartupAction) throws {
        calls.append("delete \(action.entry.name)")
        deleted.append(action.entry.name)
    }

    /// An auto-start service whose program is `<role>.exe`.
    static func service(_ name: String, role: String) -> BootService {
        BootService(name: name, command: BootCommand("C:\\Windows\\System32\\\(role).exe"))
    }

    /// The plan Windows's rules give an administrator for these entries.
    static func plan(_ entries: [StartupEntry], logon: Logon = .admin) -> [StartupAction] {
        StartupRules.plan(entries, logon: logon)
    }
}

/// A rig from YAML text (as `RigLoader` reads rig files).
func rig(_ yaml: String) throws -> Rig {
    try RigLoader.parse(yaml: yaml, file: "test.yaml")
}

/// The fake shell around one core.
final class FakeShell {
    let core: RunCore
    let machine: FakeMachine?
    /// Workers are played by `ScriptedWorker`s; otherwise the test plays them by hand.
    let autoplay: Bool
    /// Every command the core gave, in order.
    private(set) var log: [CoreCommand] = []
    /// Real timers armed and neither fired nor cancelled: when each is due on the fake clock.
    private(set) var timers: [TimerID: UInt64] = [:]
    /// The fake real clock: it moves only when a test fires a timer or moves it.
    var clock: UInt64 = 5_000_000_000
    /// The core said `finish`.
    private(set) var finished = false
    /// Under a controlled schedule: the worker granted and still running, and every grant made
    /// while another worker was running.
    private(set) var running: ProcessIndex?
    private(set) var overlappingGrants: [String] = []
    /// Played workers, by process.
    private(set) var workers: [ProcessIndex: ScriptedWorker] = [:]
    /// Played workers (by name) that do not stop when asked.
    var ignoresStop: Set<String> = []
    /// Processes whose spawn fails, by name, and why.
    var failSpawns: [String: String] = [:]
    private var inputs: [CoreInput] = []

    init(
        _ rig: Rig, schedule: ScheduleMode = .free, seed: UInt64 = 1, machine: FakeMachine? = nil, autoplay: Bool = false,
        roleExists: @escaping @Sendable (String) -> Bool = { _ in true }
    ) {
        self.machine = machine
        self.autoplay = autoplay
        let options = RunOptions(
            seed: seed, workerExecutable: "/fake/rig-worker", logDirectory: "/fake/logs", stopGraceNs: 500_000_000,
            machineDirectory: machine?.directory, roleExists: roleExists, schedule: schedule)
        core = RunCore(rig: rig, options: options, machine: machine)
    }

    var isControlled: Bool { core.controlled != nil }

    // MARK: Feeding the core

    /// Feeds `input`, then whatever the fake processes answer, until nothing is left to feed;
    /// returns every command that came of it, in order.
    @discardableResult
    func feed(_ input: CoreInput) -> [CoreCommand] {
        let first = log.count
        inputs.append(input)
        var fed = 0
        while !inputs.isEmpty {
            fed += 1
            guard fed <= 10_000 else {
                Issue.record("the core and the fake workers are still talking after 10,000 inputs: a livelock")
                inputs = []
                break
            }
            let next = inputs.removeFirst()
            watchGrants(next)
            let commands = core.handle(next, nowNs: clock)
            log += commands
            for command in commands { carry(command) }
        }
        return Array(log[first...])
    }

    @discardableResult
    func begin() -> [CoreCommand] { feed(.begin) }

    /// Fires a real timer the core armed (and has not cancelled), moving the fake clock to it.
    @discardableResult
    func fire(_ id: TimerID) -> [CoreCommand] {
        guard let due = timers.removeValue(forKey: id) else {
            Issue.record("the test fires \(id), which the core has not armed (armed: \(timers.keys.sorted()))")
            return []
        }
        clock = max(clock, due)
        return feed(.timer(id))
    }

    /// Runs a played run to its end: fires the armed real timers in due order until the core
    /// finishes (a played run under a controlled schedule needs none).
    func runToEnd(maxTimers: Int = 100) {
        var fired = 0
        while !finished, fired < maxTimers, let (id, _) = timers.min(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            fire(id)
            fired += 1
        }
    }

    /// A worker's end as the shell sees it: its exit report, the kernel's status, the end of its
    /// pipe. `pipe: false` leaves the pipe open.
    private func ended(_ p: ProcessIndex, code: Int32, report: Bool = true, pipe: Bool = true) -> [CoreInput] {
        (report ? [.message(p, .exit(ExitReport(code: code, ns: clock)))] : [])
            + [.exited(p, .exited(code: code & 0xff))] + (pipe ? [.pipeEnded(p)] : [])
    }

    private func carry(_ command: CoreCommand) {
        switch command {
        case .spawn(let p, let role, _):
            if let reason = failSpawns[core.processName(p)] { return inputs.append(.spawnFailed(p, reason: reason)) }
            inputs.append(.spawned(p, pid: Self.pid(p), startNs: clock, endNs: clock + 1_000))
            if autoplay {
                let name = core.processName(p)
                let worker = ScriptedWorker(p, role: role, shell: self)
                worker.ignoresStop = ignoresStop.contains(name)
                workers[p] = worker
                inputs.append(.message(p, .hello(Hello(role: role, pid: Self.pid(p), mainNs: clock))))
            }
        case .send(let p, let message):
            if isControlled && message.isWake {
                if let other = running {
                    overlappingGrants.append("\(core.processName(p)) was sent \(message) while \(core.processName(other)) ran")
                }
                running = p
            }
            workers[p]?.receive(message)
        case .armTimer(let id, let ns): timers[id] = clock + ns
        case .cancelTimer(let id): timers[id] = nil
        case .kill(let p):
            // SIGKILL: the process dies; the core has already stopped reading its pipe.
            if workers.removeValue(forKey: p) != nil { inputs.append(.exited(p, .signaled(signal: 9))) }
        case .signal, .close: break
        case .finish: finished = true
        }
    }

    /// A worker that announces, sleeps, waits, starts a child or ends is no longer running.
    private func watchGrants(_ input: CoreInput) {
        switch input {
        case .message(let p, let message) where p == running:
            switch message {
            case .announce, .delay, .await, .startChild, .faultPoint: running = nil
            default: break
            }
        case .exited(let p, _) where p == running: running = nil
        default: break
        }
    }

    /// What a played worker says goes in after the input being handled.
    fileprivate func say(_ p: ProcessIndex, _ message: Message) { inputs.append(.message(p, message)) }
    fileprivate func worker(_ p: ProcessIndex, exits code: Int32) {
        workers[p] = nil
        inputs += ended(p, code: code)
    }

    static func pid(_ p: ProcessIndex) -> Int32 { 1000 + Int32(p) }

    // MARK: Playing a worker by hand

    /// The process of that name (rig actors first, then children and boot programs as started).
    func index(_ name: String) throws -> ProcessIndex {
        try #require(core.processes.firstIndex { $0.name == name }, "no process \(name)")
    }

    @discardableResult
    func hello(_ p: ProcessIndex) -> [CoreCommand] {
        feed(.message(p, .hello(Hello(role: core.processes[p].actor.role, pid: Self.pid(p), mainNs: clock))))
    }

    @discardableResult
    func emit(_ p: ProcessIndex, _ event: String, at ns: UInt64? = nil) -> [CoreCommand] {
        let ns = ns ?? clock
        return feed(.message(p, .event(Event(startNs: ns, endNs: ns, op: "emit", args: [Argument("event", event)]))))
    }

    @discardableResult
    func await(_ p: ProcessIndex, _ owner: String, _ event: String) -> [CoreCommand] {
        feed(.message(p, .await(actor: owner, event: event)))
    }

    /// The worker reports `code` and exits; `pipe: false` keeps its pipe open (a descendant holds it).
    @discardableResult
    func exit(_ p: ProcessIndex, code: Int32 = 0, pipe: Bool = true) -> [CoreCommand] {
        let first = log.count
        for input in ended(p, code: code, pipe: pipe) { feed(input) }
        return Array(log[first...])
    }

    // MARK: Reading the log

    /// The messages sent to `p`, in order.
    func sent(to p: ProcessIndex) -> [Message] {
        log.compactMap { if case .send(p, let message) = $0 { return message } else { return nil } }
    }

    /// The processes spawned, in order.
    var spawned: [ProcessIndex] {
        log.compactMap { if case .spawn(let p, _, _) = $0 { return p } else { return nil } }
    }

    /// The timers armed on the real clock, in order.
    var armed: [TimerID] {
        log.compactMap { if case .armTimer(let id, _) = $0 { return id } else { return nil } }
    }

    func history() -> RunHistory { core.history(endNs: clock, coordinatorPid: 1) }

    func record(_ name: String) -> ActorRecord {
        guard let state = core.processes.first(where: { $0.name == name }) else {
            Issue.record("no process \(name)")
            return ActorRecord(name: name, role: "")
        }
        return state.record
    }

    /// The first operation `op` a process reported (with `event=NAME` when given).
    func event(_ name: String, _ op: String, _ event: String? = nil) throws -> Event {
        try #require(record(name).events.first { $0.op == op && (event == nil || $0.argument("event") == event) })
    }

    /// The run's schedule so far (nil when free).
    var schedule: RunSchedule? { history().schedule }
}

extension [CoreCommand] {
    func spawns(_ p: ProcessIndex) -> Bool { contains { if case .spawn(p, _, _) = $0 { return true } else { return false } } }
    var spawned: [ProcessIndex] { compactMap { if case .spawn(let p, _, _) = $0 { return p } else { return nil } } }
    /// The messages sent, to whom.
    var sends: [(ProcessIndex, Message)] { compactMap { if case .send(let p, let m) = $0 { return (p, m) } else { return nil } } }
}

extension Message {
    /// What lets a waiting worker go on: under a controlled schedule only a grant sends it.
    var isWake: Bool {
        switch self {
        case .task, .grant, .release, .unreachable, .childExited, .proceed: return true
        default: return false
        }
    }
    var isTask: Bool { if case .task = self { return true } else { return false } }
}

/// A fake worker that plays its task as the `script` role does (`sleep`, `emit`, `wait`,
/// `exit`), with the same conversation as `PipeSession`: under a controlled schedule it announces
/// each operation and waits for a grant, and a sleep is a `delay`. A worker of another role (a
/// boot program) has no steps and exits 0 once it has its task.
final class ScriptedWorker {
    let p: ProcessIndex
    let role: String
    unowned let shell: FakeShell
    var ignoresStop = false
    private(set) var task: WorkerTask?
    private var pc = 0
    /// What the next grant, release or unreachable continues.
    private var resume: ((Message) -> Void)?

    init(_ p: ProcessIndex, role: String, shell: FakeShell) {
        self.p = p
        self.role = role
        self.shell = shell
    }

    private var controlled: Bool { task?.controlled ?? false }

    func receive(_ message: Message) {
        switch message {
        case .task(let task):
            self.task = task
            next()
        case .stop:
            if !ignoresStop { shell.worker(p, exits: 1) }
        case .ping(let n): shell.say(p, .pong(n))
        case .grant, .release, .unreachable, .childExited, .proceed:
            let go = resume
            resume = nil
            go?(message)
        default: break
        }
    }

    private func next() {
        guard let task, pc < task.steps.count else { return shell.worker(p, exits: 0) }
        let step = task.steps[pc]
        pc += 1
        switch step {
        case .sleep(let ns):
            perform("sleep", [Argument("duration_ns", String(ns))]) { done in
                guard self.controlled else { return done(.ok) }
                self.shell.say(self.p, .delay(ns: ns))
                self.resume = { _ in done(.ok) }
            }
        case .emit(let event):
            perform("emit", [Argument("event", event)]) { done in done(.ok) }
        case .wait(let actor, let event):
            var failed = false
            perform(
                "wait", [Argument("for", "\(actor).\(event)")],
                { done in
                    self.shell.say(self.p, .await(actor: actor, event: event))
                    self.resume = { answer in
                        if case .unreachable(_, _, let reason) = answer {
                            failed = true
                            done(.failed(code: nil, name: nil, detail: "unreachable: \(reason)"))
                        } else {
                            done(.ok)
                        }
                    }
                },
                then: { failed ? self.shell.worker(self.p, exits: 1) : self.next() })
        case .exit(let code):
            perform("exit", [Argument("code", String(code))], { done in done(.ok) }, then: { self.shell.worker(self.p, exits: code) })
        }
    }

    /// An operation: announced (controlled), done, reported; then `then` (the next step).
    private func perform(
        _ op: String, _ args: [Argument], _ body: @escaping (@escaping (OperationResult) -> Void) -> Void, then: (() -> Void)? = nil
    ) {
        let go = {
            let start = self.shell.clock
            body { result in
                self.shell.say(self.p, .event(Event(startNs: start, endNs: self.shell.clock, op: op, args: args, result: result)))
                (then ?? self.next)()
            }
        }
        guard controlled else { return go() }
        shell.say(p, .announce(op: op))
        resume = { _ in go() }
    }
}
