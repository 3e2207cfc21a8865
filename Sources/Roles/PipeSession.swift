import Host
import LibUV
import Wire

/// A worker's session with its coordinator over the control pipe (descriptor 3 by default).
///
/// The pipe is read by a libuv loop that runs whenever the role sleeps or waits, and while the
/// worker waits for its task. The end of the pipe (the coordinator is gone) ends the process at
/// once, whatever the role is doing; so does a `stop` message, after an exit report.
final class PipeSession: WorkerSession {
    let role: String
    private(set) var task = WorkerTask(actor: "")
    private let loop: EventLoop
    private let pipe: FramedPipe
    private var gotTask = false
    private var released: [String: String?] = [:]  // "actor.event" → nil when released, else reason
    private var children: [String: Result<TerminationStatus, ChildFailure>] = [:]  // label → how it ended
    private var operations = OperationCounter()
    private var mayProceed = false
    private var granted = false

    init(role: String, fd: Int32, mainNs: UInt64) throws {
        self.role = role
        loop = try EventLoop()
        pipe = try FramedPipe(loop: loop, fd: fd)
        try pipe.startReading { [unowned self] event in self.handle(event) }
        try pipe.send(.hello(Hello(role: role, pid: CurrentProcess.id, mainNs: mainNs)))
        while !gotTask { pump() }
    }

    private func handle(_ event: FramedPipe.ReadEvent) {
        switch event {
        case .end:
            // The coordinator is gone: no process outlives its run.
            CurrentProcess.exitImmediately(WorkerExit.coordinatorGone)
        case .error(let message):
            log("control pipe: \(message)")
            CurrentProcess.exitImmediately(WorkerExit.coordinatorGone)
        case .frame(let payload):
            let message: Message
            do { message = try Message(decoding: payload) } catch {
                log("control pipe: \(error)")
                CurrentProcess.exitImmediately(WorkerExit.coordinatorGone)
            }
            switch message {
            case .task(let task):
                self.task = task
                gotTask = true
            case .release(let actor, let event, _):
                released["\(actor).\(event)"] = .some(nil)
            case .unreachable(let actor, let event, let reason):
                released["\(actor).\(event)"] = .some(reason)
            case .stop:
                finish(code: WorkerExit.stopped, detail: "stopped by the coordinator")
            case .ping(let n):
                try? pipe.send(.pong(n))
            case .childExited(let label, let pid, let code, let detail):
                // The coordinator words every end but a normal exit (never started, killed, timed
                // out): its words say more than a signal number would.
                children[label] = pid == 0 || !detail.isEmpty ? .failure(ChildFailure(detail)) : .success(.exited(code: code))
            case .proceed:
                mayProceed = true
            case .grant:
                granted = true
            case .hello, .event, .await, .exit, .pong, .startChild, .faultPoint, .announce, .delay:
                log("control pipe: unexpected \(message) from the coordinator")
            }
        }
    }

    /// Runs the loop for one round of events; a loop with nothing left to wait for means the
    /// pipe is gone.
    private func pump() {
        if !loop.runOnce() && !pipe.isOpen { CurrentProcess.exitImmediately(WorkerExit.coordinatorGone) }
    }

    func record(_ event: Event) {
        do { try pipe.send(.event(event)) } catch { log("cannot report \(event.op): \(error)") }
    }

    func sleep(nanoseconds: UInt64) {
        // Under a controlled schedule a sleep is virtual: the coordinator grants the worker again
        // once virtual time has moved on by `nanoseconds`.
        if task.controlled { return waitForGrant(.delay(ns: nanoseconds)) }
        guard nanoseconds > 0 else { return }
        var done = false
        do {
            let timer = try Timer(loop: loop)
            try timer.start(afterNanoseconds: nanoseconds) { done = true }
            while !done { pump() }
            timer.close()
        } catch {
            log("sleep: \(error)")
        }
    }

    func await(actor: String, event: String) -> String? {
        let key = "\(actor).\(event)"
        do { try pipe.send(.await(actor: actor, event: event)) } catch { return "cannot ask the coordinator: \(error)" }
        while released[key] == nil { pump() }
        let outcome = released.removeValue(forKey: key)!
        return outcome
    }

    func runChild(_ label: String, role: String, parameters: [Argument]) -> Result<TerminationStatus, ChildFailure> {
        children[label] = nil
        do { try pipe.send(.startChild(ChildRequest(label: label, role: role, parameters: parameters))) } catch {
            return .failure(ChildFailure("cannot ask the coordinator: \(error)"))
        }
        while children[label] == nil { pump() }
        return children.removeValue(forKey: label)!
    }

    func log(_ line: String) { writeLine(2, line) }

    /// At the task's fault point, tells the coordinator and waits: it kills the process here, or
    /// pauses it and then lets it go on.
    func willPerform(_ op: String) {
        guard let point = task.faultPoint, operations.count(op, against: point) else { return }
        mayProceed = false
        do { try pipe.send(.faultPoint(point)) } catch {
            log("cannot report fault point \(point): \(error)")
            return
        }
        while !mayProceed { pump() }
    }

    func begin(_ op: String) -> UInt64 {
        willPerform(op)
        if task.controlled { waitForGrant(.announce(op: op)) }
        return MonotonicClock.now()
    }

    /// A scheduling point: tells the coordinator what the worker is about to do and waits until
    /// it is this worker's turn.
    private func waitForGrant(_ point: Message) {
        granted = false
        do { try pipe.send(point) } catch {
            log("control pipe: cannot announce \(point): \(error)")
            CurrentProcess.exitImmediately(WorkerExit.coordinatorGone)
        }
        while !granted { pump() }
    }

    /// Sends the exit report, lets the pipe drain, and exits.
    func finish(code: Int32, detail: String) -> Never {
        try? pipe.send(.exit(ExitReport(code: code, ns: MonotonicClock.now(), detail: detail)))
        while pipe.pendingWriteBytes > 0 && pipe.isOpen { loop.runOnce() }
        CurrentProcess.exit(code)
    }
}

/// A session with no coordinator (`rig-worker ROLE key=value ...`): events are printed on
/// stdout, one line each; waiting for another actor is not possible.
final class StandaloneSession: WorkerSession {
    let role: String
    let task: WorkerTask
    private var operations = OperationCounter()

    init(role: String, parameters: [Argument], killAt: FaultPoint? = nil) {
        self.role = role
        task = WorkerTask(actor: role, parameters: parameters, faultPoint: killAt)
    }

    /// With no coordinator to inject the fault, the worker kills itself at its fault point
    /// (`rig-worker ROLE --kill-at OP#N ...`): what it leaves behind is what a kill there leaves.
    func willPerform(_ op: String) {
        guard let point = task.faultPoint, operations.count(op, against: point) else { return }
        writeLine(2, "rig-worker: killed at fault point \(point)")
        CurrentProcess.raise(Signal.kill)
    }

    func record(_ event: Event) {
        var line = "\(event.startNs) \(event.endNs - event.startNs)ns \(event.op)"
        for a in event.args { line += " \(a.name)=\(a.value)" }
        writeLine(1, line + " -> \(event.result)")
    }

    func sleep(nanoseconds: UInt64) { CurrentProcess.sleep(nanoseconds: nanoseconds) }

    func await(actor: String, event: String) -> String? { "no coordinator to wait through (standalone worker)" }

    /// Runs `rig-worker ROLE NAME=VALUE ...` (this executable) and waits for it. Without a
    /// coordinator only the low 8 bits of its exit code survive.
    func runChild(_ label: String, role: String, parameters: [Argument]) -> Result<TerminationStatus, ChildFailure> {
        let arguments = ["rig-worker", role] + parameters.map { "\($0.name)=\($0.value)" }
        let pid: Int32
        do { pid = try CurrentProcess.spawn("/proc/self/exe", arguments: arguments) } catch {
            return .failure(ChildFailure("cannot start \(role): \(error.message)"))
        }
        guard let status = TerminationStatus.wait(for: pid) else {
            return .failure(ChildFailure("cannot wait for \(role): \(lastSystemErrorMessage())"))
        }
        return .success(status)
    }

    func log(_ line: String) { writeLine(2, line) }
}

/// Exit codes a worker uses for itself (a role's own codes are the role's business).
enum WorkerExit {
    /// The control pipe closed: the coordinator is gone.
    static let coordinatorGone: Int32 = 1
    /// The coordinator asked the worker to stop.
    static let stopped: Int32 = 1
    /// Bad command line.
    static let usage: Int32 = 2
}

/// Writes one line to a descriptor, whole, retrying on EINTR and short writes.
func writeLine(_ fd: Int32, _ line: String) {
    HostFiles.write(line + "\n", to: fd)
}
