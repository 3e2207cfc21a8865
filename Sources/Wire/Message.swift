/// The messages between `rig` (the coordinator) and `rig-worker`, one per frame.
///
/// A conversation:
///
///     worker       hello(role, pid, ns)                      once, first
///     coordinator  task(actor, parameters, steps)            once, the work to do (a script's
///                                                            steps as `ScriptStep`s)
///     worker       event(startNs, endNs, op, args, result)   one per operation, as it happens
///                                                            (result: ok, failed or unknown)
///     worker       await(actor, event)                       a script waits for another actor
///     coordinator  release(actor, event, ns)                 ...which has happened
///     coordinator  unreachable(actor, event, reason)         ...or never will
///     coordinator  stop                                      end now (reboot, timeout)
///     coordinator  ping(n) / worker pong(n)                 liveness and latency, any time the
///                                                            worker's loop runs (sleep, wait)
///     worker       startChild(label, role, parameters)      start a child process (setup runs
///                                                            the installer, a service runs ngen)
///     coordinator  childExited(label, pid, code, detail)    ...it has ended (pid 0: never started)
///     worker       faultPoint(op, nth)                       reached the operation its task's
///                                                            fault point names; waits, not doing it
///     coordinator  proceed                                   ...go on (after a pause); a kill needs
///                                                            no answer
///     worker       exit(code, ns, detail)                    last, just before the process exits
///
/// Under a controlled schedule (the task says so) a worker also asks before each operation:
///
///     worker       announce(op)                              about to do `op`; waits
///     worker       delay(ns)                                 a sleep of `ns` (virtual time); waits
///     coordinator  grant                                     ...go on
///
/// and the coordinator sends a waiting worker its task, a release, an unreachable, a
/// childExited or a proceed only when it grants that worker: one worker runs at a time.
///
/// Timestamps are CLOCK_MONOTONIC nanoseconds taken in the process that did the work; every
/// process of a machine reads the same clock. A worker whose pipe closes exits at once.
///
/// Encoding (little-endian): one tag byte, then the fields in order. Integers are fixed-size;
/// a string is a u32 byte count and UTF-8 bytes; a list is a u32 count and its elements; a value
/// of several kinds (an `OperationResult`, a `ScriptStep`) is a kind byte, then its fields.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    case task(WorkerTask)
    case event(Event)
    case await(actor: String, event: String)
    case release(actor: String, event: String, ns: UInt64)
    case unreachable(actor: String, event: String, reason: String)
    case stop
    case exit(ExitReport)
    case ping(UInt64)
    case pong(UInt64)
    case startChild(ChildRequest)
    case childExited(label: String, pid: Int32, code: Int32, detail: String)
    case faultPoint(FaultPoint)
    case proceed
    case announce(op: String)
    case delay(ns: UInt64)
    case grant
}

/// Where a rig injects a fault into a worker: just before its `nth` operation named `op` (`any`:
/// its `nth` operation of any kind). The worker stops there and tells the coordinator, which
/// kills or pauses it, so the fault lands at that exact point of the worker's work.
public struct FaultPoint: Sendable, Equatable, CustomStringConvertible {
    /// An operation name as workers report it (`replace`, `record`, ...), or `any`.
    public var op: String
    /// 1 for the first such operation.
    public var nth: UInt32
    public init(op: String, nth: UInt32) {
        self.op = op
        self.nth = nth
    }
    /// The operation name that matches every operation.
    public static let anyOperation = "any"
    /// `replace#2`, `any#5`.
    public var description: String { "\(op)#\(nth)" }
    /// Parses `replace#2`, `any#5` (nth ≥ 1).
    public init?(_ text: String) {
        guard let hash = text.lastIndex(of: "#"), hash != text.startIndex,
            let nth = UInt32(text[text.index(after: hash)...]), nth >= 1
        else { return nil }
        self.init(op: String(text[..<hash]), nth: nth)
    }
}

/// A worker's request for a child process: another `rig-worker` playing `role`. The coordinator
/// spawns it like any actor (so it has its own pipe, log and trace lane) and names it
/// `<parent>/<label>`.
public struct ChildRequest: Sendable, Equatable {
    public var label: String
    public var role: String
    public var parameters: [Argument]
    public init(label: String, role: String, parameters: [Argument] = []) {
        self.label = label
        self.role = role
        self.parameters = parameters
    }
}

/// The first frame a worker sends.
public struct Hello: Sendable, Equatable {
    public var role: String
    public var pid: Int32
    /// When the worker's `main` began, so spawn→main and main→hello can be told apart.
    public var mainNs: UInt64
    public init(role: String, pid: Int32, mainNs: UInt64) {
        self.role = role
        self.pid = pid
        self.mainNs = mainNs
    }
}

/// A name and a value: an operation's argument, a role's parameter.
public struct Argument: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One step of a `script` actor, as the rig writes it (`- sleep: 20ms`, `- emit: ready`,
/// `- wait: b.ready`, `- exit: 3`). Encoding: a kind byte (0 sleep, 1 emit, 2 wait, 3 exit),
/// then the case's fields in order.
public enum ScriptStep: Sendable, Equatable {
    /// Sleeps this many nanoseconds.
    case sleep(ns: UInt64)
    /// Emits the named event (`actor.event` for whoever waits on it or starts after it).
    case emit(event: String)
    /// Blocks until `actor` has emitted `event` (or the coordinator says it never will).
    case wait(actor: String, event: String)
    /// Exits with this (Windows) exit code, 0…2147483647.
    case exit(code: Int32)
}

/// The work the coordinator gives a worker after its hello.
public struct WorkerTask: Sendable, Equatable {
    /// The actor this worker plays, as the rig names it.
    public var actor: String
    public var parameters: [Argument]
    /// What a `script` actor does, in order; empty for every other role.
    public var steps: [ScriptStep]
    /// Where the worker stops for an injected fault, if the rig injects one into it.
    public var faultPoint: FaultPoint?
    /// The run is under a controlled schedule: announce each operation and sleep, and wait for a
    /// grant (see `Message`).
    public var controlled: Bool
    public init(
        actor: String, parameters: [Argument] = [], steps: [ScriptStep] = [], faultPoint: FaultPoint? = nil, controlled: Bool = false
    ) {
        self.controlled = controlled
        self.actor = actor
        self.parameters = parameters
        self.steps = steps
        self.faultPoint = faultPoint
    }
    public func parameter(_ name: String) -> String? { parameters.first { $0.name == name }?.value }
}

/// One operation a process did: when (CLOCK_MONOTONIC ns, taken where the work happened),
/// what, with which arguments, and how it ended (`ok`, or e.g. `ERROR_SHARING_VIOLATION (32)`).
public struct Event: Sendable, Equatable {
    public var startNs: UInt64
    public var endNs: UInt64
    public var op: String
    public var args: [Argument]
    public var result: OperationResult
    public init(startNs: UInt64, endNs: UInt64, op: String, args: [Argument] = [], result: OperationResult = .ok) {
        self.startNs = startNs
        self.endNs = endNs
        self.op = op
        self.args = args
        self.result = result
    }
    public func argument(_ name: String) -> String? { args.first { $0.name == name }?.value }
}

/// How an operation ended — Jepsen's `ok`, `fail` and `info`: it succeeded, it failed, or the
/// process died before anyone could know which.
///
/// `description` is the result as the trace, the results record, `rig-worker`'s standalone output
/// and `operations` expectations read it: `ok`, `ok (not queued)`, `ok queued=2 resume=0`,
/// `ERROR_SHARING_VIOLATION (32)`, `ERROR_GEN_FAILURE (31): the registry is locked`,
/// `exited 3010`, `unreachable: b exited without emitting ready`, `unknown: killed by signal 9`.
///
/// Encoding: a kind byte (0 ok, 1 failed, 2 unknown), then the case's fields in order; an
/// optional field is a flag byte (0 absent, 1 present) followed by the value when present.
public enum OperationResult: Sendable, Equatable, CustomStringConvertible {
    /// It succeeded. `note` says more and reads after `ok ` (`(not queued)`, `queued=2 resume=0`);
    /// nil for a plain `ok`.
    case ok(note: String?)
    /// It failed. `code` is the Win32 error or the Windows exit code it failed with, when there is
    /// one; `name` is that code's symbolic name where it is known (`ERROR_SHARING_VIOLATION`);
    /// `detail` says more. With a name it reads `NAME (CODE)`, then `: DETAIL` when there is a
    /// detail; without one the detail is the whole text (`exited 3010`,
    /// `failed to load mscorwks.dll: ERROR_SHARING_VIOLATION (32)`), the code still carried for
    /// programs to read.
    case failed(code: Int32?, name: String?, detail: String)
    /// The operation began but its process died before its outcome was known (killed part-way):
    /// it may or may not have taken effect. Reads `unknown: REASON`.
    case unknown(reason: String)

    /// A plain `ok`.
    public static var ok: OperationResult { .ok(note: nil) }

    /// A failure told in words alone (`unreachable: ...`, `exited 3010`), with the code when
    /// there is one.
    public static func failed(_ detail: String, code: Int32? = nil) -> OperationResult {
        .failed(code: code, name: nil, detail: detail)
    }

    /// Whether the operation succeeded (with or without a note).
    public var isOK: Bool {
        if case .ok = self { return true }
        return false
    }

    /// The code a failed operation failed with; nil when it succeeded, its outcome is unknown, or
    /// its failure has no code.
    public var failureCode: Int32? {
        if case .failed(let code, _, _) = self { return code }
        return nil
    }

    public var description: String {
        switch self {
        case .ok(nil):
            return "ok"
        case .ok(let note?):
            return "ok \(note)"
        case .failed(let code, let name?, let detail):
            let head = code.map { "\(name) (\($0))" } ?? name
            return detail.isEmpty ? head : "\(head): \(detail)"
        case .failed(_, nil, let detail):
            return detail
        case .unknown(let reason):
            return reason.isEmpty ? "unknown" : "unknown: \(reason)"
        }
    }
}

/// The last frame a worker sends: the code it is about to exit with and why.
public struct ExitReport: Sendable, Equatable {
    public var code: Int32
    public var ns: UInt64
    public var detail: String
    public init(code: Int32, ns: UInt64, detail: String = "") {
        self.code = code
        self.ns = ns
        self.detail = detail
    }
}

/// How a process ended, as the kernel reported it (`exited` with its status, or `signaled`). A
/// non-zero exit is a result, not an error. The one such type: libuv's exit callback (LibUV
/// `ChildProcess`), a waitpid status (LibUV `TerminationStatus(waitStatus:)`) and the run's
/// history (Report `ActorRecord.termination`) all say it with this.
public enum TerminationStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(code: Int32)
    case signaled(signal: Int32)
    public var description: String {
        switch self {
        case .exited(let code): return "exited with code \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }
}
