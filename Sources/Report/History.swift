import RigModel
import WindowsModel
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
    /// The machine as it stood when the run ended (rigs with a `machine:`).
    public var machine: MachineSnapshot?
    /// The rig's faults and what became of each, in rig order.
    public var faults: [FaultRecord] = []
    /// Under a controlled schedule: the grants, in order (nil when the run was free). Times in
    /// such a run are virtual.
    public var schedule: RunSchedule?

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

/// One of the rig's faults (`faults:`) and what became of it.
public struct FaultRecord: Sendable, Equatable {
    /// Its name (`fault1`, ...) and how it reads (`kill installer before its replace #2`).
    public var name: String
    public var text: String
    /// The process it targets.
    public var process: String
    /// Whether it was carried out; `detail` says what it did, or why not.
    public var injected = false
    public var detail = ""
    /// When it was injected (CLOCK_MONOTONIC ns), and into which pid.
    public var ns: UInt64?
    public var pid: Int32?
    public init(name: String, text: String, process: String) {
        self.name = name
        self.text = text
        self.process = process
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
    public var termination: Wire.TerminationStatus?
    /// The worker's own exit report, when it sent one before exiting.
    public var exitReport: Wire.ExitReport?
    /// Every operation the worker reported, in the order it reported them.
    public var events: [Wire.Event]
    /// Where its stdout and stderr were kept (with `--out DIR`).
    public var stdoutPath: String?
    public var stderrPath: String?
    /// Why the coordinator ended it or gave up on it (timeout, malformed frame, spawn failure).
    public var failure: String?
    /// The rig's faults injected into it (`kill installer before its replace #2`), in order:
    /// a process a fault killed ended as the rig asked, not unexpectedly.
    public var faults: [String] = []
    /// The coordinator stopped it, or gave up starting it, because a time limit ran out — the
    /// actor's own `timeout` or the run's — or the run was interrupted: not for anything it did
    /// or the rig asked for. How it would have ended is not known, so an expectation about its
    /// exit (or what it loaded) is judged `unknown` rather than failed.
    public var cutShort = false

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

/// A checker's verdict on one expectation, with what was seen: it held, it did not, or the
/// history cannot say (Jepsen's valid? true, false and :unknown).
public enum Verdict: Sendable, Equatable {
    /// It held.
    case pass(String)
    /// It did not hold.
    case fail(String)
    /// It cannot be judged from what happened: a process it is about was stopped by a time limit
    /// or an interruption before it ended, an operation it counts has an unknown outcome. A run
    /// with an unknown verdict does not pass.
    case unknown(String)

    /// What was seen, e.g. `exited with code 3`, `timed out after 5s; killed (killed by signal 9)`.
    public var reason: String {
        switch self {
        case .pass(let reason), .fail(let reason), .unknown(let reason): return reason
        }
    }

    /// Whether the expectation held.
    public var passed: Bool {
        if case .pass = self { return true }
        return false
    }

    /// `pass`, `fail` or `unknown`, as the results record's `verdict` field says it.
    public var name: String {
        switch self {
        case .pass: return "pass"
        case .fail: return "fail"
        case .unknown: return "unknown"
        }
    }

    /// `pass` when `held`, `fail` otherwise.
    public init(_ held: Bool, _ reason: String) {
        self = held ? .pass(reason) : .fail(reason)
    }
}

/// The verdict on one expectation.
public struct ExpectationResult: Sendable, Equatable {
    /// The expectation as it reads, e.g. `a exits with 0`.
    public var text: String
    public var verdict: Verdict
    public init(text: String, verdict: Verdict) {
        self.text = text
        self.verdict = verdict
    }
    /// A result that passed or failed (never unknown).
    public init(text: String, passed: Bool, detail: String) {
        self.init(text: text, verdict: Verdict(passed, detail))
    }
    /// Whether it held (`verdict` is `pass`).
    public var passed: Bool { verdict.passed }
    /// What was seen, e.g. `a exited with code 3`.
    public var detail: String { verdict.reason }
}

/// A machine's state, read from its directory at the end of a run: what the results record's
/// `machine` field and the machine expectations are about.
public struct MachineSnapshot: Sendable, Equatable {
    /// Windows path → version (nil when the file has no version stamp), every file on drive C.
    public var files: [(path: String, version: String?)]
    /// Assembly → `fresh` | `stale` | `missing`, and why when not fresh.
    public var nativeImages: [(assembly: String, status: String, reasons: [String])]
    /// Renames queued for the next boot, as `rig fs pending` prints them.
    public var pendingRenames: [String]
    /// Registered services: name and command line.
    public var services: [(name: String, commandLine: String)]
    /// Run and RunOnce values (HKLM and HKCU): key (`HKLM\...\RunOnce`), name, command line.
    public var run: [(key: String, name: String, commandLine: String)]
    public var runOnce: [(key: String, name: String, commandLine: String)]
    /// Files whose size or bytes do not match the version their header carries (a write cut
    /// short): Windows path and why. Empty when every versioned file is whole.
    public var damaged: [(path: String, reason: String)]
    /// Every registry value (HKLM and HKCU) at the end: the key as `RegistryKeyPath` spells it
    /// (`HKLM\SOFTWARE\...`), the value's name (empty for the default value) and its data, keys
    /// depth-first in name order. What `registry` expectations are judged against.
    public var registry: [(key: String, name: String, value: RegistryValue)] = []

    public init(
        files: [(path: String, version: String?)] = [], nativeImages: [(assembly: String, status: String, reasons: [String])] = [],
        pendingRenames: [String] = [], services: [(name: String, commandLine: String)] = [],
        run: [(key: String, name: String, commandLine: String)] = [],
        runOnce: [(key: String, name: String, commandLine: String)] = [],
        damaged: [(path: String, reason: String)] = []
    ) {
        self.damaged = damaged
        self.files = files
        self.nativeImages = nativeImages
        self.pendingRenames = pendingRenames
        self.services = services
        self.run = run
        self.runOnce = runOnce
    }

    public static func == (a: MachineSnapshot, b: MachineSnapshot) -> Bool {
        a.files.elementsEqual(b.files, by: { $0 == $1 })
            && a.nativeImages.elementsEqual(
                b.nativeImages, by: { $0.assembly == $1.assembly && $0.status == $1.status && $0.reasons == $1.reasons })
            && a.pendingRenames == b.pendingRenames
            && a.services.elementsEqual(b.services, by: { $0 == $1 })
            && a.run.elementsEqual(b.run, by: { $0 == $1 }) && a.runOnce.elementsEqual(b.runOnce, by: { $0 == $1 })
            && a.damaged.elementsEqual(b.damaged, by: { $0 == $1 })
            && a.registry.elementsEqual(b.registry, by: { $0.key == $1.key && $0.name == $1.name && $0.value == $1.value })
    }
}

extension ActorRecord {
    /// The images the process loaded: Windows path → version, from its `load` events that
    /// succeeded (a later load of the same path replaces an earlier one). Paths that differ only
    /// in case name one file, as on Windows: listed once, spelled as first loaded.
    public var loaded: [(path: String, version: String)] {
        var order: [String] = []
        var spelling: [String: String] = [:]
        var versions: [String: String] = [:]
        for event in events where event.op == "load" && event.result.isOK {
            guard let path = event.argument("path"), let version = event.argument("version") else { continue }
            let key = (try? WindowsPath(path))?.folded.description ?? WindowsPath.foldedName(path)
            if versions[key] == nil {
                order.append(key)
                spelling[key] = path
            }
            versions[key] = version
        }
        return order.map { (spelling[$0]!, versions[$0]!) }
    }
}
