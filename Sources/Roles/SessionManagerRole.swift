import Host
import Machine
import Servicing
import WinFS
import WindowsModel
import Wire

/// The `smss` role: Session Manager at boot. Applies the machine's pending renames
/// (PendingFileRenameOperations, or `wininit.ini [rename]` on the Windows 9x profile) in queued
/// order, one event per entry; see `SessionManager.applyPendingRenames`. Before that it rolls back
/// an installation that was interrupted (see `InstallerRecovery`).
///
/// Parameters: `machine` (the machine directory). `stopAfterStep=K` (for tests and debugging)
/// makes the process stop itself with SIGSTOP right after reporting its K-th event, like a
/// breakpoint, so a test can kill it at exactly that point.
///
/// Exit code: 0 when the queue was processed (failed entries are logged and skipped, as on
/// Windows); 2 for a missing `machine`; 1 when the machine or its queue cannot be used.
public enum SessionManagerRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        guard let machine = session.parameter("machine") else {
            session.log("smss: no machine=DIR parameter")
            return 2
        }
        guard session.isMachine(machine) else { return 2 }
        let stopAfter = session.parameter("stopAfterStep").flatMap { Int($0) }
        do {
            let root = try MachineRoot(path: machine)
            // An installation the machine went down in the middle of is rolled back from its
            // rollback script before the pending renames are applied. Windows finds a suspended
            // installation (the Installer\InProgress key) when the installer service next runs;
            // here the boot does it first thing, because the renames that installation queued
            // (deleting the old file it renamed aside, putting in a new file it could not
            // replace) must be taken out of the queue before Session Manager applies them:
            // applied first, they would delete the very bytes the rollback restores.
            if let line = try InstallerRecovery.recoverAtBoot(root: root, host: SessionInstallerHost(session)) {
                session.log("smss: \(line)")
            }
            let queue = try pendingRenameQueue(for: root)
            let reporter = SessionReporter(session: session, stopAfterStep: stopAfter)
            try SessionManager.applyPendingRenames(files: BootFiles(root: root), queue: queue, reporter: reporter)
            return 0
        } catch let error as Win32Error {
            session.log("smss: \(error.message)")
            return 1
        } catch {
            session.log("smss: \(error)")
            return 1
        }
    }
}

/// Reports boot steps as the worker's events (timed by `perform`).
final class SessionReporter: BootReporter {
    let session: any WorkerSession
    let stopAfterStep: Int?
    private var steps = 0

    init(session: any WorkerSession, stopAfterStep: Int?) {
        self.session = session
        self.stopAfterStep = stopAfterStep
    }

    func step(_ op: String, _ args: [(name: String, value: String)], _ body: () throws(OperationFailure) -> String?) {
        session.perform(op, args.map { Argument($0.name, $0.value) }) {
            var note: String?
            var failure: OperationFailure?
            do throws(OperationFailure) { note = try body() } catch { failure = error }
            return OperationResult(note: note, failure: failure)
        }
        steps += 1
        if steps == stopAfterStep { CurrentProcess.raise(Signal.stop) }
    }
}
