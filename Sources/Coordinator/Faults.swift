import Host
import LibUV
import Report
import RigModel
import Wire

/// The rig's `faults:`: real signals sent to real processes at chosen points. A time trigger is
/// scheduled like a start; an operation trigger travels in the target's task, and the worker
/// stops just before that operation and says so (`faultPoint`), so the fault lands exactly
/// there. A kill is SIGKILL to the process's group; a pause is SIGSTOP, then SIGCONT (and, at a
/// fault point, `proceed`). Every fault is noted on the coordinator's lane and in the record,
/// injected or not, and a process it killed is told apart from one that died unexpectedly.
extension RigRunner {
    final class FaultState: Startable {
        let fault: Fault
        /// What became of it, for the results record.
        var record: FaultRecord
        /// The process (index in `actors`) whose task carries this fault's point.
        var target: Int?
        init(fault: Fault, jitterNs: UInt64) {
            self.fault = fault
            record = FaultRecord(name: fault.name, text: fault.text, process: fault.process)
            let start: Start
            if case .time(let s) = fault.trigger { start = s } else { start = .at(.zero, jitter: .zero) }
            super.init(name: fault.name, start: start, jitterNs: jitterNs)
        }
    }

    /// The fault point to put in the task of a process about to get its task, if a fault at an
    /// operation targets it (the first process of that name only).
    func faultPoint(for state: ActorState) -> FaultPoint? {
        for fault in faults where fault.fault.process == state.name && fault.phase == .scheduled && fault.target == nil {
            guard case .operation(let op, let nth) = fault.fault.trigger else { continue }
            fault.target = state.index
            return FaultPoint(op: op, nth: nth)
        }
        return nil
    }


    /// A worker stopped at its fault point: carry the fault out there.
    func reachedFaultPoint(_ point: FaultPoint, _ state: ActorState) {
        guard let fault = faults.first(where: { $0.target == state.index && $0.phase == .scheduled }) else {
            kill(state, because: "it broke the protocol: it stopped at fault point \(point), which it was not given")
            return
        }
        inject(fault, into: state, atFaultPoint: true)
    }

    /// A time trigger came: the fault hits the process of that name running now, if any.
    func trigger(_ fault: FaultState) {
        guard fault.phase == .scheduled else { return }
        if fault.fault.process == Fault.machineTarget, case .powerLoss(let logon) = fault.fault.action {
            fault.phase = .running
            fault.record.injected = true
            fault.record.ns = MonotonicClock.now()
            note("fault", [Argument("fault", fault.name), Argument("action", fault.fault.text)])
            return losePower(fault, logon: logon)
        }
        guard let state = actors.last(where: { $0.name == fault.fault.process && $0.phase == .running }), state.process != nil else {
            missed(fault, "\(fault.fault.process) was not running")
            return
        }
        inject(fault, into: state, atFaultPoint: false)
    }

    private func inject(_ fault: FaultState, into state: ActorState, atFaultPoint: Bool) {
        fault.phase = .running
        fault.record.injected = true
        fault.record.ns = MonotonicClock.now()
        fault.record.pid = state.record.pid
        // A power loss marks every process it kills, this one among them.
        if case .powerLoss = fault.fault.action {} else { state.record.faults.append(fault.fault.text) }
        note("fault", [Argument("fault", fault.name), Argument("actor", state.name), Argument("action", fault.fault.text)])
        switch fault.fault.action {
        case .kill:
            fault.record.detail = "killed \(state.name) (pid \(state.record.pid.map(String.init) ?? "-"))"
            faultDone(fault)
            kill(state, because: nil)
        case .pause(let duration):
            fault.record.detail = "stopped \(state.name) for \(duration)"
            state.process?.signalGroup(Signal.stop)
            do {
                let timer = try Timer(loop: loop)
                fault.timers.append(timer)
                try timer.start(afterNanoseconds: duration.nanoseconds) { [unowned self] in
                    state.process?.signalGroup(Signal.resume)
                    self.note("resume", [Argument("fault", fault.name), Argument("actor", state.name)])
                    if atFaultPoint { self.send(.proceed, to: state) }
                    self.faultDone(fault)
                }
            } catch {
                state.process?.signalGroup(Signal.resume)
                if atFaultPoint { send(.proceed, to: state) }
                fault.record.detail = "could not time the pause: \(error)"
                faultDone(fault)
            }
        case .powerLoss(let logon):
            losePower(fault, logon: logon)
        }
    }

    func faultDone(_ fault: FaultState) {
        fault.phase = .finished
        fault.closeTimers()
    }

    /// The fault will not be injected: its process was not there, or its trigger never came.
    func missed(_ fault: FaultState, _ why: String) {
        guard fault.phase != .finished else { return }
        fault.record.detail = "not injected: \(why)"
        note("fault", [Argument("fault", fault.name), Argument("missed", why)])
        faultDone(fault)
    }

    /// At the end of the run, faults that never came say why.
    func closeFaults() {
        for fault in faults where fault.phase != .finished {
            if let target = fault.target {
                missed(fault, "\(actors[target].name) never reached its \(fault.fault.trigger.operationText)")
            } else if case .operation = fault.fault.trigger {
                missed(fault, "no process named \(fault.fault.process) ran")
            } else {
                missed(fault, "its time never came before the run ended")
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
