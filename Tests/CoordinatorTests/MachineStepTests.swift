import Coordinator
import Machine
import Registry
import Report
import RigModel
import Testing
import WinFS
import TestSupport

/// Reboots and logons taken by the coordinator, with Session Manager, services and Run/RunOnce
/// commands as real workers.
@Suite(.serialized, .forks)
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
        let runOnce = BootKeys.currentVersion(.localMachine).appending("RunOnce")
        try registry.setValue(runOnce, "Note", .string("C:\\Windows\\append.exe C:\\log.txt after reboot"))
        try registry.setValue(runOnce, "Missing", .string("C:\\nowhere\\nothing.exe"))

        let rig = Rig(
            name: "reboot", timeout: .seconds(20), file: "test.yaml",
            actors: [
                // Still running when the reboot comes: stopped, not failed.
                Actor(name: "app", role: "script", steps: [Step(.emit("up"), at: here), Step(.sleep(.seconds(30)), at: here)], position: here),
                Actor(name: "after", role: "script", start: .afterEvent(actor: "reboot1", event: "booted", delay: .zero, jitter: .zero),
                      steps: [Step(.exit(0), at: here)], position: here),
            ],
            expectations: [],
            machine: MachineSpec(image: nil, steps: [
                MachineStep(name: "reboot1", kind: .reboot(logon: .admin),
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
        try registry.setValue(BootKeys.currentVersion(.localMachine).appending("RunOnce"), "Note",
                              .string("C:\\Windows\\append.exe C:\\log.txt hello"))
        let rig = Rig(
            name: "user", timeout: .seconds(20), file: "test.yaml", actors: [], expectations: [],
            machine: MachineSpec(image: nil, steps: [
                MachineStep(name: "reboot1", kind: .reboot(logon: .user), start: .at(.zero, jitter: .zero), position: here)
            ], position: here))
        let history = try run(rig, machine: machine)
        #expect(history.problems == [])
        #expect(history.actor(named: "reboot1/RunOnce-Note") == nil)
        #expect(history.machine?.runOnce.map(\.name) == ["Note"])
    }
}
