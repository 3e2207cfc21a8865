import Report
import RigModel
import Wire

/// The rig's `faults:`: real signals sent to real processes at chosen points. A time trigger is
/// scheduled like a start; an operation trigger travels in the target's task, and the worker
/// stops just before that operation and says so (`faultPoint`), so the fault lands exactly
/// there. A kill is SIGKILL to the process's group; a pause is SIGSTOP, then SIGCONT (and, at a
/// fault point, `proceed`). Every fault is noted on the coordinator's lane and in the record,
/// injected or not, and a process it killed is told apart from one that died unexpectedly.
extension RunCore {
    struct FaultState {
        let fault: Fault
        let jitterNs: UInt64
        var phase = Phase.pending
        /// What became of it, for the results record.
        var record: FaultRecord
        /// The process whose task carries this fault's point.
        var target: ProcessIndex?
        /// The process a pause stopped, and whether at its fault point (it is told to proceed
        /// when the pause ends).
        var paused: ProcessIndex?
        var atFaultPoint = false
        /// A power loss: how many processes it killed.
        var killedCount = 0
        init(fault: Fault, jitterNs: UInt64) {
            self.fault = fault
            self.jitterNs = jitterNs
            record = FaultRecord(name: fault.name, text: fault.text, process: fault.process)
        }
        /// A time trigger's start; an operation trigger starts with the run.
        var start: Start {
            if case .time(let s) = fault.trigger { return s }
            return .at(.zero, jitter: .zero)
        }
    }

    /// The fault point to put in the task of a process about to get its task, if a fault at an
    /// operation targets it (the first process of that name only).
    func faultPoint(for p: ProcessIndex) -> FaultPoint? {
        for f in faults.indices
        where faults[f].fault.process == processes[p].name && faults[f].phase == .scheduled && faults[f].target == nil {
            guard case .operation(let op, let nth) = faults[f].fault.trigger else { continue }
            faults[f].target = p
            return FaultPoint(op: op, nth: nth)
        }
        return nil
    }

    /// A worker stopped at its fault point: carry the fault out there.
    func reachedFaultPoint(_ point: FaultPoint, _ p: ProcessIndex) {
        guard let f = faults.indices.first(where: { faults[$0].target == p && faults[$0].phase == .scheduled }) else {
            kill(p, because: "it broke the protocol: it stopped at fault point \(point), which it was not given")
            return
        }
        inject(f, into: p, atFaultPoint: true)
    }

    /// A time trigger came: the fault hits the process of that name running now, if any.
    func trigger(fault f: Int) {
        guard faults[f].phase == .scheduled else { return }
        if faults[f].fault.process == Fault.machineTarget, case .powerLoss(let logon) = faults[f].fault.action {
            faults[f].phase = .running
            faults[f].record.injected = true
            faults[f].record.ns = now
            note("fault", [Argument("fault", faults[f].fault.name), Argument("action", faults[f].fault.text)])
            return losePower(f, logon: logon)
        }
        guard let p = processes.indices.last(where: { processes[$0].name == faults[f].fault.process && processes[$0].phase == .running }),
            processes[p].spawned
        else {
            missed(f, "\(faults[f].fault.process) was not running")
            return
        }
        inject(f, into: p, atFaultPoint: false)
    }

    private func inject(_ f: Int, into p: ProcessIndex, atFaultPoint: Bool) {
        let fault = faults[f].fault
        faults[f].phase = .running
        faults[f].record.injected = true
        faults[f].record.ns = now
        faults[f].record.pid = processes[p].record.pid
        // A power loss marks every process it kills, this one among them.
        if case .powerLoss = fault.action {} else { processes[p].record.faults.append(fault.text) }
        note("fault", [Argument("fault", fault.name), Argument("actor", processes[p].name), Argument("action", fault.text)])
        switch fault.action {
        case .kill:
            faults[f].record.detail = "killed \(processes[p].name) (pid \(processes[p].record.pid.map(String.init) ?? "-"))"
            faultDone(f)
            kill(p, because: nil)
        case .pause(let duration):
            faults[f].record.detail = "stopped \(processes[p].name) for \(duration)"
            faults[f].paused = p
            faults[f].atFaultPoint = atFaultPoint
            commands.append(.signal(p, .stop))
            processes[p].schedule.paused = true
            arm(.pauseEnd(f), afterNs: duration.nanoseconds)
        case .powerLoss(let logon):
            losePower(f, logon: logon)
        }
    }

    func pauseEnded(_ f: Int) {
        guard let p = faults[f].paused else { return }
        commands.append(.signal(p, .resume))
        processes[p].schedule.paused = false
        note("resume", [Argument("fault", faults[f].fault.name), Argument("actor", processes[p].name)])
        if faults[f].atFaultPoint { wake(p, with: .proceed, point: "resume") }
        faultDone(f)
    }

    func faultDone(_ f: Int) {
        faults[f].phase = .finished
        cancel(.start(.fault(f)))
        cancel(.pauseEnd(f))
    }

    /// The fault will not be injected: its process was not there, or its trigger never came.
    func missed(_ f: Int, _ why: String) {
        guard faults[f].phase != .finished else { return }
        faults[f].record.detail = "not injected: \(why)"
        note("fault", [Argument("fault", faults[f].fault.name), Argument("missed", why)])
        faultDone(f)
    }

    /// At the end of the run, faults that never came say why.
    func closeFaults() {
        for f in faults.indices where faults[f].phase != .finished {
            if let target = faults[f].target {
                missed(f, "\(processes[target].name) never reached its \(faults[f].fault.trigger.operationText)")
            } else if case .operation = faults[f].fault.trigger {
                missed(f, "no process named \(faults[f].fault.process) ran")
            } else {
                missed(f, "its time never came before the run ended")
            }
        }
    }
}

extension Fault.Trigger {
    var operationText: String {
        switch self {
        case .operation(let op, let nth): return op == FaultPoint.anyOperation ? "operation #\(nth)" : "\(op) #\(nth)"
        case .time: return "time"
        }
    }
}
