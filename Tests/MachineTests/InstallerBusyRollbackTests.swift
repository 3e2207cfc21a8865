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

/// Rollback when a file has become busy in the meantime: the hotfix replaces its first files,
/// then retries a hard-locked file until `retry_limit`; meanwhile applications (real processes)
/// take hold of the NEW files already in place. The rollback must still leave every file of the
/// patch old — at once where the new file can be renamed aside, at the next boot otherwise — and
/// say that a reboot is needed (3017). For every k: the install fails at file k of n.
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5))) struct InstallerBusyRollbackTests {
    /// How the applications hold the new files while the installer retries.
    enum Hold: String, CaseIterable {
        /// Loaded as an image (shares delete): it cannot be a replace target (5), but it can be
        /// renamed aside.
        case image
        /// A document editor's handle (no delete sharing): it cannot even be renamed (32).
        case editor
    }

    @Test(arguments: Hold.allCases) func failingAtEveryFileLeavesThePatchOldAfterTheBoot(hold: Hold) throws {
        let patch = try loadPatch("kb886903.yaml")
        let files = patch.files.map(\.path)
        for k in 1...files.count {
            let context = "\(hold) fails at file \(k) of \(files.count)"
            let machine = try InstallerMachine()
            var old: [WindowsPath: [UInt8]] = [:]
            for file in files { old[file] = try machine.bytes(file) }
            // File k is hard-locked for the whole install: the retries run out on it.
            let blocker = try TestProcess.editor(machine, files[k - 1])
            var apps: [TestProcess] = []
            let host = RecordingHost()
            // At the first retry pause, applications take hold of the new files already in place.
            host.onSleep = { sleep in
                guard sleep == 1 else { return }
                for file in files.prefix(k - 1) {
                    #expect(try! machine.bytes(file) == patch.file(at: file)!.bytes, "\(context): \(file) is not new yet")
                    apps.append(try! hold == .image ? TestProcess.image(machine, file) : TestProcess.editor(machine, file))
                }
            }
            let options = InstallerOptions(filesInUse: .retry, retryLimitNs: 200_000_000, retryIntervalNs: 100_000_000)
            let outcome = try install(patch, on: machine, options, host: host)
            let busy = Array(files.prefix(k - 1))
            if busy.isEmpty {
                #expect(outcome.exitCode == InstallerExit.userExit, "\(context): \(outcome)")
            } else {
                #expect(outcome.exitCode == InstallerExit.failRebootRequired, "\(context): \(outcome)")
                #expect(
                    outcome.rebootCauses.map(\.file).sorted { $0.description < $1.description }
                        == busy.sorted { $0.description < $1.description }, "\(context)")
                #expect(host.results("reboot_required").count == busy.count, "\(context)")
            }
            // Backups are deleted only once their file is restored or its restore is queued.
            let pending = try machine.pending()
            let rollbackFolder = try machine.root.list(InstallerTransaction.rollbackDirectory)
            for file in files {
                let atPath = try machine.bytes(file)
                if hold == .editor && busy.contains(file) {
                    // Held without delete sharing: still new until the boot, which puts it back.
                    #expect(atPath == patch.file(at: file)!.bytes, "\(context): \(file)")
                    let queued = pending.first { $0.destination == file }
                    #expect(queued?.replaceExisting == true, "\(context): no queued restore of \(file): \(pending)")
                    if let queued { #expect(try machine.bytes(queued.source) == old[file], "\(context): the queued backup of \(file)") }
                } else {
                    #expect(atPath == old[file], "\(context): \(file) is not old after the rollback")
                }
            }
            if busy.isEmpty {
                #expect(pending.isEmpty, "\(context): \(pending)")
                #expect(rollbackFolder.isEmpty, "\(context): \(rollbackFolder)")
            }
            #expect(try machine.registry().value(patch.recordKey, "Installed") == nil, "\(context)")
            #expect(try !machine.registry().keyExists(InstallerRollbackScript.key), "\(context)")

            // Installing again before that boot is refused (it would be undone by the boot) and
            // changes nothing.
            if hold == .editor && !busy.isEmpty {
                let again = RecordingHost()
                #expect(try install(patch, on: machine, host: again).exitCode == InstallerExit.failRebootRequired, "\(context)")
                #expect(try machine.pending() == pending, "\(context)")
                #expect(!again.events.contains { ["backup", "replace", "rename_aside"].contains($0.op) }, "\(context)")
            }

            // The boot it asks for: every process of the machine stops, Session Manager runs.
            for app in apps { app.release() }
            blocker.release()
            try SessionManager.applyPendingRenames(
                files: BootFiles(root: machine.root), queue: try pendingRenameQueue(for: machine.root), reporter: RecordingReporter())
            for file in files {
                #expect(try machine.bytes(file) == old[file], "\(context): \(file) is not old after the boot")
            }
            #expect(try machine.pending().isEmpty, "\(context)")
            let left = try machine.root.list(framework).filter { $0.contains(".~") }
            #expect(left.isEmpty, "\(context): leftovers \(left)")
            #expect(try machine.root.list(InstallerTransaction.rollbackDirectory).isEmpty, "\(context)")
        }
    }
}
