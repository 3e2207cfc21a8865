import Registry
import WinFS

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
            [("patch", script.patch), ("state", script.committed ? "commit" : "install"), ("steps", String(script.steps.count))]
        ) { "ok" }
        for line in script.unreadable {
            host.log("installer: rollback script of \(script.patch): cannot read the step '\(line)'; skipped")
        }
        let failures = script.committed ? finish(script.steps) : rollBack(script.steps)
        if failures.isEmpty { try end(registry: registry) }
        return Outcome(patch: script.patch, committed: script.committed, failures: failures)
    }

    /// Removes the script (the last operation of a recovery or an installation).
    func end(registry: Registry) throws {
        let result = host.perform("script", [("action", "end")]) {
            do {
                try InstallerRollbackScript.end(registry: registry)
                return "ok"
            } catch { return "ERROR_GEN_FAILURE (31): \(error)" }
        }
        guard result == "ok" else { throw MachineError("removing the rollback script: \(result)") }
    }

    /// Deletes the backups of a committed installation. Returns the failures.
    func finish(_ steps: [RollbackStep]) -> [String] {
        var failures: [String] = []
        for case .backup(_, let backup) in steps where root.exists(backup) {
            run("delete", [("path", backup.description)], &failures) { () throws(Win32Error) in try root.deleteFile(backup) }
        }
        return failures
    }

    /// Undoes `steps` in reverse order. Returns the failures (empty when the old state is back).
    func rollBack(_ steps: [RollbackStep]) -> [String] {
        var failures: [String] = []
        for step in steps.reversed() {
            switch step {
            case .queue(let rename):
                // Whether it is still queued is read and changed in one atomic update.
                let result = host.perform(
                    "rollback",
                    [("action", "dequeue"), ("source", rename.source.description), ("destination", rename.destination?.description ?? "")]
                ) {
                    do {
                        return try InstallerPendingQueue.remove(rename, root: root) ? "ok" : "ok (not queued)"
                    } catch let error as Win32Error {
                        return error.description
                    } catch { return "ERROR_GEN_FAILURE (31): \(error)" }
                }
                if !result.hasPrefix("ok") { failures.append("dequeue \(rename): \(result)") }
            case .temporary(let path), .add(let path):
                guard root.exists(path) else { continue }
                run("rollback", [("action", "delete"), ("file", path.description)], &failures) { () throws(Win32Error) in
                    try root.deleteFile(path)
                }
            case .backup(_, let backup):
                guard root.exists(backup) else { continue }
                run("rollback", [("action", "delete"), ("file", backup.description)], &failures) { () throws(Win32Error) in
                    try root.deleteFile(backup)
                }
            case .aside(let target, let aside):
                // The holders keep the old inode; it goes back under its name, over whatever new
                // (possibly partial) file was written there. A loaded file can be renamed.
                guard root.exists(aside) else { continue }
                run("rollback", [("action", "restore"), ("file", target.description), ("from", aside.description)], &failures) { () throws(Win32Error) in
                    try root.moveFile(aside, to: target, flags: [.replaceExisting])
                }
            case .replace(let target, let backup):
                // Nothing to restore when the target still has the old bytes (the write was
                // refused, or an earlier recovery already moved the backup back).
                guard root.exists(backup), !sameBytes(target, backup) else { continue }
                run("rollback", [("action", "restore"), ("file", target.description), ("from", backup.description)], &failures) { () throws(Win32Error) in
                    try root.moveFile(backup, to: target, flags: [.replaceExisting])
                }
            }
        }
        return failures
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
        if let failure = host.attempt(op, args, body) { failures.append("\(op) \(args.map(\.value).joined(separator: " ")): \(failure.description)") }
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
