import Foundation
import Glibc
import Machine
import Registry
import RigModel
import Servicing
import TestSupport
import Testing
import WinFS
import WindowsModel

/// Delete-pending files on a machine: the installer's aside copies, the machine's listing (what
/// `rig machine show` and the end-of-run record show) and Session Manager at boot.
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5))) struct DeletePendingMachineTests {
    /// A reader sharing delete holds mscorwks.dll: the installer renames it aside (soft lock) and
    /// queues the aside copy for deletion at boot. Deleted now while the reader still holds it,
    /// the aside copy is delete-pending: listed, its name not reused (a second install goes to
    /// `.~2`), until the reader is gone; then listings drop it and the boot's queued delete finds
    /// it gone already (2, logged and skipped), as on Windows where it went with its last handle.
    @Test func asideCopyDeletedWhileHeld() throws {
        let machine = try InstallerMachine()
        let patch = try loadPatch("kb886903.yaml")
        let reader = try TestProcess.sharingReader(machine, mscorwks)
        defer { reader.release() }
        let outcome = try install(patch, on: machine)
        #expect(outcome.exitCode == InstallerExit.rebootRequired)
        let aside = framework.appending("mscorwks.dll.~1")
        #expect(try machine.pending() == [PendingRename(source: aside, destination: nil, replaceExisting: false)])

        let deleted = runRig(["fs", "delete", machine.path, aside.description])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(machine.root.isDeletePending(aside))
        let listed = try MachineDirectory(opening: machine.path).fileList().map(\.path)
        #expect(listed.contains(aside))
        #expect(throws: Win32Error.accessDenied) { try machine.root.open(aside, access: .read, share: .all).close() }

        // The name is still taken: the next soft-locked replacement goes aside to `.~2`.
        let second = Patch(
            id: "Again", era: .runonce, product: "Test",
            files: [PatchFile(path: mscorwks, version: FileVersion("1.1.4322.3000")!, size: 70000)])
        let reader2 = try TestProcess.sharingReader(machine, mscorwks)
        #expect(try install(second, on: machine).exitCode == InstallerExit.rebootRequired)
        #expect(try machine.pending().map(\.source) == [aside, framework.appending("mscorwks.dll.~2")])

        // The boot: every process is stopped, then Session Manager runs.
        reader.release()
        reader2.release()
        #expect(try !MachineDirectory(opening: machine.path).fileList().map(\.path).contains(aside))
        #expect(
            !FileManager.default.fileExists(atPath: machine.path + "/drive_c/Windows/Microsoft.NET/Framework/v1.1.4322/mscorwks.dll.~1"))
        let reporter = RecordingReporter()
        try SessionManager.applyPendingRenames(
            files: BootFiles(root: machine.root), queue: try pendingRenameQueue(for: machine.root), reporter: reporter)
        #expect(reporter.steps.filter { $0.op == "DeleteFile" }.map(\.result) == ["ERROR_FILE_NOT_FOUND (2)", "ok"])
        #expect(try machine.root.list(framework).filter { $0.contains(".~") }.isEmpty)
        #expect(try machine.version(mscorwks) == FileVersion("1.1.4322.3000"))
    }

    /// Session Manager at boot: a delete-pending file whose holders were stopped is gone before
    /// the queue is applied, so a queued rename onto its name finds the name free, and one from it
    /// finds no file.
    @Test func bootCompletesPendingDeletesBeforeRenames() throws {
        let machine = try InstallerMachine()
        let held = winPath("C:\\Windows\\held.dll")
        let source = winPath("C:\\Windows\\new.dll")
        try machine.root.writeFile(held, [1])
        try machine.root.writeFile(source, [2])
        let holder = try TestProcess.sharingReader(machine, held)
        try machine.root.deleteFile(held)
        let queue = try pendingRenameQueue(for: machine.root)
        try queue.append(PendingRename(source: source, destination: held, replaceExisting: false))
        holder.release()
        let reporter = RecordingReporter()
        try SessionManager.applyPendingRenames(files: BootFiles(root: machine.root), queue: queue, reporter: reporter)
        #expect(reporter.steps.filter { $0.op == "MoveFileEx" }.map(\.result) == ["ok"])
        #expect(try machine.bytes(held) == [2])
    }
}
