import Host
import Machine
import WinFS
import Wire

/// How a role talks to the rest of the run. `rig-worker` provides one session per process:
/// over its pipe when a coordinator spawned it, or printing events when it runs standalone
/// (`rig-worker ROLE key=value ...`, as `rig machine boot` starts Session Manager).
///
/// Roles are written as straight-line code: `sleep` and `await` keep the worker's event loop
/// running underneath, so a closed pipe still ends the process at once.
public protocol WorkerSession: AnyObject {
    /// The role being played, e.g. `script`, `smss`.
    var role: String { get }
    /// The actor's name, parameters and (for scripts) steps.
    var task: WorkerTask { get }
    /// Reports one operation this process did (sent to the coordinator as an event).
    func record(_ event: Event)
    /// Sleeps, keeping the loop alive.
    func sleep(nanoseconds: UInt64)
    /// Blocks until `actor` has emitted `event`. Returns nil when it has, or why it never will.
    func await(actor: String, event: String) -> String?
    /// A line for the worker's log (its stderr).
    func log(_ line: String)
    /// Starts a child process playing `role` with `parameters` and waits until it ends, keeping
    /// the loop alive. `label` names it among this process's children (`setup/msiexec`).
    /// Returns how it ended — `exited` with its exit code (the whole Windows code when the
    /// coordinator reports it; only its low 8 bits for a standalone worker), or `signaled` — or,
    /// when it did not run to an end of its own (never started, timed out, killed, broke the
    /// protocol), why, in the words of whoever saw it.
    func runChild(_ label: String, role: String, parameters: [Argument]) -> Result<TerminationStatus, ChildFailure>
    /// Called just before each operation `perform` runs: where an injected fault stops the
    /// worker (see `FaultPoint`). Sessions without faults do nothing.
    func willPerform(_ op: String)
    /// Called just before each operation the worker reports, with its name: stops at an
    /// injected fault there (`willPerform`) and, under a controlled schedule, announces the
    /// operation and waits for the coordinator's grant. Returns the operation's start time.
    func begin(_ op: String) -> UInt64
}

extension WorkerSession {
    public func willPerform(_ op: String) {}
    public func begin(_ op: String) -> UInt64 {
        willPerform(op)
        return MonotonicClock.now()
    }
}

/// Counts a worker's operations to find the one a fault point names.
struct OperationCounter {
    private var counts: [String: UInt32] = [:]
    private var total: UInt32 = 0

    /// Counts `op` and says whether it is the operation `point` names.
    mutating func count(_ op: String, against point: FaultPoint) -> Bool {
        total += 1
        counts[op, default: 0] += 1
        return point.op == FaultPoint.anyOperation ? total == point.nth : op == point.op && counts[op] == point.nth
    }
}

/// Why a child process did not run to an end of its own, as its parent heard it: `never started:
/// ...`, `timed out after 5s; killed (killed by signal 9)`, `cannot start ngen: ...`.
public struct ChildFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension WorkerSession {
    /// Runs `body`, timing it on CLOCK_MONOTONIC, and records it as operation `op` with the
    /// result `body` returns (`.ok`, a Win32 error, ...).
    @discardableResult
    public func perform(_ op: String, _ args: [Argument] = [], _ body: () -> OperationResult) -> OperationResult {
        let start = begin(op)
        let result = body()
        record(Event(startNs: start, endNs: MonotonicClock.now(), op: op, args: args, result: result))
        return result
    }

    /// A role parameter by name.
    public func parameter(_ name: String) -> String? { task.parameter(name) }
}

/// A role's entry point: does the work and returns the process's exit code.
public typealias RoleMain = @Sendable (any WorkerSession) -> Int32

extension WorkerSession {
    /// Emits a named event (`actor.name`) that other actors can wait for or start after.
    public func emit(_ name: String) {
        perform("emit", [Argument("event", name)]) { .ok }
    }
}

extension WorkerSession {
    /// Whether the `machine` parameter names a machine (`MachineDirectory.checkIsMachine`, the
    /// same test every `rig` command makes); logs `ROLE: not a machine: ...` when it does not, so
    /// a worker never creates a machine's entries in a directory that is not one.
    public func isMachine(_ path: String) -> Bool {
        do {
            try MachineDirectory.checkIsMachine(path)
            return true
        } catch {
            log("\(role): \(error.message)")
            return false
        }
    }
}

extension OperationResult {
    /// A Win32 error by its name and code (`ERROR_SHARING_VIOLATION (32)`); its operation, path
    /// and reason are for logs.
    public init(_ error: Win32Error) {
        self = .failed(code: Int32(bitPattern: error.code), name: error.name, detail: "")
    }

    /// A failure of the installer's or the boot's (Machine's `OperationFailure`), as it reads there.
    public init(_ failure: OperationFailure) {
        self = .failed(code: failure.code, name: failure.name, detail: failure.detail)
    }

    /// A Windows Installer code by its name and number (`ERROR_INSTALL_PACKAGE_OPEN_FAILED (1619)`).
    public static func failed(installerExit code: Int32) -> OperationResult {
        OperationResult(OperationFailure(installerExit: code))
    }

    /// What an error reads as in a role's result: a Win32 error by name and number
    /// (`ERROR_SHARING_VIOLATION (32)`) or, `detailed`, with its operation, path and reason
    /// (`open C:\Windows\x.dll: ERROR_SHARING_VIOLATION (32)`); anything else as it describes itself.
    public init(describing error: any Error, detailed: Bool = false) {
        guard let win32 = error as? Win32Error else {
            self = .failed("\(error)")
            return
        }
        self = detailed ? .failed(win32.message, code: Int32(bitPattern: win32.code)) : OperationResult(win32)
    }

    /// `ok`, with the note if there is one, or the failure: how a host of the installer or the
    /// boot records what its body did.
    init(note: String?, failure: OperationFailure?) {
        self = failure.map(OperationResult.init) ?? .ok(note: note)
    }
}
