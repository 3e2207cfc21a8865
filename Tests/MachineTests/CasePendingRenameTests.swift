import Machine
import TestSupport
import Testing
import WinFS
import WindowsModel

/// Pending renames name files ignoring case, as Session Manager does on Windows: a pair queued in
/// one spelling applies to the file whatever the case it has on disk, and keeps that case.
@Suite(.forkFree) struct CasePendingRenameTests {
    @Test(arguments: ["nt", "win9x"]) func renamesQueuedInOneCaseApplyToTheFileInAnother(profile: String) throws {
        let machine = try BootTestMachine(profile: profile)
        try machine.write("C:\\Windows\\System32\\Lib.dll", "v1")
        try machine.write("C:\\Windows\\System32\\Lib.new", "v2")
        try machine.write("C:\\Windows\\Old.DLL", "old")
        try machine.write("C:\\Windows\\case.txt", "case")
        let store = try pendingRenameStore(for: machine.root)
        // Queued the way an installer does it: MoveFileEx(MOVEFILE_DELAY_UNTIL_REBOOT).
        try machine.root.moveFile(
            try WindowsPath("c:\\windows\\system32\\LIB.NEW"), to: try WindowsPath("C:\\WINDOWS\\SYSTEM32\\LIB.DLL"),
            flags: [.delayUntilReboot, .replaceExisting], store: store)
        try machine.root.moveFile(try WindowsPath("c:\\WINDOWS\\old.dll"), to: nil, flags: .delayUntilReboot, store: store)
        try machine.root.moveFile(
            try WindowsPath("C:\\windows\\CASE.TXT"), to: try WindowsPath("C:\\windows\\Case.Txt"),
            flags: [.delayUntilReboot, .replaceExisting], store: store)

        let queue = try pendingRenameQueue(for: machine.root)
        let reporter = RecordingReporter()
        let outcome = try SessionManager.applyPendingRenames(files: BootFiles(root: machine.root), queue: queue, reporter: reporter)
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.applied == 3)
        #expect(try machine.root.list(try WindowsPath("C:\\Windows\\System32")) == ["Lib.dll"])
        #expect(try machine.read("C:\\Windows\\System32\\Lib.dll") == "v2")
        let windows = try machine.root.list(try WindowsPath("C:\\Windows"))
        #expect(windows.contains("Case.Txt") && !windows.contains("case.txt") && !windows.contains("Old.DLL"), "\(windows)")
        #expect(try machine.read("C:\\Windows\\case.txt") == "case")
    }

    @Test func anExistingDestinationOfAnotherCaseIsTheDestination() throws {
        let machine = try BootTestMachine(profile: "nt")
        try machine.write("C:\\Windows\\a.tmp", "a")
        try machine.write("C:\\Windows\\B.dll", "b")
        let queue = try pendingRenameQueue(for: machine.root)
        try queue.append(PendingRename(source: try WindowsPath("C:\\WINDOWS\\A.TMP"), destination: try WindowsPath("C:\\windows\\b.DLL")))
        let reporter = RecordingReporter()
        try SessionManager.applyPendingRenames(files: BootFiles(root: machine.root), queue: queue, reporter: reporter)
        #expect(reporter.steps[1].result == "ERROR_ALREADY_EXISTS (183)")
        #expect(try machine.root.list(try WindowsPath("C:\\Windows")) == ["B.dll", "a.tmp"])
    }
}
