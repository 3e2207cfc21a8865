import Coordinator
import CoordinatorCore
import Machine
import Registry
import Report
import RigModel
import TestSupport
import Testing
import WinFS
import WindowsModel

/// Reboots and logons taken by the coordinator, with Session Manager, services and Run/RunOnce
/// commands as real workers.
@Suite(.serialized, .forks, .timeLimit(.minutes(5)))
struct MachineStepTests {
    let here = SourcePosition(file: "test.yaml", line: 1, column: 1)
    let workerRoles: Set<String> = ["script", "smss", "append"]

    func makeMachine() throws -> String {
        let path = temporaryDirectory() + "/machine"
        try MachineDirectory.create(at: path, image: .minimal, profile: .nt)
        return path
    }

    func run(_ rig: Rig, machine: String) throws -> RunHistory {
        let roles = workerRoles
        let options = RunOptions(
            seed: 1, workerExecutable: BuiltBinaries.worker, logDirectory: temporaryDirectory(), stopGraceNs: 200_000_000,
            machineDirectory: machine, roleExists: { roles.contains($0) })
        return try RigRunner(rig: rig, options: options).run()
    }

    @Test func aRebootStopsProcessesAppliesRenamesAndRunsRunOnceForAnAdministrator() throws {
        let machine = try makeMachine()
        let root = try MachineRoot(path: machine)
        try root.writeFile(try WindowsPath("C:\\new.dll"), Array("new".utf8))
        try root.writeFile(try WindowsPath("C:\\old.dll"), Array("old".utf8))
        try pendingRenameStore(for: root).append(
            PendingRename(source: try WindowsPath("C:\\new.dll"), destination: try WindowsPath("C:\\old.dll"), replaceExisting: true))
        let registry = try Registry(machineDirectory: machine)
        let runOnce = WindowsKeys.startup(.localMachine, .runOnce)
        try registry.setValue(runOnce, "Note", .string("C:\\Windows\\append.exe C:\\log.txt after reboot"))
        try registry.setValue(runOnce, "Missing", .string("C:\\nowhere\\nothing.exe"))

        let rig = Rig(
            name: "reboot", timeout: .seconds(20), file: "test.yaml",
            actors: [
                // Still running when the reboot comes: stopped, not failed.
                Actor(
                    name: "app", role: "script", steps: [Step(.emit("up"), at: here), Step(.sleep(.seconds(30)), at: here)], position: here),
                Actor(
                    name: "after", role: "script", start: .afterEvent(actor: "reboot1", event: "booted", delay: .zero, jitter: .zero),
                    steps: [Step(.exit(0), at: here)], position: here),
            ],
            expectations: [],
            machine: MachineSpec(
                image: nil,
                steps: [
                    MachineStep(
                        name: "reboot1", kind: .reboot(logon: .admin),
                        start: .afterEvent(actor: "app", event: "up", delay: .milliseconds(10), jitter: .zero), position: here)
                ], position: here))
        let history = try run(rig, machine: machine)

        #expect(history.problems == [])
        let app = try #require(history.actor(named: "app"))
        #expect(app.exitCode == 1 && app.failure == nil, "stopped by the reboot: \(app.outcome)")
        #expect(history.actor(named: "reboot1/smss")?.exitCode == 0)
        #expect(history.actor(named: "reboot1/RunOnce-Note")?.exitCode == 0)
        #expect(history.actor(named: "after")?.exitCode == 0)
        // Session Manager really renamed; the RunOnce command really ran; its value is gone.
        #expect(try root.readFile(try WindowsPath("C:\\old.dll")) == Array("new".utf8))
        #expect(try String(decoding: root.readFile(try WindowsPath("C:\\log.txt")), as: UTF8.self).contains("after reboot"))
        let snapshot = try #require(history.machine)
        #expect(snapshot.pendingRenames.isEmpty)
        #expect(snapshot.runOnce.isEmpty, "both deleted before running, even the missing program")
        // `after` started only once the machine was up again.
        let smssEnd = try #require(history.actor(named: "reboot1/smss")?.endNs)
        #expect(try #require(history.actor(named: "after")?.spawnNs) > smssEnd)
    }

    @Test func withoutAnAdministratorHKLMRunOnceWaits() throws {
        let machine = try makeMachine()
        let registry = try Registry(machineDirectory: machine)
        try registry.setValue(
            WindowsKeys.startup(.localMachine, .runOnce), "Note",
            .string("C:\\Windows\\append.exe C:\\log.txt hello"))
        let rig = Rig(
            name: "user", timeout: .seconds(20), file: "test.yaml", actors: [], expectations: [],
            machine: MachineSpec(
                image: nil,
                steps: [
                    MachineStep(name: "reboot1", kind: .reboot(logon: .user), start: .at(.zero, jitter: .zero), position: here)
                ], position: here))
        let history = try run(rig, machine: machine)
        #expect(history.problems == [])
        #expect(history.actor(named: "reboot1/RunOnce-Note") == nil)
        #expect(history.machine?.runOnce.map(\.name) == ["Note"])
    }

    /// `reboot1.logon` comes when the user has logged on, before the RunOnce pass: an actor
    /// started on it runs alongside the pass. Each command and service emits an event as it starts.
    @Test func theLogonComesBeforeTheRunOncePassAndEachCommandAndServiceEmitsAsItStarts() throws {
        let machine = try makeMachine()
        let registry = try Registry(machineDirectory: machine)
        let runOnce = WindowsKeys.startup(.localMachine, .runOnce)
        try registry.setValue(runOnce, "First", .string("C:\\Windows\\append.exe C:\\log.txt first"))
        try registry.setValue(runOnce, "Second", .string("C:\\Windows\\append.exe C:\\log.txt second"))
        try registry.setValue(WindowsKeys.startup(.localMachine, .run), "Tray", .string("C:\\Windows\\append.exe C:\\run.txt tray"))
        let service = WindowsKeys.services.appending("Svc")
        try registry.setValue(service, "Start", .dword(ServiceStart.auto.startValue))
        try registry.setValue(service, "ImagePath", .string("C:\\Windows\\append.exe C:\\svc.txt service"))
        func after(_ name: String, _ event: String, _ steps: [Step] = []) -> Actor {
            Actor(
                name: name, role: "script", start: .afterEvent(actor: "reboot1", event: event, delay: .zero, jitter: .zero),
                steps: steps, position: here)
        }
        let rig = Rig(
            name: "events", timeout: .seconds(20), file: "test.yaml",
            actors: [
                // Starts at the logon and is still running when the second RunOnce command starts.
                after("early", "logon", [Step(.wait(actor: "reboot1", event: "RunOnce-Second"), at: here)]),
                after("onRunOnce", "runonce"),
                after("onFirst", "RunOnce-First"),
                after("onSecond", "RunOnce-Second"),
                after("onTray", "Run-Tray"),
                after("onService", "service-Svc"),
            ],
            expectations: [],
            machine: MachineSpec(
                image: nil,
                steps: [
                    MachineStep(name: "reboot1", kind: .reboot(logon: .admin), start: .at(.zero, jitter: .zero), position: here)
                ], position: here))
        let history = try run(rig, machine: machine)
        #expect(history.problems == [])
        func process(_ name: String) throws -> ActorRecord { try #require(history.actor(named: name), "\(name)") }
        let first = try process("reboot1/RunOnce-First")
        let second = try process("reboot1/RunOnce-Second")
        let tray = try process("reboot1/Run-Tray")
        let svc = try process("reboot1/Svc")
        for record in [first, second, tray, svc] { #expect(record.exitCode == 0, "\(record.name): \(record.outcome)") }
        // The logon actor overlaps the RunOnce pass: spawned before its first command, waited
        // for the second one to start, and was released by it.
        let early = try process("early")
        #expect(early.exitCode == 0, "\(early.outcome)")
        #expect(try #require(early.spawnNs) < (try #require(first.spawnNs)))
        #expect(try #require(early.spawnNs) < (try #require(second.endNs)))
        // Each event came as its command started: after the spawn of its own process, before
        // the next RunOnce command (which waits for the one before to end).
        func starts(_ actor: String, with command: ActorRecord, before next: ActorRecord?) throws {
            let spawn = try #require(try process(actor).spawnNs)
            #expect(spawn >= (try #require(command.spawnNs)), "\(actor)")
            if let next { #expect(spawn < (try #require(next.spawnNs)), "\(actor)") }
        }
        try starts("onRunOnce", with: first, before: second)
        try starts("onFirst", with: first, before: second)
        try starts("onSecond", with: second, before: tray)
        try starts("onTray", with: tray, before: nil)
        try starts("onService", with: svc, before: first)
    }

    /// Windows 9x has no service control manager: a registered auto-start service does not start.
    @Test func aWindows9xBootStartsNoService() throws {
        let path = temporaryDirectory() + "/machine9x"
        try MachineDirectory.create(at: path, image: .minimal, profile: .win9x)
        let registry = try Registry(machineDirectory: path)
        let service = WindowsKeys.services.appending("Svc")
        try registry.setValue(service, "Start", .dword(ServiceStart.auto.startValue))
        try registry.setValue(service, "ImagePath", .string("C:\\Windows\\append.exe C:\\svc.txt service"))
        let rig = Rig(
            name: "win9x", timeout: .seconds(20), file: "test.yaml", actors: [], expectations: [],
            machine: MachineSpec(
                image: nil, profile: .win9x,
                steps: [
                    MachineStep(name: "reboot1", kind: .reboot(logon: .admin), start: .at(.zero, jitter: .zero), position: here)
                ], position: here))
        let history = try run(rig, machine: path)
        #expect(history.problems == [])
        #expect(history.actor(named: "reboot1/smss")?.exitCode == 0)
        #expect(history.actor(named: "reboot1/Svc") == nil)
        #expect(!(try MachineRoot(path: path)).exists(try WindowsPath("C:\\svc.txt")))
    }
}
