/// The schedule of a run under a controlled schedule: which worker was granted at each step, at
/// which point. It is what makes a run replayable: the same grants in the same order give the
/// same operations in the same order, so the same outcome.
public struct RunSchedule: Sendable, Equatable {
    /// `random`, `pct` or `replay`.
    public var strategy: String
    /// PCT's depth and the number of steps its change points were drawn over.
    public var depth: Int?
    public var expectedSteps: Int?
    /// Every grant, in order.
    public var grants: [Grant]
    /// Why a replayed schedule could not be followed, if it could not.
    public var mismatch: String?

    public init(strategy: String, depth: Int? = nil, expectedSteps: Int? = nil, grants: [Grant] = [], mismatch: String? = nil) {
        self.strategy = strategy
        self.depth = depth
        self.expectedSteps = expectedSteps
        self.grants = grants
        self.mismatch = mismatch
    }

    /// The grants that departed from the default choice (the last process granted if it may go
    /// on, else the first waiting in process order): all a replay needs besides the rig.
    public var deviations: [Deviation] {
        grants.enumerated().compactMap { i, grant in grant.isDeviation ? Deviation(step: i + 1, process: grant.process) : nil }
    }

    /// How many grants switched away from a worker that could have gone on.
    public var preemptions: Int { grants.filter(\.isPreemption).count }

    /// A digest of the granted order (FNV-1a, 64 bits, over `process point` lines): two runs with
    /// the same digest did the same operations in the same order.
    public var digest: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for grant in grants {
            for byte in "\(grant.process) \(grant.point)\n".utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// One grant of a controlled schedule.
public struct Grant: Sendable, Equatable {
    /// The process granted (`windowsupdate`, `reboot1/RunOnce-NetFxUpdate/ngen`).
    public var process: String
    /// The point it was waiting at: an operation (`replace`, `load`), `sleep`, `start`, `resume`.
    public var point: String
    /// It was not the default choice.
    public var isDeviation: Bool
    /// The process granted before could have gone on, and this grant switched away from it.
    public var isPreemption: Bool
    public init(process: String, point: String, isDeviation: Bool = false, isPreemption: Bool = false) {
        self.process = process
        self.point = point
        self.isDeviation = isDeviation
        self.isPreemption = isPreemption
    }
}

/// A grant that departed from the default choice: at step `step` (from 1), `process` went.
public struct Deviation: Sendable, Equatable, Hashable {
    public var step: Int
    public var process: String
    public init(step: Int, process: String) {
        self.step = step
        self.process = process
    }
}

/// A process's `ordinal`-th grant of a run (from 1): `installer` #12.
public struct GrantRef: Sendable, Equatable, Hashable {
    public var process: String
    public var ordinal: Int
    public init(process: String, ordinal: Int) {
        self.process = process
        self.ordinal = ordinal
    }
}

/// A deviation anchored to the grant before it rather than to a step number: "right after
/// `after`, grant `grant`". Taking one deviation out of a schedule moves every later step, so a
/// step-numbered deviation no longer lands where it did; an anchored one still does whenever the
/// same operations happen in the same relative order (shrinking uses these).
public struct AnchoredDeviation: Sendable, Equatable, Hashable {
    /// The grant just before; nil for the first grant of the run.
    public var after: GrantRef?
    public var grant: GrantRef
    public init(after: GrantRef?, grant: GrantRef) {
        self.after = after
        self.grant = grant
    }
}

extension RunSchedule {
    /// The deviations, each anchored to the grant before it.
    public var anchoredDeviations: [AnchoredDeviation] {
        var counts: [String: Int] = [:]
        var previous: GrantRef?
        var anchored: [AnchoredDeviation] = []
        for grant in grants {
            counts[grant.process, default: 0] += 1
            let this = GrantRef(process: grant.process, ordinal: counts[grant.process]!)
            if grant.isDeviation { anchored.append(AnchoredDeviation(after: previous, grant: this)) }
            previous = this
        }
        return anchored
    }
}
