/// One run as the timeline page draws it: a lane per process, every operation, the machine's
/// boot phases, the arrows between processes and the verdicts. Times are nanoseconds since the
/// run began.
///
/// It is built from a `RunHistory` in the process that ran the rig (`rig run --html`) or read
/// back from the run's trace (`rig report TRACE --html`); both give the same timeline, since the
/// trace carries everything the page shows (TimelineTests checks that).
public struct RunTimeline: Sendable, Equatable {
    /// One process of the run.
    public struct Lane: Sendable, Equatable {
        /// Its name in the run (`sp1`, `setup/msiexec`, `reboot1/smss`) and role.
        public var name: String
        public var role: String
        /// How the trace names its lane: `sp1 (installer)`, `reboot1/smss`.
        public var label: String
        /// nil when it never started; then `from`, `hello` and `to` are nil too.
        public var pid: Int32?
        /// Spawn, hello and end (or the end of the run, if it outlived it).
        public var from: Int64?
        public var hello: Int64?
        public var to: Int64?
        /// What became of it (`exited with code 3010 (process status 194)`).
        public var outcome: String
        /// Why the coordinator ended it or gave up on it, if it did.
        public var failure: String?

        public init(
            name: String, role: String, label: String, pid: Int32?, from: Int64?, hello: Int64?, to: Int64?, outcome: String,
            failure: String?
        ) {
            self.name = name
            self.role = role
            self.label = label
            self.pid = pid
            self.from = from
            self.hello = hello
            self.to = to
            self.outcome = outcome
            self.failure = failure
        }
    }

    /// An operation's argument, as the worker reported it.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One operation a worker reported.
    public struct Operation: Sendable, Equatable {
        /// The index of its process in `lanes`.
        public var lane: Int
        public var from: Int64
        public var to: Int64
        /// `replace`, `load`, `sleep`, ...
        public var name: String
        public var arguments: [Field]
        /// `ok`, `ERROR_SHARING_VIOLATION (32)`, `unknown: killed by signal 9`, ...
        public var result: String

        public init(lane: Int, from: Int64, to: Int64, name: String, arguments: [Field], result: String) {
            self.lane = lane
            self.from = from
            self.to = to
            self.name = name
            self.arguments = arguments
            self.result = result
        }

        /// How its result is coloured.
        public var outcome: OperationOutcome { OperationOutcome(operation: name, result: result) }
    }

    /// A span of the machine lane: a step (`reboot1`) or one of its phases (`shutdown`,
    /// `Session Manager`, `services`, `logon`, `RunOnce`).
    public struct MachineSpan: Sendable, Equatable {
        public var step: String
        public var name: String
        public var from: Int64
        public var to: Int64
        public init(step: String, name: String, from: Int64, to: Int64) {
            self.step = step
            self.name = name
            self.from = from
            self.to = to
        }
    }

    /// An arrow between lanes (see `RunFlow`).
    public struct Arrow: Sendable, Equatable {
        /// `release`, `child` or `start`.
        public var kind: String
        /// The lane it begins on; nil for the machine lane.
        public var from: Int?
        public var fromNs: Int64
        public var to: Int
        public var toNs: Int64
        public var label: String
        public init(kind: String, from: Int?, fromNs: Int64, to: Int, toNs: Int64, label: String) {
            self.kind = kind
            self.from = from
            self.fromNs = fromNs
            self.to = to
            self.toNs = toNs
            self.label = label
        }
    }

    /// An expectation and its verdict.
    public struct Verdict: Sendable, Equatable {
        public var text: String
        /// `pass`, `fail` or `unknown`.
        public var verdict: String
        public var detail: String
        public init(text: String, verdict: String, detail: String) {
            self.text = text
            self.verdict = verdict
            self.detail = detail
        }
    }

    public var rig: String
    public var file: String
    public var seed: String
    /// `virtual` under a controlled schedule (times are the virtual clock's), else `real`.
    public var clock: String
    /// The controlled schedule's strategy and digest, if there was one.
    public var schedule: String?
    public var digest: String?
    /// How long the run took.
    public var duration: Int64
    /// Processes that started, in the trace's order (actors in rig order, each followed by what
    /// it started, then what the boots started), then those that never started.
    public var lanes: [Lane]
    /// Every operation, lane by lane, each lane's in the order reported.
    public var operations: [Operation]
    public var machine: [MachineSpan]
    public var arrows: [Arrow]
    public var expectations: [Verdict]
    /// The run's own problems (the run timed out, a malformed frame); see `problems`.
    public var runProblems: [String]
    /// Every expectation held and there was no problem.
    public var passed: Bool

    public init(
        rig: String, file: String, seed: String, clock: String, schedule: String?, digest: String?, duration: Int64, lanes: [Lane],
        operations: [Operation], machine: [MachineSpan], arrows: [Arrow], expectations: [Verdict], runProblems: [String], passed: Bool
    ) {
        self.rig = rig
        self.file = file
        self.seed = seed
        self.clock = clock
        self.schedule = schedule
        self.digest = digest
        self.duration = duration
        self.lanes = lanes
        self.operations = operations
        self.machine = machine
        self.arrows = arrows
        self.expectations = expectations
        self.runProblems = runProblems
        self.passed = passed
    }

    /// The run's problems, then each process's failure (`actor 'x': timed out after 5s`), in lane
    /// order.
    public var problems: [String] {
        runProblems + lanes.compactMap { lane in lane.failure.map { "actor '\(lane.name)': \($0)" } }
    }

    /// The machine's boots: the first from the run's start, then one per reboot or power loss
    /// (a step with a `shutdown` phase), from when the machine went down. Each lane belongs to
    /// the boot it was spawned in (see `boot(of:)`).
    public var boots: [(name: String, from: Int64)] {
        [("boot 1", Int64.min)] + machine.filter { $0.name == "shutdown" }.map { ($0.step, $0.to) }
    }

    /// The index in `boots` of the boot a lane was spawned in; nil for a process that never
    /// started.
    public func boot(of lane: Int) -> Int? {
        guard let from = lanes[lane].from else { return nil }
        return boots.lastIndex { $0.from <= from }
    }
}

/// How an operation ended, as the page colours it. One rule, from the operation's name and its
/// result as the trace spells it (`OperationResult.description`).
public enum OperationOutcome: String, Sendable, CaseIterable {
    /// `ok`.
    case ok
    /// `ok` with a note (`ok queued=1 resume=0`).
    case note
    /// A plain `ok` of a `sleep` or a `wait`: time spent idle.
    case idle
    /// `ERROR_SHARING_VIOLATION (32)`.
    case sharingViolation = "sharing"
    /// `ERROR_ACCESS_DENIED (5)`.
    case accessDenied = "denied"
    /// A `load` that failed, or any result `failed to load ...` (ngen without mscorwks.dll).
    case failedLoad = "load"
    /// Any other failure.
    case failed
    /// `unknown: REASON`: the process died before its outcome was known.
    case unknown

    public init(operation: String, result: String) {
        if result == "ok" {
            self = operation == "sleep" || operation == "wait" ? .idle : .ok
        } else if result.hasPrefix("ok ") {
            self = .note
        } else if result.hasPrefix("unknown:") || result == "unknown" {
            self = .unknown
        } else if operation == "load" || result.hasPrefix("failed to load") {
            self = .failedLoad
        } else if result.hasPrefix("ERROR_SHARING_VIOLATION (32)") {
            self = .sharingViolation
        } else if result.hasPrefix("ERROR_ACCESS_DENIED (5)") {
            self = .accessDenied
        } else {
            self = .failed
        }
    }

    /// Whether the operation succeeded (plain, with a note, or idle).
    public var succeeded: Bool { self == .ok || self == .note || self == .idle }

    /// Its colour on the page (and in the legend).
    public var color: String {
        switch self {
        case .ok: return "#4e79a7"
        case .note: return "#76b7b2"
        case .idle: return "#c5cfdb"
        case .sharingViolation: return "#f28e2b"
        case .accessDenied: return "#e15759"
        case .failedLoad: return "#b07aa1"
        case .failed: return "#8c1c13"
        case .unknown: return "#7f7f7f"
        }
    }

    /// The legend's words for it.
    public var legend: String {
        switch self {
        case .ok: return "ok"
        case .note: return "ok, with a note"
        case .idle: return "sleep / wait"
        case .sharingViolation: return "sharing violation (32)"
        case .accessDenied: return "access denied (5)"
        case .failedLoad: return "failed load"
        case .failed: return "other failure"
        case .unknown: return "outcome unknown"
        }
    }
}
