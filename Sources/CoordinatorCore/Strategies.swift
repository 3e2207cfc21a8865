import Report
import WindowsModel

/// How a run is scheduled (`rig run --schedule`).
public enum ScheduleMode: Sendable, Equatable {
    /// Workers run at full speed; races happen by real timing (the default).
    case free
    /// Controlled: each step grants a waiting worker drawn uniformly with the seed.
    case random
    /// Controlled: PCT with depth `depth` (Burckhardt et al., ASPLOS 2010): workers get random
    /// priorities, the highest-priority waiting worker goes, and at `depth - 1` steps drawn over
    /// `1...steps` the worker about to go drops to the lowest priority.
    case pct(depth: Int, steps: Int)
    /// Controlled: the deviations of a saved schedule, the default choice elsewhere; a deviation
    /// whose process is not waiting at its step is an error.
    case replay([Deviation])
    /// Controlled: anchored deviations, the default choice elsewhere; one whose anchor does not
    /// come, or whose process is not then waiting, is skipped. Shrinking tries these: a schedule
    /// with a deviation taken out, which may no longer fit exactly.
    case shrink([AnchoredDeviation])

    /// The strategy for a run with `seed`, nil when the run is free.
    func strategy(seed: UInt64) -> (any SchedulingStrategy)? {
        switch self {
        case .free: return nil
        case .random: return RandomStrategy(seed: seed)
        case .pct(let depth, let steps): return PCTStrategy(seed: seed, depth: depth, steps: steps)
        case .replay(let deviations): return ReplayStrategy(deviations: deviations)
        case .shrink(let deviations): return AnchoredReplayStrategy(deviations: deviations)
        }
    }

    /// Whether a scheduler grants the operations one at a time (every mode but `free`).
    public var isControlled: Bool { self != .free }

    var depth: Int? {
        if case .pct(let depth, _) = self { return depth }
        return nil
    }

    var expectedSteps: Int? {
        if case .pct(_, let steps) = self { return steps }
        return nil
    }

    /// PCT's default number of steps to draw change points over: about the grants of one run of
    /// the race rig (140 to 154); `--steps` sets another.
    public static let defaultPCTSteps = 150
    /// PCT's default depth: one change point, the depth that finds ordering bugs between two
    /// processes.
    public static let defaultPCTDepth = 2
}

/// The strategies draw from a stream of their own, apart from the jitter the run draws from the
/// same seed.
private func strategyRandom(_ seed: UInt64) -> SplitMix64 { SplitMix64(seed: seed ^ 0x5C4E_D01E_5C4E_D01E) }

/// Grants a waiting worker drawn uniformly at each step (a random walk over schedules).
public final class RandomStrategy: SchedulingStrategy {
    private var random: SplitMix64
    public init(seed: UInt64) { random = strategyRandom(seed) }
    public var name: String { "random" }
    public func choose(_ choices: [SchedulingChoice], step: Int, last: ProcessIndex?) -> Int {
        Int(random.upTo(UInt64(choices.count - 1)))
    }
}

/// PCT (probabilistic concurrency testing): each process gets a random priority when it first
/// waits; the waiting process with the highest priority goes; at each of `depth - 1` change
/// points (steps drawn uniformly from `1...steps`) the process about to go drops below every
/// other. A bug that needs `d` ordering constraints is found with probability at least
/// 1/(n·k^(d-1)) per run, for n processes and k steps.
public final class PCTStrategy: SchedulingStrategy {
    private var random: SplitMix64
    /// Processes by priority, highest first.
    public private(set) var priorities: [ProcessIndex] = []
    /// The steps at which the process about to go is demoted.
    public let changePoints: Set<Int>
    public init(seed: UInt64, depth: Int, steps: Int) {
        random = strategyRandom(seed)
        var points = Set<Int>()
        let wanted = min(max(depth - 1, 0), max(steps, 1))
        while points.count < wanted { points.insert(1 + Int(random.upTo(UInt64(max(steps, 1) - 1)))) }
        changePoints = points
    }
    /// The last step whose change point was applied (a step can be decided twice when a timer
    /// comes due first).
    private var changedAt = 0
    public var name: String { "pct" }
    public func choose(_ choices: [SchedulingChoice], step: Int, last: ProcessIndex?) -> Int {
        for choice in choices where !priorities.contains(choice.process) {
            priorities.insert(choice.process, at: Int(random.upTo(UInt64(priorities.count))))
        }
        func best() -> Int {
            let rank = choices.map { choice in priorities.firstIndex(of: choice.process)! }
            return rank.indices.min { rank[$0] < rank[$1] }!
        }
        if changePoints.contains(step) && changedAt != step {
            changedAt = step
            demote(choices[best()].process)
        }
        return best()
    }

    /// A process that sleeps yields: it drops below every other, so a worker polling for a lock
    /// does not keep the lock's holder from running.
    public func yielded(_ process: ProcessIndex) {
        if priorities.contains(process) { demote(process) }
    }

    private func demote(_ process: ProcessIndex) {
        priorities.removeAll { $0 == process }
        priorities.append(process)
    }
}

/// Follows a saved schedule's deviations and takes the default choice elsewhere.
public final class ReplayStrategy: SchedulingStrategy {
    private let deviations: [Int: String]
    public init(deviations: [Deviation]) {
        self.deviations = Dictionary(deviations.map { ($0.step, $0.process) }, uniquingKeysWith: { first, _ in first })
    }
    public var name: String { "replay" }
    public func choose(_ choices: [SchedulingChoice], step: Int, last: ProcessIndex?) throws(ScheduleMismatch) -> Int {
        guard let wanted = deviations[step] else { return defaultChoice(choices, last: last) }
        if let i = choices.firstIndex(where: { $0.name == wanted }) { return i }
        throw ScheduleMismatch(
            "at step \(step) the schedule grants \(wanted), which is not waiting (waiting: \(choices.map(\.name).joined(separator: ", ")))"
        )
    }
}

/// Follows anchored deviations (`RunSchedule.anchoredDeviations`): right after the anchor grant,
/// the deviation's process goes if it waits for that grant of its own; the default choice
/// everywhere else. It never fails to fit: what no longer applies is skipped. Each `choose` is
/// one grant (the core asks once per step), so it counts the grants itself.
public final class AnchoredReplayStrategy: SchedulingStrategy {
    private let deviations: [GrantRef?: [GrantRef]]
    private var counts: [String: Int] = [:]
    private var previous: GrantRef?
    public init(deviations: [AnchoredDeviation]) {
        self.deviations = Dictionary(grouping: deviations, by: \.after).mapValues { $0.map(\.grant) }
    }
    public var name: String { "replay" }
    public func choose(_ choices: [SchedulingChoice], step: Int, last: ProcessIndex?) -> Int {
        let wanted = deviations[previous] ?? []
        let chosen =
            choices.firstIndex { choice in wanted.contains(GrantRef(process: choice.name, ordinal: counts[choice.name, default: 0] + 1)) }
            ?? defaultChoice(choices, last: last)
        let name = choices[chosen].name
        counts[name, default: 0] += 1
        previous = GrantRef(process: name, ordinal: counts[name]!)
        return chosen
    }
}
