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

private func winPath(_ text: String) -> WindowsPath { try! WindowsPath(text) }

/// The rollback of a file that became busy, interrupted: patch X's installer replaces a.dll, then
/// retries b.dll (held by an editor) until its retry limit; meanwhile an application takes hold
/// of the new a.dll (loaded as an image, or held by an editor that does not share delete). The
/// installer is killed at every operation of its rollback (`rig-worker installer --kill-at
/// any#N`); then (every other time) the next installer run, and the boot (every process stopped,
/// Session Manager recovering the script and applying the queue) must leave every file of the
/// patch old and nothing behind.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct InstallerBusyRollbackCrashTests {
    let a = winPath("C:\\App\\a.dll"), b = winPath("C:\\App\\b.dll")

    /// Runs patch X's installer (killed at `killAt` when given) while an editor holds b.dll, and
    /// starts `hold` on the new a.dll as soon as it is in place. Returns the installer's outcome
    /// and the holders (still running).
    func run(_ machine: String, _ x: Patch, hold: String, killAt: String?) throws -> (ProcessOutcome, [TestProcess]) {
        let editor = try TestProcess(
            [BuiltBinaries.rig, "fs", "open", machine, b.description, "--access", "read,write", "--share", "read,write", "--hold"],
            until: "held")
        var arguments = [BuiltBinaries.worker, "installer"]
        if let killAt { arguments += ["--kill-at", killAt] }
        let process = TestProcess(
            arguments + ["machine=\(machine)", "patch=\(x.packagePath)", "files_in_use=retry", "retry_limit=800ms"])
        // The application starts once the new a.dll is in place (the installer is retrying b.dll).
        let root = try MachineRoot(path: machine)
        let newA = x.file(at: a)!.bytes
        var app: TestProcess?
        for _ in 0..<2000 where process.isRunning {
            // The bytes can be in place while the installer still holds the file exclusively
            // (verifying it): the application then gets a sharing violation and tries again.
            if (try? root.readFile(a)) == newA,
                let started = try? TestProcess(
                    [BuiltBinaries.rig]
                        + (hold == "image"
                            ? ["fs", "open", machine, a.description, "--image", "--hold"]
                            : ["fs", "open", machine, a.description, "--access", "read,write", "--share", "read,write", "--hold"]),
                    until: "held")
            {
                app = started
                break
            }
            usleep(2_000)
        }
        let outcome = process.release()
        #expect(app != nil, "the new a.dll never appeared: \(outcome.stdout)\(outcome.stderr)")
        return (outcome, [editor] + (app.map { [$0] } ?? []))
    }

    @Test(arguments: ["image", "editor"]) func killedAtEveryRollbackOperationThenBootedIsAllOld(hold: String) throws {
        let crash = InstallerCrashTests()
        let (template, x, _) = try crash.template()
        let templateRoot = try MachineRoot(path: template)
        var old: [WindowsPath: [UInt8]] = [:]
        for file in x.files where templateRoot.exists(file.path) { old[file.path] = try templateRoot.readFile(file.path) }

        // A clean run: it fails at b.dll, its rollback meets the busy new a.dll, and it says so.
        let clean = try crash.copy(template)
        let (reference, holders) = try run(clean, x, hold: hold, killAt: nil)
        #expect(reference.status == InstallerExit.failRebootRequired & 0xff, "\(reference.stdout)\(reference.stderr)")
        let operations = reference.stdout.split(separator: "\n").filter { $0.contains(" -> ") }
        #expect(operations.contains { $0.contains(" reboot_required ") && $0.contains("reason=rollback") }, "\(reference.stdout)")
        for holder in holders { holder.release() }
        let boot = execute(BuiltBinaries.rig, ["machine", "boot", clean])
        #expect(boot.status == 0, "\(boot.stdout)\(boot.stderr)")
        #expect(try crash.checkConsistent(clean, x, old: old, context: "\(hold): clean run, then the boot") == .old)

        // Every operation from the rollback's first on.
        let ops = operations.map { $0.split(separator: " ")[2] }
        guard let first = ops.firstIndex(of: "rollback") else {
            Issue.record("no rollback operation in \(reference.stdout)")
            return
        }
        // The busy restore's operations (queue, rename aside or not, restore), its reboot_required
        // and the script's end are all among the kill points.
        let rollbackLines = operations[first...]
        #expect(rollbackLines.contains { $0.contains("action=queue") }, "\(reference.stdout)")
        #expect(rollbackLines.contains { $0.contains("action=rename_aside") }, "\(reference.stdout)")
        #expect(rollbackLines.contains { $0.contains(" reboot_required ") }, "\(reference.stdout)")
        #expect(rollbackLines.contains { $0.contains(" script ") && $0.contains("action=end") }, "\(reference.stdout)")
        var refusals = 0
        for n in (first + 1)...operations.count {
            let context = "\(hold): killed at any#\(n) (\(ops[n - 1]))"
            let machine = try crash.copy(template)
            let (killed, holders) = try run(machine, x, hold: hold, killAt: "any#\(n)")
            #expect(killed.stderr.contains("killed at fault point any#\(n)"), "\(context): \(killed.status) \(killed.stderr)")
            if n % 2 == 0 {
                // The next installer run comes first, the applications still holding their files:
                // it recovers what it can and, if the boot must finish the rollback, installs
                // nothing (3017); otherwise it fails on b.dll again and rolls back (1602).
                let again = execute(
                    BuiltBinaries.worker, ["installer", "machine=\(machine)", "patch=\(x.packagePath)", "files_in_use=exit"])
                #expect(
                    [InstallerExit.failRebootRequired & 0xff, InstallerExit.userExit & 0xff].contains(again.status),
                    "\(context), then the installer: \(again.status) \(again.stdout)\(again.stderr)")
                #expect(try MachineRoot(path: machine).readFile(b) == old[b], "\(context), then the installer")
                if again.status == InstallerExit.failRebootRequired & 0xff { refusals += 1 }
            }
            // A reboot stops every process first.
            for holder in holders { holder.release() }
            let boot = execute(BuiltBinaries.rig, ["machine", "boot", machine])
            #expect(boot.status == 0, "\(context): \(boot.stdout)\(boot.stderr)")
            #expect(try crash.checkConsistent(machine, x, old: old, context: context) == .old)
        }
        // Some of those runs met a rollback that the boot must finish, and refused to install.
        #expect(refusals > 0)
    }
}
