import RigModel
import Wire

/// What happened in one run, as the coordinator saw it: every actor's process, every event its
/// worker reported, and the coordinator's own steps. Kept apart from what was expected of it:
/// the checkers (`Checks`) read a history and never change it.
public struct RunHistory: Sendable {
    public var rig: Rig
    public var seed: UInt64
    /// CLOCK_MONOTONIC ns when the run began and ended (one clock for every process).
    public var startNs: UInt64
    public var endNs: UInt64
    /// The coordinator's pid (its lane in the trace).
    public var coordinatorPid: Int32
    public var actors: [ActorRecord]
    /// The coordinator's own lane: spawns, releases, kills, timeouts.
    public var coordinatorEvents: [Wire.Event]
    /// Problems of the run itself (a worker sent a malformed frame, the run timed out, ...).
    public var problems: [String]

    public init(
        rig: Rig, seed: UInt64, startNs: UInt64, endNs: UInt64, coordinatorPid: Int32,
        actors: [ActorRecord], coordinatorEvents: [Wire.Event] = [], problems: [String] = []
    ) {
        self.rig = rig
        self.seed = seed
        self.startNs = startNs
        self.endNs = endNs
        self.coordinatorPid = coordinatorPid
        self.actors = actors
        self.coordinatorEvents = coordinatorEvents
        self.problems = problems
    }

    public func actor(named name: String) -> ActorRecord? { actors.first { $0.name == name } }
}

/// How a process ended, as the kernel reported it. A non-zero exit is a result, not an error.
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(code: Int32)
    case signaled(signal: Int32)
    public var description: String {
        switch self {
        case .exited(let code): return "exited with code \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }
}

/// One actor's process through the run.
public struct ActorRecord: Sendable {
    public var name: String
    public var role: String
    /// nil when the actor was never spawned (its start condition never came).
    public var pid: Int32?
    /// CLOCK_MONOTONIC ns when the coordinator spawned it, when its hello arrived, when it ended.
    public var spawnNs: UInt64?
    public var helloNs: UInt64?
    public var endNs: UInt64?
    public var termination: Termination?
    /// The worker's own exit report, when it sent one before exiting.
    public var exitReport: Wire.ExitReport?
    /// Every operation the worker reported, in the order it reported them.
    public var events: [Wire.Event]
    /// Where its stdout and stderr were kept (with `--out DIR`).
    public var stdoutPath: String?
    public var stderrPath: String?
    /// Why the coordinator ended it or gave up on it (timeout, malformed frame, spawn failure).
    public var failure: String?

    public init(name: String, role: String) {
        self.name = name
        self.role = role
        self.events = []
    }

    /// The exit code as a Windows process returns it (3010, 1603, ...), when the process exited
    /// normally. A Linux exit status keeps only the low 8 bits, so a worker reports its whole code
    /// in its exit report just before exiting; the report is believed only when its low byte is
    /// the status the kernel gave, otherwise the status stands alone.
    public var exitCode: Int32? {
        guard let status = exitStatus else { return nil }
        if let report = exitReport, report.code & 0xff == status { return report.code }
        return status
    }

    /// The status the kernel reported for a normal exit (0...255).
    public var exitStatus: Int32? {
        guard case .exited(let status)? = termination else { return nil }
        return status
    }
}

/// The verdict on one expectation.
public struct ExpectationResult: Sendable, Equatable {
    /// The expectation as it reads, e.g. `a exits with 0`.
    public var text: String
    public var passed: Bool
    /// What was seen, e.g. `a exited with code 3`.
    public var detail: String
    public init(text: String, passed: Bool, detail: String) {
        self.text = text
        self.passed = passed
        self.detail = detail
    }
}
