import Host
import LibUV
import Machine
import Registry
import WinFS
import WindowsModel
import RigModel
import Wire

/// The machine steps of a rig: reboots and logons, taken by the coordinator the way Windows
/// takes them, with every program of the boot run as a real `rig-worker` process.
///
/// A reboot stops every process of the machine (a `stop` message, then SIGKILL after the grace
/// period), emits `NAME.down`, runs Session Manager (`NAME/smss`: pending renames in queued
/// order), starts the auto-start services (no logon needed; none on Windows 9x), each emitting
/// `NAME.service-<name>`, emits `NAME.booted`, then, if someone logs on, emits `NAME.logon` and
/// runs the Run and RunOnce entries by Windows's rules (StartupRules), each emitting
/// `NAME.RunOnce-<value>` / `NAME.Run-<value>` (and the first RunOnce one `NAME.runonce`) as its
/// command starts; `NAME.done` ends the step. A logon step does the last part on the running
/// machine. The event names are `StepEvents`'s.
extension RigRunner {
    final class StepState: Startable {
        let step: MachineStep
        init(step: MachineStep, jitterNs: UInt64) {
            self.step = step
            super.init(name: step.name, start: step.start, jitterNs: jitterNs)
        }
    }

    func take(_ step: StepState) {
        guard step.phase == .scheduled, !done else { return }
        step.phase = .running
        note("step", [Argument("step", step.name)])
        switch step.step.kind {
        case .reboot(let logon):
            shutDown(for: step) { [unowned self] in
                // An orderly shutdown writes the cache to disk: nothing written is lost.
                if let machine = self.options.machineDirectory, let root = try? MachineRoot(path: machine) {
                    WriteCache.flushAll(machine: root)
                }
                self.emit(owner: step.name, event: StepEvents.down, ns: MonotonicClock.now())
                self.boot(step) {
                    self.logOn(logon, step: step) { self.stepDone(step) }
                }
            }
        case .logon(let who):
            logOn(who, step: step) { [unowned self] in self.stepDone(step) }
        }
    }

    /// A power loss (a fault): every process of the machine is killed at once, machine steps in
    /// progress stop where they are, the writes not yet on disk are lost (`WriteCache`), then
    /// the machine boots as in a reboot named after the fault, and `logon` logs on.
    func losePower(_ fault: FaultState, logon: Logon) {
        let lossNs = fault.record.ns ?? MonotonicClock.now()
        let step = StepState(
            step: MachineStep(
                name: fault.name, kind: .reboot(logon: logon), start: .at(.zero, jitter: .zero), position: fault.fault.position),
            jitterNs: 0)
        step.phase = .running
        let cut = steps.filter { $0.phase == .running }
        for other in cut {
            other.phase = .finished
            other.closeTimers()
        }
        steps.append(step)
        // Nothing that was waiting for a process of the machine to end goes on: the machine is off.
        finishWatchers = []
        machineDown = true
        let running = actors.filter { $0.phase == .running }
        for state in running {
            state.onOver = nil
            state.record.faults.append(fault.fault.text)
            kill(state, because: nil)
        }
        for other in cut {
            note("cut_short", [Argument("step", other.name), Argument("by", fault.name)])
            ownerIsOver(other.name, ran: true)
        }
        let boot = { [unowned self] in
            var detail = "killed \(running.count) process\(running.count == 1 ? "" : "es")"
            if let machine = self.options.machineDirectory, let root = try? MachineRoot(path: machine) {
                let damaged = WriteCache.losePower(machine: root, atNs: lossNs)
                detail += damaged.isEmpty ? "; no unflushed writes lost" : "; unflushed writes lost in \(damaged.joined(separator: ", "))"
            }
            fault.record.detail = detail
            self.faultDone(fault)
            self.emit(owner: step.name, event: StepEvents.down, ns: MonotonicClock.now())
            self.boot(step) {
                self.logOn(logon, step: step) { self.stepDone(step) }
            }
        }
        if running.isEmpty { boot() } else { finishWatchers.append((Set(running.map(\.index)), boot)) }
    }

    private func stepDone(_ step: StepState) {
        guard step.phase == .running, !done else { return }
        emit(owner: step.name, event: StepEvents.done, ns: MonotonicClock.now())
        step.phase = .finished
        step.closeTimers()
        ownerIsOver(step.name, ran: true)
    }

    /// Stops every running process of the machine, gracefully then by force, and calls `then`
    /// once they are all over. Being stopped by a reboot is not a failure of the process.
    private func shutDown(for step: StepState, then: @escaping () -> Void) {
        machineDown = true
        let running = actors.filter { $0.phase == .running }
        guard !running.isEmpty else { return then() }
        finishWatchers.append((Set(running.map(\.index)), then))
        for state in running {
            note("stop", [Argument("actor", state.name), Argument("reason", step.name)])
            send(.stop, to: state)
        }
        do {
            let grace = try Timer(loop: loop)
            step.timers.append(grace)
            try grace.start(afterNanoseconds: options.stopGraceNs) { [unowned self] in
                for state in running where state.phase == .running { self.kill(state, because: nil) }
            }
        } catch {
            for state in running { kill(state, because: nil) }
        }
    }

    /// Session Manager, then the auto-start services; `then` once the machine is up.
    private func boot(_ step: StepState, then: @escaping () -> Void) {
        guard let machine = options.machineDirectory else {
            problems.append("\(step.name): the rig has no machine to boot")
            return then()
        }
        spawnProcess(
            name: "\(step.name)/smss", role: "smss", parameters: [Argument("machine", machine)], timeout: rig.timeout,
            position: step.step.position
        ) { [unowned self] smss in
            if smss.record.exitCode != 0 {
                self.problems.append("\(step.name): Session Manager did not finish (\(smss.record.outcome))")
            }
            self.machineDown = false
            do {
                let registry = try Registry(machineDirectory: machine)
                let profile = try machineProfile(of: try MachineRoot(path: machine))
                if !BootServices.start(on: profile) {
                    self.note("services", [Argument("step", step.name), Argument("started", "none: Windows 9x has no service control manager")])
                }
                for service in try BootServices.autoStartServices(in: registry, profile: profile) {
                    if self.startProgram(
                        service.command, what: "service \(service.name)", name: "\(step.name)/\(service.name)", step: step, onOver: { _ in }
                    ) {
                        self.emit(owner: step.name, event: StepEvents.service(service.name), ns: MonotonicClock.now())
                    }
                }
            } catch {
                self.problems.append("\(step.name): cannot start the services: \(error)")
            }
            self.emit(owner: step.name, event: StepEvents.booted, ns: MonotonicClock.now())
            let due = self.deferredSpawns
            self.deferredSpawns = []
            for actor in due { self.spawn(actor) }
            then()
        }
    }

    /// Logs `who` on: emits `NAME.logon`, then the Run and RunOnce entries run in StartupRules's
    /// order, RunOnce values deleted before their command runs (after it succeeds for a `!` name),
    /// each RunOnce command waited for, Run commands started; each emits its event as it starts.
    private func logOn(_ who: Logon, step: StepState, then: @escaping () -> Void) {
        guard who != .none else { return then() }
        guard let machine = options.machineDirectory else { return then() }
        note("logon", [Argument("step", step.name), Argument("as", who.rawValue)])
        // The user is logged on before Explorer runs the RunOnce and Run lists, so whatever a rig
        // starts at the logon (Windows Update's installs, a user's program) runs alongside them.
        emit(owner: step.name, event: StepEvents.logon, ns: MonotonicClock.now())
        let registry: Registry
        let actions: [StartupAction]
        do {
            registry = try Registry(machineDirectory: machine)
            actions = StartupRules.plan(try StartupRules.entries(in: registry), logon: who)
        } catch {
            problems.append("\(step.name): cannot read the Run and RunOnce entries: \(error)")
            return then()
        }
        func next(_ i: Int) {
            guard i < actions.count, !done else { return then() }
            let action = actions[i]
            let entry = action.entry
            let what = "\(entry.hive.rawValue) \(entry.kind.rawValue) \(entry.name)"
            if action.deletion == .beforeRunning { deleteEntry(registry, action, what, step, "before running") }
            let started = startProgram(action.command, what: what, name: "\(step.name)/\(entry.kind.rawValue)-\(entry.name)", step: step) {
                [unowned self] process in
                if action.deletion == .afterSuccess, process?.record.exitCode == 0 {
                    self.deleteEntry(registry, action, what, step, "after success")
                }
                if action.waitForExit { next(i + 1) }
            }
            note("startup", [Argument("entry", what), Argument("started", String(started))])
            if started {
                let now = MonotonicClock.now()
                // `runonce` once, at the first RunOnce command (emit ignores a repeat).
                if entry.kind == .runOnce { emit(owner: step.name, event: StepEvents.runOnce, ns: now) }
                emit(owner: step.name, event: StepEvents.startup(entry.kind, entry.name), ns: now)
            }
            if !action.waitForExit || !started { next(i + 1) }
        }
        next(0)
    }

    private func deleteEntry(_ registry: Registry, _ action: StartupAction, _ what: String, _ step: StepState, _ when: String) {
        do {
            try registry.deleteValue(action.key, action.entry.name)
            note(
                "delete_value",
                [Argument("key", action.key.description), Argument("name", action.entry.name), Argument("entry", what), Argument("when", when)])
        } catch {
            problems.append("\(step.name): cannot delete \(action.key)\\\(action.entry.name): \(error)")
        }
    }

    /// Starts the program of a command line as a worker of the role its file name names, and
    /// notes it (`start_program`: `what` — `service NAME`, `HKLM RunOnce NAME` —, the command,
    /// the process's name, and `started` or the Win32 error CreateProcess would give).
    /// Returns false when there is no such program (ERROR_FILE_NOT_FOUND, as CreateProcess says);
    /// `onOver` then runs at once with nil.
    @discardableResult
    private func startProgram(
        _ command: BootCommand, what: String, name: String, step: StepState, onOver: @escaping (ActorState?) -> Void
    ) -> Bool {
        guard let machine = options.machineDirectory, options.roleExists(command.role) else {
            let error = Win32Error(2, operation: "CreateProcess", path: command.program)
            note(
                "start_program",
                [Argument("what", what), Argument("command", command.commandLine), Argument("process", name), Argument("result", error.message)])
            onOver(nil)
            return false
        }
        note(
            "start_program",
            [Argument("what", what), Argument("command", command.commandLine), Argument("process", name), Argument("result", "started")])
        let parameters = command.workerParameters(machine: machine).map { Argument($0.name, $0.value) }
        spawnProcess(name: name, role: command.role, parameters: parameters, timeout: rig.timeout, position: step.step.position) {
            onOver($0)
        }
        return true
    }
}
