/// The messages between `rig` (the coordinator) and `rig-worker`, one per frame.
///
/// A conversation:
///
///     worker       hello(role, pid, ns)                      once, first
///     coordinator  task(actor, parameters, steps)            once, the work to do
///     worker       event(startNs, endNs, op, args, result)   one per operation, as it happens
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
/// a string is a u32 byte count and UTF-8 bytes; a list is a u32 count and its elements.
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

/// One step of a scripted worker: an operation name and its arguments.
public struct TaskStep: Sendable, Equatable {
    public var op: String
    public var args: [Argument]
    public init(op: String, args: [Argument] = []) {
        self.op = op
        self.args = args
    }
    public func argument(_ name: String) -> String? { args.first { $0.name == name }?.value }
}

/// The work the coordinator gives a worker after its hello.
public struct WorkerTask: Sendable, Equatable {
    /// The actor this worker plays, as the rig names it.
    public var actor: String
    public var parameters: [Argument]
    public var steps: [TaskStep]
    /// Where the worker stops for an injected fault, if the rig injects one into it.
    public var faultPoint: FaultPoint?
    /// The run is under a controlled schedule: announce each operation and sleep, and wait for a
    /// grant (see `Message`).
    public var controlled: Bool
    public init(
        actor: String, parameters: [Argument] = [], steps: [TaskStep] = [], faultPoint: FaultPoint? = nil, controlled: Bool = false
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
/// what, with which arguments, and the result (`ok`, or e.g. `ERROR_SHARING_VIOLATION (32)`).
public struct Event: Sendable, Equatable {
    public var startNs: UInt64
    public var endNs: UInt64
    public var op: String
    public var args: [Argument]
    public var result: String
    public init(startNs: UInt64, endNs: UInt64, op: String, args: [Argument] = [], result: String = "ok") {
        self.startNs = startNs
        self.endNs = endNs
        self.op = op
        self.args = args
        self.result = result
    }
    public func argument(_ name: String) -> String? { args.first { $0.name == name }?.value }
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
