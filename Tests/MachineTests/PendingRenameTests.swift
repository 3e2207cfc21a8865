import Glibc
import Machine
import Registry
import TestSupport
import Testing
import WinFS
import WindowsModel

/// A machine directory for boot tests: `drive_c/Windows` and a profile file (none when nil).
final class BootTestMachine {
    private let scratch = Scratch("boot-test")
    var path: String { scratch.path }
    let root: MachineRoot

    init(profile: String?) throws {
        if let profile { scratch.write("profile", profile + "\n") }
        root = try MachineRoot(path: scratch.path)
        try root.createDirectories(try WindowsPath("C:\\Windows"))
    }

    func write(_ path: String, _ text: String) throws {
        let windowsPath = try WindowsPath(path)
        if let parent = windowsPath.parent { try root.createDirectories(parent) }
        try root.writeFile(windowsPath, Array(text.utf8))
    }

    func read(_ path: String) throws -> String? {
        let windowsPath = try WindowsPath(path)
        guard root.exists(windowsPath) else { return nil }
        return String(decoding: try root.readFile(windowsPath), as: UTF8.self)
    }

    func registry() throws -> Registry { try Registry(machineDirectory: path) }
}

/// Collects reported steps (op and result, as a worker's event reads it) in order.
final class RecordingReporter: BootReporter {
    var steps: [(op: String, args: [(name: String, value: String)], result: String)] = []
    func step(_ op: String, _ args: [(name: String, value: String)], _ body: () throws(OperationFailure) -> String?) {
        do throws(OperationFailure) {
            let note = try body()
            steps.append((op, args, note.map { "ok \($0)" } ?? "ok"))
        } catch {
            steps.append((op, args, error.description))
        }
    }
}

func rename(_ source: String, _ destination: String?, replace: Bool = false) -> PendingRename {
    PendingRename(
        source: try! WindowsPath(source), destination: destination.map { try! WindowsPath($0) }, replaceExisting: replace)
}

@Suite(.forkFree) struct PendingRenameStoreTests {
    @Test func ntQueueIsPendingFileRenameOperationsPairs() throws {
        let machine = try BootTestMachine(profile: "nt")
        let store = try pendingRenameStore(for: machine.root)
        try store.append(rename("C:\\Windows\\a.tmp", "C:\\Windows\\a.dll", replace: true))
        try store.append(rename("C:\\Windows\\old.dll", nil))
        try store.append(rename("C:\\Windows\\b.tmp", "C:\\Windows\\b.dll"))

        #expect(
            try machine.registry().value(WindowsKeys.sessionManager, "PendingFileRenameOperations")
                == .multiString([
                    "\\??\\C:\\Windows\\a.tmp", "!\\??\\C:\\Windows\\a.dll",
                    "\\??\\C:\\Windows\\old.dll", "",
                    "\\??\\C:\\Windows\\b.tmp", "\\??\\C:\\Windows\\b.dll",
                ]))
        #expect(
            try store.pending() == [
                rename("C:\\Windows\\a.tmp", "C:\\Windows\\a.dll", replace: true),
                rename("C:\\Windows\\old.dll", nil),
                rename("C:\\Windows\\b.tmp", "C:\\Windows\\b.dll"),
            ])
    }

    @Test func aMachineWithoutAProfileFileIsNT() throws {
        let machine = try BootTestMachine(profile: nil)
        #expect(try machineProfile(of: machine.root) == .nt)
        #expect(try pendingRenameStore(for: machine.root) is RegistryPendingRenames)
    }

    @Test func anUnknownProfileIsAnError() throws {
        let machine = try BootTestMachine(profile: "os2")
        #expect(throws: MachineError.self) { try machineProfile(of: machine.root) }
    }

    @Test func malformedRegistryEntriesAreKeptAsSuch() {
        let entries = RegistryPendingRenames.entries(from: ["\\??\\D:\\x", "", "\\??\\C:\\a", "", "\\??\\C:\\lone"])
        #expect(entries.count == 3)
        guard case .malformed = entries[0], case .rename = entries[1], case .malformed = entries[2] else {
            Issue.record("unexpected \(entries)")
            return
        }
    }

    @Test func win9xQueueIsWininitRenameSection() throws {
        let machine = try BootTestMachine(profile: "win9x")
        try machine.write("C:\\Windows\\wininit.ini", "[other]\r\nkeep=1\r\n")
        let store = try pendingRenameStore(for: machine.root)
        try store.append(rename("C:\\Windows\\a.tmp", "C:\\Windows\\a.dll"))
        try store.append(rename("C:\\Windows\\old.dll", nil))
        #expect(
            try machine.read("C:\\Windows\\wininit.ini")
                == "[other]\r\nkeep=1\r\n[rename]\r\nC:\\Windows\\a.dll=C:\\Windows\\a.tmp\r\nNUL=C:\\Windows\\old.dll\r\n")
        // WININIT always replaces an existing destination.
        #expect(
            try store.pending() == [
                rename("C:\\Windows\\a.tmp", "C:\\Windows\\a.dll", replace: true), rename("C:\\Windows\\old.dll", nil),
            ])
    }

    @Test func wininitLinesGoAtTheEndOfTheRenameSection() {
        let text = "[rename]\r\nA=B\r\n\r\n[later]\r\nx=y\r\n"
        #expect(
            WininitPendingRenames.appending("C=D", toIni: text) == "[rename]\r\nA=B\r\nC=D\r\n\r\n[later]\r\nx=y\r\n")
        #expect(WininitPendingRenames.appending("C=D", toIni: "") == "[rename]\r\nC=D\r\n")
    }

    /// Two processes' worth of appends from many threads (each with its own store, as separate
    /// processes have) lose nothing, on both profiles.
    @Test(arguments: ["nt", "win9x"]) func concurrentAppendsLoseNothing(profile: String) async throws {
        let machine = try BootTestMachine(profile: profile)
        let path = machine.path
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<4 {
                group.addTask {
                    let root = try! MachineRoot(path: path)
                    let store = try! pendingRenameStore(for: root)
                    for i in 0..<25 {
                        try! store.append(rename("C:\\Windows\\t\(thread)-\(i)", nil))
                    }
                }
            }
        }
        let pending = try pendingRenameStore(for: machine.root).pending()
        #expect(pending.count == 100)
        for thread in 0..<4 {
            let mine = pending.filter { $0.source.name!.hasPrefix("t\(thread)-") }.map { $0.source.name! }
            #expect(mine == (0..<25).map { "t\(thread)-\($0)" })
        }
    }
}

@Suite(.forkFree) struct SessionManagerTests {
    /// A queue whose result depends on order: a file moved aside, the new one moved in over the
    /// old name with `!`, a later pair reusing the freed name, a failing pair, a deletion.
    func queue(_ store: any PendingRenameStore) throws {
        try store.append(rename("C:\\Windows\\System32\\lib.dll", "C:\\Windows\\System32\\lib.old"))
        try store.append(rename("C:\\Windows\\System32\\lib.new", "C:\\Windows\\System32\\lib.dll", replace: true))
        try store.append(rename("C:\\Windows\\missing.tmp", "C:\\Windows\\never.dll"))
        try store.append(rename("C:\\Windows\\System32\\lib.old", nil))
        try store.append(rename("C:\\Windows\\second.tmp", "C:\\Windows\\System32\\lib.old"))
    }

    func prepare(_ machine: BootTestMachine) throws {
        try machine.write("C:\\Windows\\System32\\lib.dll", "v1")
        try machine.write("C:\\Windows\\System32\\lib.new", "v2")
        try machine.write("C:\\Windows\\second.tmp", "second")
    }

    @Test(arguments: ["nt", "win9x"]) func appliesInOrderLogsAndSkipsFailuresThenClears(profile: String) throws {
        let machine = try BootTestMachine(profile: profile)
        try prepare(machine)
        let queue = try pendingRenameQueue(for: machine.root)
        try self.queue(queue)
        let reporter = RecordingReporter()
        let outcome = try SessionManager.applyPendingRenames(files: BootFiles(root: machine.root), queue: queue, reporter: reporter)

        #expect(try machine.read("C:\\Windows\\System32\\lib.dll") == "v2")
        #expect(try machine.read("C:\\Windows\\System32\\lib.new") == nil)
        #expect(try machine.read("C:\\Windows\\System32\\lib.old") == "second")
        #expect(try machine.read("C:\\Windows\\second.tmp") == nil)
        #expect(try machine.read("C:\\Windows\\never.dll") == nil)
        #expect(outcome.applied == 4)
        #expect(outcome.failures.count == 1)
        #expect(
            reporter.steps.map(\.op) == [
                "PendingRenames", "MoveFileEx", "MoveFileEx", "MoveFileEx", "DeleteFile", "MoveFileEx", "ClearPendingRenames",
            ])
        #expect(reporter.steps[3].result == "ERROR_FILE_NOT_FOUND (2)")
        #expect(try queue.pending().isEmpty)
        #expect(try !machine.registry().keyExists(BootKeys.bootProgress))
        if profile == "nt" {
            #expect(try machine.registry().value(WindowsKeys.sessionManager, "PendingFileRenameOperations") == nil)
        } else {
            #expect(try machine.read("C:\\Windows\\wininit.ini") == nil)
            #expect(try machine.read("C:\\Windows\\wininit.bak")?.contains("[rename]") == true)
        }
    }

    @Test func withoutReplaceAnExistingDestinationFails() throws {
        let machine = try BootTestMachine(profile: "nt")
        try machine.write("C:\\Windows\\a", "a")
        try machine.write("C:\\Windows\\b", "b")
        let queue = try pendingRenameQueue(for: machine.root)
        try queue.append(rename("C:\\Windows\\a", "C:\\Windows\\b"))
        let reporter = RecordingReporter()
        try SessionManager.applyPendingRenames(files: BootFiles(root: machine.root), queue: queue, reporter: reporter)
        #expect(reporter.steps[1].result == "ERROR_ALREADY_EXISTS (183)")
        #expect(try machine.read("C:\\Windows\\a") == "a")
        #expect(try machine.read("C:\\Windows\\b") == "b")
    }

    @Test func resumesAfterTheEntriesAnInterruptedBootApplied() throws {
        let machine = try BootTestMachine(profile: "nt")
        try prepare(machine)
        let queue = try pendingRenameQueue(for: machine.root)
        try self.queue(queue)
        // An earlier boot applied the first two entries and was killed.
        let files = BootFiles(root: machine.root)
        try files.move(
            try WindowsPath("C:\\Windows\\System32\\lib.dll"), to: try WindowsPath("C:\\Windows\\System32\\lib.old"), replaceExisting: false
        )
        try files.move(
            try WindowsPath("C:\\Windows\\System32\\lib.new"), to: try WindowsPath("C:\\Windows\\System32\\lib.dll"), replaceExisting: true)
        try queue.recordApplied(2)

        let reporter = RecordingReporter()
        let outcome = try SessionManager.applyPendingRenames(files: files, queue: queue, reporter: reporter)
        #expect(outcome.resumedAfter == 2)
        #expect(reporter.steps.map(\.op) == ["PendingRenames", "MoveFileEx", "DeleteFile", "MoveFileEx", "ClearPendingRenames"])
        #expect(try machine.read("C:\\Windows\\System32\\lib.dll") == "v2")
        #expect(try machine.read("C:\\Windows\\System32\\lib.old") == "second")
    }

    @Test func aQueuedPathCannotLeaveTheMachine() throws {
        let machine = try BootTestMachine(profile: "nt")
        try machine.write("C:\\Windows\\a", "a")
        // A symbolic link on the machine pointing outside it.
        #expect(symlink("/tmp", machine.path + "/drive_c/out") == 0)
        let queue = try pendingRenameQueue(for: machine.root)
        try queue.append(rename("C:\\Windows\\a", "C:\\out\\escaped"))
        let reporter = RecordingReporter()
        try SessionManager.applyPendingRenames(files: BootFiles(root: machine.root), queue: queue, reporter: reporter)
        #expect(reporter.steps[1].result == "ERROR_INVALID_NAME (123)")
        #expect(access("/tmp/escaped", F_OK) != 0)
        #expect(try machine.read("C:\\Windows\\a") == "a")
    }
}
