import Machine
import Registry
import WinFS
import WindowsModel

/// Rolls back an installation that did not finish, from its rollback script
/// (`InstallerRollbackScript`), as Windows Installer does with a suspended installation: the next
/// installer run (whatever it installs) does it right after taking `_MSIExecute`, and so does the
/// boot (Session Manager, before it applies the pending renames: see `SessionManagerRole`).
///
/// An uncommitted script is undone step by step in reverse order; a committed one (the patch is
/// recorded, every file is new) is finished: its backups are deleted. Then the script is removed.
/// Every undo looks at the disk first and does nothing when its change is absent, and the script
/// is removed only at the very end, so a recovery killed at any point is simply run again.
///
/// Each change is an operation of the host (`rollback` with `action` restore/delete/dequeue,
/// `delete` of a committed install's backup, `script action=end`), so a fault can stop it at
/// any of them.
public struct InstallerRecovery {
    public let root: MachineRoot
    public let host: any InstallerHost

    /// What a recovery did.
    public struct Outcome: Sendable, Equatable {
        /// The patch whose installation was recovered.
        public var patch: String
        /// True when it had been committed (finished), false when it was rolled back.
        public var committed: Bool
        /// Undo operations that failed, with their errors (the script is then kept).
        public var failures: [String]
        /// Files whose restore was left (wholly or in part) to the next boot because they were
        /// in use (see `Rollback`): a reboot is needed to finish the rollback.
        public var rebootNeeded: [WindowsPath] = []
    }

    /// The note of a dequeue that found nothing to take out of the queue: `ok (not queued)`.
    static let notQueued = "(not queued)"

    /// What undoing a script did.
    public struct Rollback: Sendable, Equatable {
        /// Undo operations that failed, with their errors.
        public var failures: [String] = []
        /// Targets in use whose restore needs the next boot: the in-use new file was renamed aside
        /// and queued for deletion at boot (the old file is back at its path), or, when even that
        /// was refused, the backup → target replacement itself was queued.
        public var rebootNeeded: [WindowsPath] = []
    }

    public init(root: MachineRoot, host: any InstallerHost) {
        self.root = root
        self.host = host
    }

    /// Recovers the script left on the machine, if any (nil when there is none). The caller holds
    /// `_MSIExecute`. When an undo fails the script is kept (a later run tries again) and the
    /// outcome lists the failures.
    public func recover() throws -> Outcome? {
        let registry = try Registry(machineDirectory: root.path)
        guard let script = try InstallerRollbackScript.read(registry: registry) else { return nil }
        host.perform(
            "recover",
            [("patch", script.patch), ("state", script.committed ? "commit" : "install"), ("steps", String(script.steps.count))])
        for line in script.unreadable {
            host.log("installer: rollback script of \(script.patch): cannot read the step '\(line)'; skipped")
        }
        let undone = script.committed ? Rollback(failures: finish(script.steps)) : rollBack(script.steps)
        if undone.failures.isEmpty { try end(registry: registry) }
        return Outcome(patch: script.patch, committed: script.committed, failures: undone.failures, rebootNeeded: undone.rebootNeeded)
    }

    /// Removes the script (the last operation of a recovery or an installation).
    func end(registry: Registry) throws {
        let failure = host.perform("script", [("action", "end")]) { () throws(OperationFailure) in
            try OperationFailure.catching { try InstallerRollbackScript.end(registry: registry) }
            return nil
        }
        if let failure { throw MachineError("removing the rollback script: \(failure)") }
    }

    /// Deletes the backups of a committed installation. Returns the failures.
    func finish(_ steps: [RollbackStep]) -> [String] {
        var failures: [String] = []
        for case .backup(_, let backup) in steps where root.exists(backup) {
            run("delete", [("path", backup.description)], &failures) { () throws(Win32Error) in try root.deleteFile(backup) }
        }
        return failures
    }

    /// Undoes `steps` in reverse order. Returns the failures (empty when the old state is back,
    /// or queued for the next boot: see `restore`).
    func rollBack(_ steps: [RollbackStep]) -> Rollback {
        var failures: [String] = []
        var rebootNeeded: [WindowsPath] = []
        /// Backups whose move back was queued for the boot: the boot needs them.
        var queuedBackups: Set<WindowsPath> = []
        for step in steps.reversed() {
            switch step {
            case .queue(let rename):
                // Whether it is still queued is read and changed in one atomic update.
                let failure = host.perform(
                    "rollback",
                    [("action", "dequeue"), ("source", rename.source.description), ("destination", rename.destination?.description ?? "")]
                ) { () throws(OperationFailure) in
                    try OperationFailure.catching { try InstallerPendingQueue.remove(rename, root: root) } ? nil : Self.notQueued
                }
                if let failure { failures.append("dequeue \(rename): \(failure)") }
            case .temporary(let path), .add(let path):
                guard root.exists(path) else { continue }
                run("rollback", [("action", "delete"), ("file", path.description)], &failures) { () throws(Win32Error) in
                    try root.deleteFile(path)
                }
            case .backup(_, let backup):
                // A backup is deleted only once its restore succeeded, never when it was queued.
                guard root.exists(backup), !queuedBackups.contains(backup) else { continue }
                run("rollback", [("action", "delete"), ("file", backup.description)], &failures) { () throws(Win32Error) in
                    try root.deleteFile(backup)
                }
            case .aside(let target, let aside):
                // The holders keep the old inode; it goes back under its name, over whatever new
                // (possibly partial) file was written there. A loaded file can be renamed.
                guard root.exists(aside) else { continue }
                switch restore(target, from: aside, &failures) {
                case .restored, .failed: break
                case .asideQueued, .restoreQueued: rebootNeeded.append(target)
                }
            case .replace(let target, let backup):
                // Nothing to restore when the target still has the old bytes (the write was
                // refused, or an earlier recovery already moved the backup back).
                guard root.exists(backup), !sameBytes(target, backup) else { continue }
                switch restore(target, from: backup, &failures) {
                case .restored, .failed: break
                case .asideQueued: rebootNeeded.append(target)
                case .restoreQueued:
                    rebootNeeded.append(target)
                    queuedBackups.insert(backup)
                }
            }
        }
        return Rollback(failures: failures, rebootNeeded: rebootNeeded)
    }

    /// How a restore went.
    enum Restore { case restored, asideQueued, restoreQueued, failed }

    /// Moves the old file `source` (a backup or an aside copy) back over `target`. A target in use
    /// — the new file loaded as an image or open since it was written, so it cannot be a replace
    /// target (5), or held without share-delete (32) — is handled as Windows Installer's rollback
    /// handles it, the way the install handles a busy file: the in-use new file is renamed aside
    /// (its holders keep it) and queued for deletion at boot, then the old file is moved into the
    /// freed path; when the new file cannot even be renamed (a hard lock), the `source → target`
    /// replacement itself is queued in PendingFileRenameOperations. Either way a reboot is needed.
    /// The queue entries are written before the renames, so a process killed in between leaves
    /// the boot something to do, never an aside copy nobody deletes.
    private func restore(_ target: WindowsPath, from source: WindowsPath, _ failures: inout [String]) -> Restore {
        let args: [(name: String, value: String)] = [("action", "restore"), ("file", target.description), ("from", source.description)]
        guard
            let error = host.attempt(
                "rollback", args,
                { () throws(Win32Error) in
                    try root.moveFile(source, to: target, flags: [.replaceExisting])
                })
        else { return .restored }
        guard error.code == Win32Error.accessDenied.code || error.code == Win32Error.sharingViolation.code, root.exists(target) else {
            failures.append("rollback restore \(target) from \(source): \(error.description)")
            return .failed
        }
        let store: any PendingRenameStore
        do { store = try pendingRenameStore(for: root) } catch {
            failures.append("rollback restore \(target): the pending-rename queue cannot be opened: \(error)")
            return .failed
        }
        // The in-use new file goes aside; its name is chosen and its deletion queued first.
        let aside = freeAsideName(beside: target)
        let deleteAside = PendingRename(source: aside, destination: nil, replaceExisting: false)
        if queue(deleteAside, store: store, &failures) {
            let renamed =
                host.attempt("rollback", [("action", "rename_aside"), ("file", target.description), ("to", aside.description)]) {
                    () throws(Win32Error) in
                    try root.moveFile(target, to: aside)
                } == nil
            if renamed {
                if host.attempt(
                    "rollback", args,
                    { () throws(Win32Error) in
                        try root.moveFile(source, to: target, flags: [.replaceExisting])
                    }) == nil
                {
                    rebootRequired(target, "the new file is in use: renamed aside, deleted at the next boot")
                    return .asideQueued
                }
                // The old file cannot come back now (it is held itself): the new one goes back
                // to its path rather than leave the path empty until the boot.
                host.attempt("rollback", [("action", "restore"), ("file", target.description), ("from", aside.description)]) {
                    () throws(Win32Error) in
                    try root.moveFile(aside, to: target)
                }
            } else {
                // Hard-locked: nothing went aside, so its deletion is taken out of the queue.
                host.perform("rollback", [("action", "dequeue"), ("source", aside.description), ("destination", "")]) {
                    () throws(OperationFailure) in
                    ((try? InstallerPendingQueue.remove(deleteAside, root: root)) ?? false) ? nil : Self.notQueued
                }
            }
        }
        // Not even that: the old file replaces the new one at the next boot.
        guard queue(PendingRename(source: source, destination: target, replaceExisting: true), store: store, &failures) else {
            return .failed
        }
        rebootRequired(target, "the new file is in use: the old one replaces it at the next boot")
        return .restoreQueued
    }

    /// `<name>.~rbN` beside `target` for the first N that is free.
    private func freeAsideName(beside target: WindowsPath) -> WindowsPath {
        let name = target.name ?? ""
        var n = 1
        while root.exists(target.parent!.appending("\(name).~rb\(n)")) { n += 1 }
        return target.parent!.appending("\(name).~rb\(n)")
    }

    /// Queues `rename` for the next boot (MoveFileEx with MOVEFILE_DELAY_UNTIL_REBOOT) as an
    /// operation of the host; false (with the failure noted) when that fails.
    private func queue(_ rename: PendingRename, store: any PendingRenameStore, _ failures: inout [String]) -> Bool {
        var args: [(name: String, value: String)] = [("action", "queue"), ("source", rename.source.description)]
        args.append(("destination", rename.destination?.description ?? ""))
        if rename.replaceExisting { args.append(("flags", "replace_existing")) }
        let error = host.attempt("rollback", args) { () throws(Win32Error) in
            try root.moveFile(
                rename.source, to: rename.destination,
                flags: rename.replaceExisting ? [.delayUntilReboot, .replaceExisting] : [.delayUntilReboot], store: store)
        }
        if let error { failures.append("rollback queue \(rename): \(error.description)") }
        return error == nil
    }

    private func rebootRequired(_ target: WindowsPath, _ why: String) {
        host.perform("reboot_required", [("file", target.description), ("reason", "rollback: \(why)")])
    }

    /// Whether both files exist with the same bytes (a rollback is rare: reading them is fine).
    private func sameBytes(_ a: WindowsPath, _ b: WindowsPath) -> Bool {
        guard let sizeA = try? root.fileIdentity(a).size, let sizeB = try? root.fileIdentity(b).size, sizeA == sizeB,
            let bytesA = try? root.readFile(a), let bytesB = try? root.readFile(b)
        else { return false }
        return bytesA == bytesB
    }

    private func run(
        _ op: String, _ args: [(name: String, value: String)], _ failures: inout [String], _ body: () throws(Win32Error) -> Void
    ) {
        if let failure = host.attempt(op, args, body) {
            failures.append("\(op) \(args.map(\.value).joined(separator: " ")): \(failure.description)")
        }
    }
}

extension InstallerRecovery {
    /// Recovery at boot: takes `_MSIExecute` (nobody should hold it this early; if someone does,
    /// that installer recovers instead) and recovers. Returns a line for the log, nil when there
    /// was nothing to do.
    public static func recoverAtBoot(root: MachineRoot, host: any InstallerHost) throws -> String? {
        let registry = try Registry(machineDirectory: root.path)
        guard try InstallerRollbackScript.read(registry: registry) != nil else { return nil }
        let mutex = try NamedMutex(NamedMutex.installer, machine: root)
        guard mutex.tryAcquire() else {
            return "an interrupted installation is left to the installer holding \(NamedMutex.installer)"
        }
        defer { mutex.release() }
        guard let outcome = try InstallerRecovery(root: root, host: host).recover() else { return nil }
        if !outcome.failures.isEmpty {
            return "the interrupted installation of \(outcome.patch) could not be rolled back: \(outcome.failures.joined(separator: "; "))"
        }
        return outcome.committed
            ? "finished the interrupted installation of \(outcome.patch)" : "rolled back the interrupted installation of \(outcome.patch)"
    }
}
