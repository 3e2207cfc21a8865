import Host
import Machine
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
    func runChild(_ label: String, role: String, parameters: [Argument]) -> ChildOutcome
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

/// How a child process ended.
public enum ChildOutcome: Sendable, Equatable {
    /// It ran and exited with this (Windows) exit code.
    case exited(code: Int32)
    /// It could not run or did not exit normally, and why.
    case failed(String)
}

extension WorkerSession {
    /// Runs `body`, timing it on CLOCK_MONOTONIC, and records it as operation `op`.
    /// `body` returns the result text (`ok`, `ERROR_SHARING_VIOLATION (32)`, ...).
    @discardableResult
    public func perform(_ op: String, _ args: [Argument] = [], _ body: () -> String) -> String {
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
        perform("emit", [Argument("event", name)]) { "ok" }
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
