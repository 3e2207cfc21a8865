import Machine
import RigModel
import Testing
import WindowsModel
import Wire

@testable import CoordinatorCore

/// Reboots and logons on a fake machine, running free, every worker played by hand.
@Suite struct RebootTests {
    static func rebootRig(logon: String = "none") throws -> Rig {
        try rig(
            """
            machine:
              steps:
                - reboot: {after: installer.installed, logon: \(logon)}
            actors:
              - {name: installer, role: script, steps: [{emit: installed}]}
              - {name: app, role: script}
              - {name: mid, role: script, start: {after: reboot1.down}}
              - {name: later, role: script, start: {after: reboot1.booted}}
            """)
    }

    /// The step's events emitted so far, in order (as noted on the coordinator's lane).
    static func stepEvents(_ shell: FakeShell, _ step: String = "reboot1") -> [String] {
        shell.core.coordinatorEvents.filter { $0.op == "event" && $0.argument("step") == step }.compactMap { $0.argument("event") }
    }

    /// Runs the reboot up to Session Manager's spawn: the installer emits `installed`, then
    /// exits when stopped; the app ignores its stop and is killed after the grace.
    static func shutDown(_ shell: FakeShell) throws -> (smss: ProcessIndex, commands: [CoreCommand]) {
        let (installer, app) = (try shell.index("installer"), try shell.index("app"))
        shell.begin()
        shell.hello(installer)
        shell.hello(app)
        shell.emit(installer, "installed")
        shell.exit(installer, code: 1)
        shell.fire(.stopGrace(0))
        let commands = shell.feed(.exited(app, .signaled(signal: 9)))
        return (try shell.index("reboot1/smss"), commands)
    }

    @Test func aRebootStopsTheRunningProcessesThenKillsThoseStillRunningAfterTheGrace() throws {
        let machine = FakeMachine()
        let shell = FakeShell(try Self.rebootRig(), machine: machine)
        let (installer, app) = (try shell.index("installer"), try shell.index("app"))
        shell.begin()
        shell.hello(installer)
        shell.hello(app)
        let step = shell.emit(installer, "installed")
        #expect(step.contains(.send(installer, .stop)))
        #expect(step.contains(.send(app, .stop)))
        #expect(step.contains(.armTimer(.stopGrace(0), afterNs: 500_000_000)))
        #expect(machine.flushes == 0, "nothing is flushed while processes run")

        // One exits when asked; the machine waits for the other.
        let first = shell.exit(installer, code: 1)
        #expect(first.spawned.isEmpty)
        #expect(Self.stepEvents(shell).isEmpty)

        let grace = shell.fire(.stopGrace(0))
        #expect(grace == [.kill(app)])
        let down = shell.feed(.exited(app, .signaled(signal: 9)))
        #expect(machine.calls == ["flush"])
        #expect(Self.stepEvents(shell) == ["down"])
        let smss = try shell.index("reboot1/smss")
        #expect(down.contains(.spawn(smss, role: "smss", logBase: "/fake/logs/reboot1~smss")))
        #expect(!down.spawns(try shell.index("mid")), "an actor due while the machine is down waits for the boot")

        // Being stopped by a reboot is no failure of the process.
        #expect(shell.record("installer").failure == nil)
        #expect(shell.record("app").failure == nil)
    }

    @Test func aRebootWithNothingRunningGoesDownAtOnce() throws {
        let machine = FakeMachine()
        let shell = FakeShell(
            try rig(
                """
                machine:
                  steps:
                    - reboot: {after_exit: a}
                actors:
                  - {name: a, role: script}
                """), machine: machine)
        let a = try shell.index("a")
        shell.begin()
        shell.hello(a)
        let exited = shell.exit(a)
        #expect(!exited.contains { if case .armTimer(.stopGrace, _) = $0 { true } else { false } })
        #expect(machine.flushes == 1)
        #expect(exited.spawns(try shell.index("reboot1/smss")))
    }

    @Test func afterSessionManagerTheServicesStartAndTheMachineIsBooted() throws {
        let machine = FakeMachine()
        machine.services = [FakeMachine.service("Spooler", role: "spoolsv"), FakeMachine.service("NetFx Svc", role: "netfxsvc")]
        let shell = FakeShell(try Self.rebootRig(), machine: machine)
        let (smss, _) = try Self.shutDown(shell)

        let hello = shell.hello(smss)
        guard case .task(let task)? = hello.sends.first?.1 else {
            Issue.record("smss got no task: \(hello)")
            return
        }
        #expect(task.parameter("machine") == "/fake/machine")
        #expect(shell.record("reboot1/smss").pid == FakeShell.pid(smss))

        let booted = shell.exit(smss, code: 0)
        let (spooler, netfx) = (try shell.index("reboot1/Spooler"), try shell.index("reboot1/NetFx Svc"))
        #expect(booted.contains(.spawn(spooler, role: "spoolsv", logBase: "/fake/logs/reboot1~Spooler")))
        #expect(booted.spawns(netfx))
        #expect(machine.calls == ["flush", "services"])
        #expect(Self.stepEvents(shell) == ["down", "service-Spooler", "service-NetFx_Svc", "booted", "done"])
        // What waited for the machine starts once it is up.
        #expect(booted.spawns(try shell.index("mid")))
        #expect(booted.spawns(try shell.index("later")))
        #expect(shell.history().problems.isEmpty)
        // A service started by the reboot's command line gets its machine.
        shell.hello(spooler)
        #expect(shell.core.processes[spooler].actor.parameters.contains { $0.name == "machine" && $0.value == "/fake/machine" })
    }

    @Test func aServiceWhoseProgramDoesNotExistIsNotStarted() throws {
        let machine = FakeMachine()
        machine.services = [FakeMachine.service("Gone", role: "gone"), FakeMachine.service("Spooler", role: "spoolsv")]
        let shell = FakeShell(try Self.rebootRig(), machine: machine, roleExists: { $0 != "gone" })
        let (smss, _) = try Self.shutDown(shell)
        shell.hello(smss)
        let booted = shell.exit(smss, code: 0)
        #expect(booted.spawned.map(shell.core.processName).filter { $0.hasPrefix("reboot1/") } == ["reboot1/Spooler"])
        #expect(Self.stepEvents(shell) == ["down", "service-Spooler", "booted", "done"])
        let note = shell.core.coordinatorEvents.first { $0.op == "start_program" && $0.argument("process") == "reboot1/Gone" }
        #expect(note?.argument("result")?.contains("ERROR_FILE_NOT_FOUND") == true, "\(String(describing: note))")
    }

    @Test func aSessionManagerThatFailsIsAProblemButTheMachineStillBoots() throws {
        let machine = FakeMachine()
        let shell = FakeShell(try Self.rebootRig(), machine: machine)
        let (smss, _) = try Self.shutDown(shell)
        shell.hello(smss)
        shell.exit(smss, code: 3)
        #expect(shell.history().problems == ["reboot1: Session Manager did not finish (exited with code 3)"])
        #expect(Self.stepEvents(shell).contains("booted"))
    }

    @Test func aWindows9xMachineStartsNoServices() throws {
        let machine = FakeMachine()
        machine.hasServiceManager = false
        machine.services = [FakeMachine.service("Spooler", role: "spoolsv")]
        let shell = FakeShell(try Self.rebootRig(), machine: machine)
        let (smss, _) = try Self.shutDown(shell)
        shell.hello(smss)
        let booted = shell.exit(smss, code: 0)
        #expect(Self.stepEvents(shell) == ["down", "booted", "done"])
        #expect(booted.spawned.map(shell.core.processName).allSatisfy { !$0.hasPrefix("reboot1/") })
    }

    @Test func aLogonRunsTheStartupPlanRunOnceWaitedForThenRun() throws {
        let machine = FakeMachine()
        machine.plan = FakeMachine.plan([
            StartupEntry(hive: .localMachine, kind: .run, name: "Tray", command: "C:\\tray.exe /min"),
            StartupEntry(hive: .localMachine, kind: .runOnce, name: "NetFxUpdate", command: "\"C:\\Windows\\netfxupdate.exe\" /q"),
        ])
        let shell = FakeShell(try Self.rebootRig(logon: "admin"), machine: machine)
        let (smss, _) = try Self.shutDown(shell)
        shell.hello(smss)
        let booted = shell.exit(smss, code: 0)
        let update = try shell.index("reboot1/RunOnce-NetFxUpdate")
        #expect(booted.contains(.spawn(update, role: "netfxupdate", logBase: "/fake/logs/reboot1~RunOnce-NetFxUpdate")))
        #expect(machine.calls == ["flush", "services", "plan admin", "delete NetFxUpdate"], "a RunOnce value goes before its command runs")
        #expect(Self.stepEvents(shell) == ["down", "booted", "logon", "runonce", "RunOnce-NetFxUpdate"])
        #expect(!booted.spawned.map(shell.core.processName).contains("reboot1/Run-Tray"), "Run waits for the RunOnce command")
        #expect(shell.core.processes[update].actor.parameters.map(\.name) == ["machine", "command", "arg1"])

        shell.hello(update)
        let ran = shell.exit(update, code: 0)
        #expect(ran.spawns(try shell.index("reboot1/Run-Tray")))
        #expect(Self.stepEvents(shell) == ["down", "booted", "logon", "runonce", "RunOnce-NetFxUpdate", "Run-Tray", "done"])
    }

    @Test func aBangRunOnceValueIsDeletedOnlyAfterItsCommandSucceeds() throws {
        for (code, deleted) in [(Int32(0), ["!Setup"]), (1, [])] {
            let machine = FakeMachine()
            machine.plan = FakeMachine.plan([StartupEntry(hive: .localMachine, kind: .runOnce, name: "!Setup", command: "setup.exe")])
            let shell = FakeShell(try Self.rebootRig(logon: "admin"), machine: machine)
            let (smss, _) = try Self.shutDown(shell)
            shell.hello(smss)
            shell.exit(smss, code: 0)
            let setup = try shell.index("reboot1/RunOnce-!Setup")
            #expect(machine.deleted.isEmpty, "not before it runs")
            #expect(Self.stepEvents(shell).contains("RunOnce-_Setup"))
            shell.hello(setup)
            shell.exit(setup, code: code)
            #expect(machine.deleted == deleted, "exit code \(code)")
            #expect(Self.stepEvents(shell).last == "done")
        }
    }

    @Test func aPlainUserDoesNotRunTheMachinesRunOnce() throws {
        let machine = FakeMachine()
        let entries = [
            StartupEntry(hive: .localMachine, kind: .runOnce, name: "NetFxUpdate", command: "netfxupdate.exe"),
            StartupEntry(hive: .currentUser, kind: .run, name: "Tray", command: "tray.exe"),
        ]
        machine.plan = FakeMachine.plan(entries, logon: .user)
        let shell = FakeShell(try Self.rebootRig(logon: "user"), machine: machine)
        let (smss, _) = try Self.shutDown(shell)
        shell.hello(smss)
        let booted = shell.exit(smss, code: 0)
        #expect(machine.calls.contains("plan user"))
        #expect(booted.spawned.map(shell.core.processName).filter { $0.hasPrefix("reboot1/") } == ["reboot1/Run-Tray"])
        #expect(machine.deleted.isEmpty)
    }
}

/// Edges of the machine steps: a reboot with no machine, and aborts in the middle of a boot.
@Suite struct RebootEdgeTests {
    /// A rig with machine steps run without a `MachineAccess` (a library caller that passes no
    /// machine directory): the core notes the problem, and the machine still comes back up, so
    /// an actor due after `reboot1.down` starts (it once stayed deferred until the run's timeout).
    @Test func aRebootWithoutAMachineStillBringsTheRunBackUp() throws {
        let shell = FakeShell(
            try rig(
                """
                machine:
                  steps:
                    - reboot: {after_exit: a}
                actors:
                  - {name: a, role: script}
                  - {name: mid, role: script, start: {after: reboot1.down}}
                """), machine: nil)
        let (a, mid) = (try shell.index("a"), try shell.index("mid"))
        shell.begin()
        shell.hello(a)
        let exited = shell.exit(a)
        #expect(shell.history().problems == ["reboot1: the rig has no machine to boot"])
        #expect(RebootTests.stepEvents(shell) == ["down", "booted", "done"])
        #expect(exited.spawns(mid), "an actor due after the reboot's down")
    }

    /// An abort (SIGINT, the run's timeout, the watchdog) kills Session Manager; its exit must
    /// not continue the boot: no service or logon program starts after the run was given up.
    @Test func anAbortedRunStartsNothingWhenItsSessionManagerDies() throws {
        let machine = FakeMachine()
        machine.services = [FakeMachine.service("Spooler", role: "spoolsv")]
        machine.plan = FakeMachine.plan([StartupEntry(hive: .localMachine, kind: .run, name: "Tray", command: "tray.exe")])
        let shell = FakeShell(try RebootTests.rebootRig(logon: "admin"), machine: machine)
        let (smss, _) = try RebootTests.shutDown(shell)
        shell.hello(smss)
        let interrupted = shell.feed(.interrupted(signal: 2, name: "SIGINT"))
        #expect(interrupted.contains(.kill(smss)))
        #expect(shell.core.interruptedBy == 2)
        let died = shell.feed(.exited(smss, .signaled(signal: 9)))
        #expect(died.spawned.map(shell.core.processName) == [], "spawned after the run was aborted")
        #expect(died.last == .finish)
    }

    /// The same for a RunOnce command the abort killed: the next entries of the plan do not start.
    @Test func anAbortedRunStartsNoFurtherStartupCommands() throws {
        let machine = FakeMachine()
        machine.plan = FakeMachine.plan([
            StartupEntry(hive: .localMachine, kind: .runOnce, name: "Update", command: "update.exe"),
            StartupEntry(hive: .localMachine, kind: .run, name: "Tray", command: "tray.exe"),
        ])
        let shell = FakeShell(try RebootTests.rebootRig(logon: "admin"), machine: machine)
        let (smss, _) = try RebootTests.shutDown(shell)
        shell.hello(smss)
        shell.exit(smss, code: 0)
        let update = try shell.index("reboot1/RunOnce-Update")
        shell.hello(update)
        shell.fire(.run)
        #expect(shell.log.contains(.kill(update)))
        let died = shell.feed(.exited(update, .signaled(signal: 9)))
        #expect(died.spawned.map(shell.core.processName) == [], "spawned after the run was aborted")
    }
}
