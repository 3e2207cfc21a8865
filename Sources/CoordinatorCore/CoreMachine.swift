import Machine
import RigModel
import WinFS
import WindowsModel
import Wire

/// What the core reads and changes on the machine itself while it takes a machine step (the
/// workers do everything else). The shell's implementation opens the machine directory; tests
/// give the core a machine that is only values.
public protocol MachineAccess: AnyObject {
    /// The machine directory the workers get as their `machine` parameter.
    var directory: String { get }
    /// An orderly shutdown: the write cache reaches the disk.
    func flushWrites()
    /// A power loss at `atNs` on the real clock (nil under a controlled schedule, whose clock is
    /// virtual: then every write not flushed is lost). Returns the files damaged.
    func losePower(atNs: UInt64?) -> [String]
    /// The auto-start services, in the order the boot starts them; nil when the machine has no
    /// service control manager (Windows 9x).
    func autoStartServices() throws -> [BootService]?
    /// The Run and RunOnce commands a logon of `who` runs, in Windows's order (StartupRules).
    func startupPlan(logon who: Logon) throws -> [StartupAction]
    /// Deletes the RunOnce value an action ran from.
    func deleteStartupValue(_ action: StartupAction) throws
}

/// The machine steps of a rig: reboots and logons, taken the way Windows takes them, with every
/// program of the boot run as a real `rig-worker` process.
///
/// A reboot stops every process of the machine (a `stop` message, then SIGKILL after the grace
/// period), emits `NAME.down`, runs Session Manager (`NAME/smss`: pending renames in queued
/// order), starts the auto-start services (no logon needed; none on Windows 9x), each emitting
/// `NAME.service-<name>`, emits `NAME.booted`, then, if someone logs on, emits `NAME.logon` and
/// runs the Run and RunOnce entries by Windows's rules (StartupRules), each emitting
/// `NAME.RunOnce-<value>` / `NAME.Run-<value>` (and the first RunOnce one `NAME.runonce`) as its
/// command starts; `NAME.done` ends the step. A logon step does the last part on the running
/// machine. The event names are `StepEvents`'s.
extension RunCore {
    struct StepState {
        let step: MachineStep
        let jitterNs: UInt64
        var phase = Phase.pending
        /// Who logs on once the machine is up (a reboot's `logon`, a logon step's user).
        var logon = Logon.none
        /// A logon's plan, and the action it has reached.
        var actions: [StartupAction] = []
        init(step: MachineStep, jitterNs: UInt64) {
            self.step = step
            self.jitterNs = jitterNs
        }
        var name: String { step.name }
    }

    func cancelTimers(ofStep s: Int) {
        cancel(.start(.step(s)))
        cancel(.stopGrace(s))
    }

    func take(step s: Int) {
        guard steps[s].phase == .scheduled, !done else { return }
        steps[s].phase = .running
        note("step", [Argument("step", steps[s].name)])
        switch steps[s].step.kind {
        case .reboot(let logon):
            steps[s].logon = logon
            shutDown(for: s)
        case .logon(let who):
            steps[s].logon = who
            logOn(step: s)
        }
    }

    /// A power loss (a fault): every process of the machine is killed at once, machine steps in
    /// progress stop where they are, the writes not yet on disk are lost (`WriteCache`), then
    /// the machine boots as in a reboot named after the fault, and `logon` logs on.
    func losePower(_ f: Int, logon: Logon) {
        let fault = faults[f]
        var step = StepState(
            step: MachineStep(
                name: fault.fault.name, kind: .reboot(logon: logon), start: .at(.zero, jitter: .zero), position: fault.fault.position),
            jitterNs: 0)
        step.phase = .running
        step.logon = logon
        let cut = steps.indices.filter { steps[$0].phase == .running }
        for other in cut {
            steps[other].phase = .finished
            cancelTimers(ofStep: other)
        }
        steps.append(step)
        let s = steps.count - 1
        // Nothing that was waiting for a process of the machine to end goes on: the machine is off.
        finishWatchers = []
        machineDown = true
        let running = processes.indices.filter { processes[$0].phase == .running }
        for p in running {
            processes[p].origin = .detached
            processes[p].record.faults.append(fault.fault.text)
            kill(p, because: nil)
        }
        for other in cut {
            note("cut_short", [Argument("step", steps[other].name), Argument("by", fault.fault.name)])
            ownerIsOver(steps[other].name, ran: true)
        }
        faults[f].killedCount = running.count
        let stillRunning = Set(running.filter { processes[$0].phase != .finished })
        if stillRunning.isEmpty {
            go(on: .bootAfterPowerLoss(step: s, fault: f))
        } else {
            finishWatchers.append((stillRunning, .bootAfterPowerLoss(step: s, fault: f)))
        }
    }

    /// Goes on once the processes a continuation waited for are over.
    func go(on continuation: Continuation) {
        guard !aborted else { return }
        switch continuation {
        case .rebootAfterStop(let s):
            // An orderly shutdown writes the cache to disk: nothing written is lost.
            machine?.flushWrites()
            emit(owner: steps[s].name, event: StepEvents.down, ns: now)
            boot(step: s)
        case .bootAfterPowerLoss(let s, let f):
            let count = faults[f].killedCount
            var detail = "killed \(count) process\(count == 1 ? "" : "es")"
            if let machine {
                let damaged = machine.losePower(atNs: controlled == nil ? faults[f].record.ns ?? now : nil)
                detail += damaged.isEmpty ? "; no unflushed writes lost" : "; unflushed writes lost in \(damaged.joined(separator: ", "))"
            }
            faults[f].record.detail = detail
            faultDone(f)
            emit(owner: steps[s].name, event: StepEvents.down, ns: now)
            boot(step: s)
        }
    }

    private func stepDone(_ s: Int) {
        guard steps[s].phase == .running, !done else { return }
        emit(owner: steps[s].name, event: StepEvents.done, ns: now)
        steps[s].phase = .finished
        cancelTimers(ofStep: s)
        ownerIsOver(steps[s].name, ran: true)
    }

    /// Stops every running process of the machine, gracefully then by force, and boots once they
    /// are all over. Being stopped by a reboot is not a failure of the process.
    private func shutDown(for s: Int) {
        machineDown = true
        let running = processes.indices.filter { processes[$0].phase == .running }
        guard !running.isEmpty else { return go(on: .rebootAfterStop(step: s)) }
        finishWatchers.append((Set(running), .rebootAfterStop(step: s)))
        for p in running {
            note("stop", [Argument("actor", processes[p].name), Argument("reason", steps[s].name)])
            send(.stop, to: p)
            processes[p].schedule.state = processes[p].spawned ? .ending : processes[p].schedule.state
        }
        arm(.stopGrace(s), afterNs: options.stopGraceNs)
    }

    func stopGraceOver(_ s: Int) {
        guard let watcher = finishWatchers.first(where: { if case .rebootAfterStop(s) = $0.then { return true } else { return false } })
        else { return }
        for p in watcher.pending.sorted() where processes[p].phase == .running { kill(p, because: nil) }
    }

    /// Session Manager, then (when it ends) the auto-start services and the logon.
    private func boot(step s: Int) {
        guard let machine else {
            problems.append("\(steps[s].name): the rig has no machine to boot")
            return machineIsUp(step: s)
        }
        spawnProcess(
            name: "\(steps[s].name)/smss", role: "smss", parameters: [Argument("machine", machine.directory)], timeout: rig.timeout,
            position: steps[s].step.position, origin: .sessionManager(step: s))
    }

    func sessionManagerEnded(step s: Int, _ smss: ProcessIndex) {
        let record = processes[smss].record
        if record.exitCode != 0 {
            problems.append("\(steps[s].name): Session Manager did not finish (\(record.outcome))")
        }
        machineDown = false
        if let machine {
            do {
                let services = try machine.autoStartServices()
                if services == nil {
                    note(
                        "services",
                        [Argument("step", steps[s].name), Argument("started", "none: Windows 9x has no service control manager")])
                }
                for service in services ?? [] {
                    if startProgram(
                        service.command, what: "service \(service.name)", name: "\(steps[s].name)/\(service.name)", step: s,
                        origin: .detached)
                        != nil
                    {
                        emit(owner: steps[s].name, event: StepEvents.service(service.name), ns: now)
                    }
                }
            } catch {
                problems.append("\(steps[s].name): cannot start the services: \(error)")
            }
        }
        machineIsUp(step: s)
    }

    /// The boot is over: `NAME.booted`, what was due while the machine was down starts, and the
    /// step's user logs on.
    private func machineIsUp(step s: Int) {
        machineDown = false
        emit(owner: steps[s].name, event: StepEvents.booted, ns: now)
        let due = deferredSpawns
        deferredSpawns = []
        for p in due { spawn(p) }
        logOn(step: s)
    }

    /// Logs the step's user on: emits `NAME.logon`, then the Run and RunOnce entries run in
    /// StartupRules's order, RunOnce values deleted before their command runs (after it succeeds
    /// for a `!` name), each RunOnce command waited for, Run commands started; each emits its
    /// event as it starts.
    private func logOn(step s: Int) {
        let who = steps[s].logon
        guard who != .none, let machine else { return stepDone(s) }
        note("logon", [Argument("step", steps[s].name), Argument("as", who.rawValue)])
        // The user is logged on before Explorer runs the RunOnce and Run lists, so whatever a rig
        // starts at the logon (Windows Update's installs, a user's program) runs alongside them.
        emit(owner: steps[s].name, event: StepEvents.logon, ns: now)
        do {
            steps[s].actions = try machine.startupPlan(logon: who)
        } catch {
            problems.append("\(steps[s].name): cannot read the Run and RunOnce entries: \(error)")
            return stepDone(s)
        }
        runStartup(step: s, from: 0)
    }

    private func runStartup(step s: Int, from first: Int) {
        var i = first
        while i < steps[s].actions.count, !done {
            let action = steps[s].actions[i]
            let entry = action.entry
            let what = "\(entry.hive.rawValue) \(entry.kind.rawValue) \(entry.name)"
            if action.deletion == .beforeRunning { deleteEntry(action, what, s, "before running") }
            let started = startProgram(
                action.command, what: what, name: "\(steps[s].name)/\(entry.kind.rawValue)-\(entry.name)", step: s,
                origin: .startup(step: s, action: i))
            note("startup", [Argument("entry", what), Argument("started", String(started != nil))])
            if started != nil {
                // `runonce` once, at the first RunOnce command (emit ignores a repeat).
                if entry.kind == .runOnce { emit(owner: steps[s].name, event: StepEvents.runOnce, ns: now) }
                emit(owner: steps[s].name, event: StepEvents.startup(entry.kind, entry.name), ns: now)
                if action.waitForExit { return }
            }
            i += 1
        }
        stepDone(s)
    }

    /// A RunOnce or Run command started at a logon is over: a `!` value goes once it succeeded,
    /// and the next command starts if this one was waited for.
    func startupCommandEnded(step s: Int, action i: Int, _ p: ProcessIndex) {
        let action = steps[s].actions[i]
        let what = "\(action.entry.hive.rawValue) \(action.entry.kind.rawValue) \(action.entry.name)"
        if action.deletion == .afterSuccess, processes[p].record.exitCode == 0 {
            deleteEntry(action, what, s, "after success")
        }
        if action.waitForExit { runStartup(step: s, from: i + 1) }
    }

    private func deleteEntry(_ action: StartupAction, _ what: String, _ s: Int, _ when: String) {
        do {
            try machine?.deleteStartupValue(action)
            note(
                "delete_value",
                [
                    Argument("key", action.key.description), Argument("name", action.entry.name), Argument("entry", what),
                    Argument("when", when),
                ])
        } catch {
            problems.append("\(steps[s].name): cannot delete \(action.key)\\\(action.entry.name): \(error)")
        }
    }

    /// Starts the program of a command line as a worker of the role its file name names, and
    /// notes it (`start_program`: `what` — `service NAME`, `HKLM RunOnce NAME` —, the command,
    /// the process's name, and `started` or the Win32 error CreateProcess would give, which is
    /// also the operation's result).
    /// Returns nil when there is no such program (ERROR_FILE_NOT_FOUND, as CreateProcess says).
    private func startProgram(_ command: BootCommand, what: String, name: String, step s: Int, origin: Origin) -> ProcessIndex? {
        guard let machine, options.roleExists(command.role) else {
            let error = Win32Error(2, operation: "CreateProcess", path: command.program)
            note(
                "start_program",
                [
                    Argument("what", what), Argument("command", command.commandLine), Argument("process", name),
                    Argument("result", error.message),
                ],
                result: .failed(code: Int32(bitPattern: error.code), name: error.name, detail: ""))
            return nil
        }
        note(
            "start_program",
            [Argument("what", what), Argument("command", command.commandLine), Argument("process", name), Argument("result", "started")])
        let parameters = command.workerParameters(machine: machine.directory).map { Argument($0.name, $0.value) }
        return spawnProcess(
            name: name, role: command.role, parameters: parameters, timeout: rig.timeout, position: steps[s].step.position, origin: origin)
    }
}
