import Report
import Wire

/// Where a worker stands under a controlled schedule.
struct ProcessSchedule {
    enum State {
        /// Not started, or the run is free.
        case idle
        /// Spawned; it has not said hello yet.
        case starting
        /// Granted: it runs until it announces its next operation or blocks.
        case running
        /// Waiting for something the core has not given yet (an event, a child's end, a fault).
        case blocked
        /// Waiting for a grant: `wake` is what the grant sends.
        case ready
        /// Stopped or killed; its exit has not been seen yet.
        case ending
        case over
    }
    var state = State.idle
    /// What a grant sends it: `grant` after an announcement, or the task, a release, a child's
    /// end, `proceed`.
    var wake: Message?
    /// What it waits to do, as the schedule names it: an operation (`replace`), `sleep`,
    /// `start`, `resume`.
    var point = ""
    /// Whether the point is an operation that will report an event.
    var opensOperation = false
    /// The virtual time from which it may be granted (a sleep's end).
    var readyAt: UInt64 = 0
    /// Stopped by a pause fault.
    var paused = false
    /// Operations granted whose events have not come: name and virtual start, innermost last.
    var openOperations: [(op: String, startNs: UInt64)] = []

    mutating func ready(_ message: Message, point: String, at time: UInt64, opensOperation: Bool = false) {
        state = .ready
        wake = message
        self.point = point
        readyAt = time
        self.opensOperation = opensOperation
    }

    /// Whether the core must wait for this process before granting anyone: it is running, or
    /// about to say hello, or about to end.
    var isBusy: Bool {
        switch state {
        case .starting, .running, .ending: return true
        case .idle, .blocked, .ready, .over: return false
        }
    }
}

/// The core's state under a controlled schedule: the virtual clock's timers, the strategy and
/// the grants made so far.
final class ControlledState {
    let strategy: any SchedulingStrategy
    /// Virtual timers: when each is due.
    var timers: [TimerID: UInt64] = [:]
    var grants: [Grant] = []
    var lastGranted: ProcessIndex?
    /// Why the strategy could not go on (a replayed schedule that does not fit the rig).
    var mismatch: String?
    /// The worker chosen at the last recorded grant, not yet sent on its way (a sleeper whose
    /// sleep ends after a timer that must fire first).
    var chosen: ProcessIndex?

    /// How far virtual time moves with an operation: a millisecond, so that a trace of a
    /// controlled run reads like one of a real run (how long operations really took is the
    /// schedule's business: see `drive`).
    public static let operationNs: UInt64 = 1_000_000
    /// Any other grant (a start, a wake-up, the end of a sleep) moves time on by a microsecond,
    /// so that everything has an order and a width on the trace.
    static let quantumNs: UInt64 = 1_000

    init(strategy: any SchedulingStrategy) { self.strategy = strategy }

    var runArguments: [Argument] {
        [Argument("schedule", strategy.name), Argument("clock", "virtual")]
    }

    func record(strategy mode: ScheduleMode) -> RunSchedule {
        RunSchedule(
            strategy: strategy.name, depth: mode.depth, expectedSteps: mode.expectedSteps, grants: grants, mismatch: mismatch)
    }
}

/// A process a strategy may grant: its index (processes are numbered in the order the run
/// created them), its name and the point it waits at.
public struct SchedulingChoice: Sendable, Equatable {
    public var process: ProcessIndex
    public var name: String
    public var point: String
    /// It sleeps, and its sleep is not over by the virtual clock: granting it moves time on.
    public var isAsleep: Bool
    public init(process: ProcessIndex, name: String, point: String, isAsleep: Bool = false) {
        self.process = process
        self.name = name
        self.point = point
        self.isAsleep = isAsleep
    }
}

/// Decides which waiting worker goes next under a controlled schedule. Everything it draws comes
/// from the run's seed, so the same seed gives the same choices.
public protocol SchedulingStrategy: AnyObject {
    /// `random`, `pct`, `replay`.
    var name: String { get }
    /// Picks one of `choices` (never empty, in process order) for grant number `step` (from 1);
    /// `last` is the process granted before. Throws when it cannot (a replayed schedule that
    /// does not fit the run).
    func choose(_ choices: [SchedulingChoice], step: Int, last: ProcessIndex?) throws(ScheduleMismatch) -> Int
    /// `process` went to sleep: it has nothing to do for a while (PCT lowers its priority).
    func yielded(_ process: ProcessIndex)
}

extension SchedulingStrategy {
    public func yielded(_ process: ProcessIndex) {}
}

/// A replayed schedule asked for something the run cannot do.
public struct ScheduleMismatch: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The choice a strategy makes when it has no reason to make another: the process granted last,
/// if it may go on and is awake, else the first awake in process order, else the first asleep.
/// Time then passes as the clock says. A schedule is stored as its departures from this rule
/// (`RunSchedule.deviations`), so the fewer a failing schedule has, the simpler it is to read.
public func defaultChoice(_ choices: [SchedulingChoice], last: ProcessIndex?) -> Int {
    if let last, let i = choices.firstIndex(where: { $0.process == last && !$0.isAsleep }) { return i }
    return choices.firstIndex { !$0.isAsleep } ?? 0
}

extension RunCore {
    /// Under a controlled schedule, after each input: while no worker is running (or starting,
    /// or ending), fire the timers that are due, or grant one waiting worker, or, when none is
    /// waiting, move virtual time on to the next timer.
    ///
    /// A sleeping worker waits too, and may be granted before its sleep is over by the clock:
    /// the other processes' operations take an unknown time, so the schedule decides how much of
    /// their work the sleep covered. Its grant moves virtual time to the sleep's end (timers due
    /// before then fire first), so no sleep is ever shorter than asked.
    func drive() {
        guard let controlled else { return }
        while !done {
            if processes.contains(where: { $0.schedule.isBusy }) { return }
            let dueTimer = controlled.timers.min { ($0.value, $0.key) < ($1.value, $1.key) }
            if let (id, due) = dueTimer, due <= now {
                controlled.timers[id] = nil
                timerExpired(id)
                continue
            }
            if let p = controlled.chosen {
                // A sleeper was chosen and its grant recorded: what was due before its sleep's
                // end comes first, then it goes (unless that stopped it).
                guard processes[p].schedule.state == .ready, !processes[p].schedule.paused else {
                    controlled.chosen = nil
                    continue
                }
                if let (_, due) = dueTimer, due <= processes[p].schedule.readyAt {
                    now = max(now, due)
                    continue
                }
                now = max(now, processes[p].schedule.readyAt)
                controlled.chosen = nil
                return deliver(p)
            }
            let waiting = processes.indices.filter { processes[$0].schedule.state == .ready && !processes[$0].schedule.paused }
            guard !waiting.isEmpty else {
                guard let (_, due) = dueTimer else {
                    abort("nothing can go on: every process waits for something no process will do")
                    continue
                }
                now = max(now, due)
                continue
            }
            let choices = waiting.map {
                SchedulingChoice(
                    process: $0, name: processes[$0].name, point: processes[$0].schedule.point,
                    isAsleep: processes[$0].schedule.readyAt > now)
            }
            let step = controlled.grants.count + 1
            let chosen: Int
            do { chosen = try controlled.strategy.choose(choices, step: step, last: controlled.lastGranted) } catch {
                controlled.mismatch = error.description
                abort("the schedule does not fit the run: \(error)")
                continue
            }
            record(choices, chosen, controlled)
            // The grant is one step of the schedule whatever happens before it is delivered.
            controlled.chosen = choices[chosen].process
        }
    }

    /// Records grant number `grants.count + 1`: who, at which point, and how it departs from the
    /// default choice.
    private func record(_ choices: [SchedulingChoice], _ chosen: Int, _ controlled: ControlledState) {
        let p = choices[chosen].process
        let usual = defaultChoice(choices, last: controlled.lastGranted)
        let lastCouldGoOn = choices.contains { $0.process == controlled.lastGranted && !$0.isAsleep }
        controlled.grants.append(
            Grant(
                process: processes[p].name, point: processes[p].schedule.point, isDeviation: chosen != usual,
                isPreemption: lastCouldGoOn && p != controlled.lastGranted))
        controlled.lastGranted = p
    }

    /// Lets the granted worker go: sends what it waits for.
    private func deliver(_ p: ProcessIndex) {
        var schedule = processes[p].schedule
        if schedule.opensOperation { schedule.openOperations.append((schedule.point, now)) }
        let message = schedule.wake!
        schedule.wake = nil
        schedule.state = .running
        processes[p].schedule = schedule
        now += schedule.opensOperation ? ControlledState.operationNs : ControlledState.quantumNs
        send(message, to: p)
    }

    /// Where each live process stands, for a controlled run that stopped moving:
    /// `installer running, ngen ready at load`.
    func controlledStandings() -> String {
        let live = processes.filter { $0.phase == .running || $0.schedule.isBusy }
        guard !live.isEmpty else { return "no process was running" }
        return live.map { state in
            switch state.schedule.state {
            case .ready: return "\(state.name) waiting at \(state.schedule.point)"
            default: return "\(state.name) \(state.schedule.state) (\(state.phase))"
            }
        }.joined(separator: ", ")
    }

    /// A worker announced its next operation (`announce`) or a sleep (`delay`): it waits for a
    /// grant, which comes no sooner than `delayNs` of virtual time from now.
    func announced(_ op: String, delayNs: UInt64, opensOperation: Bool, by p: ProcessIndex, message: Message) {
        guard controlled != nil else {
            return kill(p, because: "it broke the protocol: it sent \(message), but the run is not under a controlled schedule")
        }
        guard processes[p].schedule.state == .running else {
            return kill(p, because: "it broke the protocol: it sent \(message) while it was not running")
        }
        processes[p].schedule.ready(.grant, point: op, at: now + delayNs, opensOperation: opensOperation)
        if !opensOperation { controlled?.strategy.yielded(p) }
    }

    /// Under a controlled schedule events carry virtual time: an operation starts when it was
    /// granted and ends when its event comes.
    func stampVirtually(_ event: inout Event, of p: ProcessIndex) {
        event.startNs = now
        if let i = processes[p].schedule.openOperations.lastIndex(where: { $0.op == event.op }) {
            event.startNs = processes[p].schedule.openOperations[i].startNs
            processes[p].schedule.openOperations.remove(at: i)
        }
        event.endNs = now
    }
}
