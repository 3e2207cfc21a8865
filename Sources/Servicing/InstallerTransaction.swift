import Machine
import Registry
import WinFS
import WindowsModel

/// What the installer transaction needs from the process running it: recording operations
/// (the `installer` role records them as events), sleeping between retries, and a log.
public protocol InstallerHost: AnyObject {
    /// Runs `body` and records it as operation `op` with `args`: `ok` — followed by the note
    /// `body` returns, if any (`ok (not queued)`) — or the failure it throws
    /// (`ERROR_SHARING_VIOLATION (32)`). Returns that failure; nil when `body` succeeded.
    @discardableResult
    func perform(
        _ op: String, _ args: [(name: String, value: String)], _ body: () throws(OperationFailure) -> String?
    ) -> OperationFailure?
    /// Sleeps (keeping the worker's loop alive).
    func sleep(nanoseconds: UInt64)
    /// A line for the log.
    func log(_ line: String)
}

extension InstallerHost {
    /// Records operation `op`, which does nothing that can fail (a decision, a file skipped), as `ok`.
    public func perform(_ op: String, _ args: [(name: String, value: String)]) {
        perform(op, args) { () throws(OperationFailure) in nil }
    }

    /// Runs a WinFS operation as operation `op`, recording its real result (`ok` or the Win32
    /// error); returns the error, nil on success.
    @discardableResult
    public func attempt(
        _ op: String, _ args: [(name: String, value: String)], _ body: () throws(Win32Error) -> Void
    ) -> Win32Error? {
        var failure: Win32Error?
        perform(op, args) { () throws(OperationFailure) in
            do throws(Win32Error) {
                try body()
            } catch {
                failure = error
                throw OperationFailure(error)
            }
            return nil
        }
        return failure
    }
}

extension OperationFailure {
    /// A Windows Installer code (`InstallerExit`) by its name and number.
    public init(installerExit code: Int32) {
        self.init(code: code, name: InstallerExit.name(code))
    }
}

/// Windows Installer exit codes.
public enum InstallerExit {
    /// ERROR_SUCCESS
    public static let success: Int32 = 0
    /// ERROR_INSTALL_USEREXIT: the user cancelled (files in use, answer "exit").
    public static let userExit: Int32 = 1602
    /// ERROR_INSTALL_FAILURE: a fatal error; everything was rolled back.
    public static let failure: Int32 = 1603
    /// ERROR_INSTALL_ALREADY_RUNNING: another installation holds `_MSIExecute`.
    public static let alreadyRunning: Int32 = 1618
    /// ERROR_INSTALL_PACKAGE_OPEN_FAILED: the package cannot be opened or read.
    public static let packageOpenFailed: Int32 = 1619
    /// ERROR_INVALID_COMMAND_LINE: a missing or bad parameter.
    public static let invalidCommandLine: Int32 = 1639
    /// ERROR_SUCCESS_REBOOT_REQUIRED
    public static let rebootRequired: Int32 = 3010
    /// ERROR_FAIL_REBOOT_REQUIRED: "The requested operation failed. A system restart is required
    /// to roll back changes made." (Windows Installer error codes, since Windows Installer 3.0.)
    /// The installation failed and was rolled back, but a file of the patch was in use, so the
    /// rollback left work to the next boot: until then the patch is not wholly old. Chosen over
    /// 1603 (which says nothing of a reboot, so a caller would not reboot) and over 3010/1641
    /// (which report success: the patch would be taken as installed).
    public static let failRebootRequired: Int32 = 3017

    /// The codes an installer exits with.
    public static let known: [Int32] = [
        success, userExit, failure, alreadyRunning, packageOpenFailed, invalidCommandLine, rebootRequired, failRebootRequired,
    ]

    /// The Windows code a child installer ended with, from what its parent saw: the whole code
    /// when the coordinator reported it, or only its low 8 bits (a standalone parent gets only
    /// the POSIX status, 3010 → 194), mapped back to the installer code with those low bits.
    public static func windowsCode(fromChildStatus code: Int32) -> Int32 {
        if known.contains(code) || code < 0 || code > 255 { return code }
        return known.first { $0 > 255 && $0 & 0xff == code } ?? code
    }

    /// `ERROR_SUCCESS_REBOOT_REQUIRED (3010)`, ...
    public static func describe(_ code: Int32) -> String { "\(name(code)) (\(code))" }

    /// `ERROR_SUCCESS_REBOOT_REQUIRED`, ...; `ERROR_<code>` for a code not in the table.
    public static func name(_ code: Int32) -> String {
        let names: [Int32: String] = [
            0: "ERROR_SUCCESS", 1602: "ERROR_INSTALL_USEREXIT", 1603: "ERROR_INSTALL_FAILURE",
            1618: "ERROR_INSTALL_ALREADY_RUNNING", 1619: "ERROR_INSTALL_PACKAGE_OPEN_FAILED",
            1639: "ERROR_INVALID_COMMAND_LINE", 3010: "ERROR_SUCCESS_REBOOT_REQUIRED", 3017: "ERROR_FAIL_REBOOT_REQUIRED",
        ]
        return names[code] ?? "ERROR_\(code)"
    }
}

/// The answer to the files-in-use dialog when a file is hard-locked.
public enum FilesInUseAnswer: String, Sendable, CaseIterable {
    /// Wait and try again, until the file is free or the retry limit passes (then as `exit`).
    case retry
    /// Cancel: roll everything back and exit 1602.
    case exit
    /// Go on: queue the replacement for the next boot; a reboot is needed.
    case ignore
}

/// How an in-use file was held when the installer met it.
public enum FileLock: String, Sendable, Equatable {
    /// Only by handles/images sharing delete: it was renamed aside and replaced at once.
    case soft
    /// By a handle not sharing delete (every in-use file on Windows 9x): replacement waits for a reboot.
    case hard
}

/// A file that makes the installation need a reboot.
public struct RebootCause: Sendable, Equatable {
    public var file: WindowsPath
    public var lock: FileLock
    public init(file: WindowsPath, lock: FileLock) {
        self.file = file
        self.lock = lock
    }
}

/// What to do about native images once the files are in place.
public enum NativeImagePlan: Sendable, Equatable {
    /// Nothing to regenerate.
    case none
    /// Run ngen at once for these assemblies (no reboot pending).
    case now([String])
    /// Scheduled for after the reboot through the patch's era (RunOnce entry or NetFxUpdate service).
    case afterReboot(era: PatchEra, assemblies: [String], gac: [WindowsPath])
}

/// Settings of one installation.
public struct InstallerOptions: Sendable, Equatable {
    /// The files-in-use answer.
    public var filesInUse: FilesInUseAnswer
    /// How long `retry` keeps trying, in nanoseconds (default 5 s).
    public var retryLimitNs: UInt64
    /// The pause between two tries, in nanoseconds.
    public var retryIntervalNs: UInt64
    /// Overrides the patch's era when set.
    public var era: PatchEra?

    public init(
        filesInUse: FilesInUseAnswer = .exit, retryLimitNs: UInt64 = 5_000_000_000,
        retryIntervalNs: UInt64 = 100_000_000, era: PatchEra? = nil
    ) {
        self.filesInUse = filesInUse
        self.retryLimitNs = retryLimitNs
        self.retryIntervalNs = retryIntervalNs
        self.era = era
    }
}

/// How an installation ended.
public struct InstallerOutcome: Sendable, Equatable {
    /// 0, 3010, 1602, 1603, 1618, or 3017 (failed and rolled back, the rollback finishing at
    /// the next boot).
    public var exitCode: Int32
    /// The files that need the reboot (empty unless 3010 or 3017, or GAC work deferred on
    /// Windows 9x).
    public var rebootCauses: [RebootCause]
    /// Native images to regenerate now, or what was scheduled.
    public var nativeImages: NativeImagePlan
    /// Why it failed, when it did.
    public var failure: String?
}

/// Windows Installer applying one patch as a transaction on a machine.
///
/// Under the machine-wide `_MSIExecute` mutex (else 1618), for each file in order: the new
/// payload is written beside the target (exclusively, as msiexec writes), the old file is backed
/// up into `C:\Config.Msi`, then `MoveFileEx(temp → target, REPLACE_EXISTING)`. A target in use
/// (open or loaded: ERROR_ACCESS_DENIED (5) or ERROR_SHARING_VIOLATION (32)) is renamed aside:
/// that works when every holder shares delete (soft lock) — the new file is moved into the freed
/// name, the aside copy queued for deletion at reboot, and a reboot is needed with this file as a
/// cause. A rename refused with 32 is a hard lock: the files-in-use answer decides (retry, exit →
/// 1602, ignore → replacement queued for the reboot). Any other failure rolls back (1603).
///
/// Crash consistency (Windows Installer's rollback script): every change is recorded in the
/// rollback script (`InstallerRollbackScript`) BEFORE it is made, and the installation commits by
/// recording the patch in the same registry transaction that marks the script committed. So a
/// process killed anywhere leaves a script from which `InstallerRecovery` — run by the next
/// installer after it takes `_MSIExecute`, or by the boot — restores every file to its old bytes,
/// or, once committed, only deletes the backups. A failure rolls back through the same undo.
/// Rollback undoes each step in reverse: backups and aside copies go back to their names (the
/// old files, byte for byte), temporary and added files are deleted, and queue entries this run
/// added are taken out of the pending-rename queue. Every file operation is recorded with its
/// real result.
public final class InstallerTransaction {
    public let patch: Patch
    public let root: MachineRoot
    public let options: InstallerOptions
    private let host: any InstallerHost
    private var causes: [RebootCause] = []
    private var store: (any PendingRenameStore)?
    /// The registry the rollback script and the record are written to (open while installing).
    private var registry: Registry?
    /// The steps recorded in the rollback script, in order.
    private var steps: [RollbackStep] = []

    /// `C:\Config.Msi`, Windows Installer's rollback folder.
    public static let rollbackDirectory = WindowsPath(components: ["Config.Msi"])

    /// Why one step failed: the exit code it leads to and what happened.
    private struct Stop: Error {
        var code: Int32
        var reason: String
    }

    public init(patch: Patch, root: MachineRoot, options: InstallerOptions = InstallerOptions(), host: any InstallerHost) {
        self.patch = patch
        self.root = root
        self.options = options
        self.host = host
    }

    /// Runs the installation. Holds `_MSIExecute` from start to end; the caller runs the native
    /// image plan (`.now`) afterwards, when the mutex is free again.
    public func run() -> InstallerOutcome {
        let mutex: NamedMutex
        do { mutex = try NamedMutex(NamedMutex.installer, machine: root) } catch {
            return fail(InstallerExit.failure, "cannot open the installer mutex: \(error.message)")
        }
        let busy = host.perform("mutex", [("name", NamedMutex.installer), ("action", "acquire")]) { () throws(OperationFailure) in
            guard mutex.tryAcquire() else { throw OperationFailure(installerExit: InstallerExit.alreadyRunning) }
            return nil
        }
        guard busy == nil else {
            return fail(InstallerExit.alreadyRunning, "another installation is running (\(NamedMutex.installer) is held)")
        }
        defer {
            host.perform("mutex", [("name", NamedMutex.installer), ("action", "release")]) { () throws(OperationFailure) in
                mutex.release()
                return nil
            }
        }
        // A crashed installation (of any patch) is rolled back first, under the mutex.
        do {
            if let recovered = try InstallerRecovery(root: root, host: host).recover() {
                guard recovered.failures.isEmpty else {
                    return fail(
                        InstallerExit.failure,
                        "the interrupted installation of \(recovered.patch) could not be rolled back: \(recovered.failures.joined(separator: "; "))"
                    )
                }
                // Its rollback finishes at the next boot: installing now could be undone by it.
                guard recovered.rebootNeeded.isEmpty else {
                    var outcome = fail(
                        InstallerExit.failRebootRequired,
                        "the interrupted installation of \(recovered.patch) was rolled back, but \(recovered.rebootNeeded.map(\.description).joined(separator: ", ")) in use: a reboot finishes it"
                    )
                    outcome.rebootCauses = recovered.rebootNeeded.map { RebootCause(file: $0, lock: .soft) }
                    return outcome
                }
                host.log(
                    "installer \(patch.id): \(recovered.committed ? "finished" : "rolled back") the interrupted installation of \(recovered.patch)"
                )
            }
        } catch {
            return fail(InstallerExit.failure, "recovering an interrupted installation: \(error)")
        }
        // A rollback that queued a backup's restore for the boot (its file was held) is not over
        // until then: an installation now could be undone by the boot, file by file.
        if let waiting = try? pendingRenameStore(for: root).pending().compactMap({ rename -> WindowsPath? in
            guard rename.source.components.first?.lowercased() == Self.rollbackDirectory.components[0].lowercased() else { return nil }
            return rename.destination
        }), !waiting.isEmpty {
            var outcome = fail(
                InstallerExit.failRebootRequired,
                "a rolled-back installation restores \(waiting.map(\.description).joined(separator: ", ")) at the next boot: reboot first")
            outcome.rebootCauses = waiting.map { RebootCause(file: $0, lock: .hard) }
            return outcome
        }
        do {
            let outcome = try install()
            return outcome
        } catch let stop as Stop {
            return rolledBack(stop.code, stop.reason)
        } catch {
            return rolledBack(InstallerExit.failure, "\(error)")
        }
    }

    private func fail(_ code: Int32, _ reason: String) -> InstallerOutcome {
        host.log("installer \(patch.id): \(InstallerExit.describe(code)): \(reason)")
        return InstallerOutcome(exitCode: code, rebootCauses: [], nativeImages: .none, failure: reason)
    }

    private func install() throws -> InstallerOutcome {
        let profile = try machineProfile(of: root)
        store = try pendingRenameStore(for: root)
        let registry = try Registry(machineDirectory: root.path)
        self.registry = registry
        let notBegun = host.perform("script", [("action", "begin"), ("patch", patch.id)]) { () throws(OperationFailure) in
            try OperationFailure.catching { try InstallerRollbackScript.begin(patch: patch.id, registry: registry) }
            return nil
        }
        if let notBegun { throw Stop(code: InstallerExit.failure, reason: "starting the rollback script: \(notBegun)") }
        // Fusion installs into the GAC at once on NT; Windows 9x GAC installs wait for the reboot
        // (Fusion cannot use pending renames).
        let catalog = try MachineCatalogKeys.read(from: registry)
        var targets: [(path: WindowsPath, file: PatchFile)] = patch.files.map { ($0.path, $0) }
        var deferredGac: [WindowsPath] = []
        for source in patch.gac {
            guard let file = patch.file(at: source) else {
                throw Stop(code: InstallerExit.failure, reason: "the GAC install \(source) is not one of the patch's files")
            }
            let destination: WindowsPath
            do { destination = try GlobalAssemblyCache.destination(of: source, catalog: catalog) } catch {
                throw Stop(code: InstallerExit.failure, reason: "the GAC install: \(error)")
            }
            if profile == .win9x {
                deferredGac.append(source)
            } else {
                targets.append((destination, PatchFile(path: destination, version: file.version, size: file.size, adds: true)))
            }
        }
        for (index, target) in targets.enumerated() {
            try apply(target.file, to: target.path, index: index)
        }
        let rebootNeeded = !causes.isEmpty || !deferredGac.isEmpty
        let assemblies = catalog.nativeImagesToRegenerate(after: patch.ngen, changedFiles: targets.map(\.path))
        let requestedEra = options.era ?? patch.era
        let era = NetFxUpdateSchedule.era(for: requestedEra, on: profile)
        var plan = NativeImagePlan.none
        if rebootNeeded {
            if !assemblies.isEmpty || !deferredGac.isEmpty {
                plan = .afterReboot(era: era, assemblies: assemblies, gac: deferredGac)
                if era != requestedEra {
                    host.perform(
                        "era",
                        [("requested", requestedEra.rawValue), ("era", era.rawValue), ("why", NetFxUpdateSchedule.noServiceOnWindows9x)])
                }
            }
        } else if !assemblies.isEmpty {
            plan = .now(assemblies)
        }
        try recordInRegistry(plan: plan)
        // Committed: from here on a crash is finished, not rolled back.
        let recovery = InstallerRecovery(root: root, host: host)
        let failures = recovery.finish(steps)
        if failures.isEmpty { try? recovery.end(registry: registry) }
        return InstallerOutcome(
            exitCode: rebootNeeded ? InstallerExit.rebootRequired : InstallerExit.success,
            rebootCauses: causes, nativeImages: plan, failure: nil)
    }

    // MARK: One file

    private func apply(_ file: PatchFile, to target: WindowsPath, index: Int) throws {
        let name = target.name ?? ""
        let targetText = target.description
        let content = file.content
        // Windows Installer's file versioning: a file already at this version or newer is kept —
        // but "at this version" means its bytes are this version's, not only its header (a file
        // cut short by a crash carries the new header over the wrong bytes).
        if root.exists(target), let current = currentVersion(of: target), current >= file.version {
            let damage = current == file.version ? contentMismatch(of: target, expected: content) : nil
            guard let damage else {
                host.perform("skip", [("file", targetText), ("version", current.description), ("new_version", file.version.description)])
                return
            }
            host.perform("damaged", [("file", targetText), ("version", current.description), ("reason", damage)])
            host.log("installer \(patch.id): \(target) says \(current) but \(damage): replacing it")
        }
        if let parent = target.parent, !root.isDirectory(parent) {
            try step("create_directory", [("path", parent.description)]) { () throws(Win32Error) in try root.createDirectories(parent) }
        }
        let existed = root.exists(target)
        var backup: WindowsPath?
        var waitedNs: UInt64 = 0
        while true {
            var inUse = false
            if existed && backup == nil {
                let path = Self.rollbackDirectory.appending("\(patch.id)-\(index + 1).rbf")
                try record(.backup(target: target, backup: path))
                let error = host.attempt("backup", [("file", targetText), ("to", path.description)]) { () throws(Win32Error) in
                    try root.createDirectories(Self.rollbackDirectory)
                    if root.exists(path) { try root.removeFile(path) }  // a stale backup of an earlier, killed run
                    try root.copyFile(target, to: path, failIfExists: true)
                    // The rollback script is only as good as its backups: the copy is flushed
                    // before the target may change, or a power loss could take both.
                    try root.flushFile(path)
                }
                if let error {
                    guard isInUse(error) else { throw Stop(code: InstallerExit.failure, reason: "backing up \(target): \(error.message)") }
                    inUse = true
                } else {
                    backup = path
                }
            }
            if !inUse {
                // Not in use: Windows Installer writes the new file in place (see `writeInPlace`).
                // The backup is complete: from here on the target may change.
                try record(backup.map { .replace(target: target, backup: $0) } ?? .add(target))
                let error = writeInPlace(content, to: target, replacing: existed)
                guard let error else { return }
                guard isInUse(error) else { throw Stop(code: InstallerExit.failure, reason: "replacing \(target): \(error.message)") }
            }
            // In use: try to move it out of the way (works only if every holder shares delete).
            // The aside name is chosen (and recorded) before the rename, so a crash right after
            // it leaves a script that names where the old file went.
            let asidePath = freeName(beside: target, suffix: ".~")
            try record(.aside(target: target, aside: asidePath))
            var aside: WindowsPath?
            let asideError = host.attempt("rename_aside", [("file", targetText)]) { () throws(Win32Error) in
                try root.moveFile(target, to: asidePath)
                aside = asidePath
            }
            if let aside {
                host.log("installer \(patch.id): \(target) is in use (soft lock): renamed aside to \(aside)")
                // The holders keep the old file under its new name; the new one is written at the
                // freed path like any file (rollback moves the aside copy back over it).
                if let error = writeInPlace(content, to: target, replacing: false) {
                    throw Stop(code: InstallerExit.failure, reason: "writing the new \(name) in place: \(error.message)")
                }
                try queue(PendingRename(source: aside, destination: nil, replaceExisting: false))
                requireReboot(target, .soft)
                return
            }
            guard let asideError, asideError.code == Win32Error.sharingViolation.code else {
                throw Stop(code: InstallerExit.failure, reason: "renaming \(target) aside: \(asideError?.message ?? "failed")")
            }
            // Hard lock: the files-in-use answer.
            switch options.filesInUse {
            case .retry where waitedNs < options.retryLimitNs:
                host.perform("sleep", [("duration_ns", String(options.retryIntervalNs)), ("reason", "files in use: \(name)")]) {
                    () throws(OperationFailure) in
                    host.sleep(nanoseconds: options.retryIntervalNs)
                    return nil
                }
                waitedNs += options.retryIntervalNs
                continue
            case .retry, .exit:
                throw Stop(
                    code: InstallerExit.userExit,
                    reason: "\(target) is in use (hard lock) and the answer was \(options.filesInUse.rawValue)")
            case .ignore:
                // Hard-locked: the new payload is written beside the target and queued to replace
                // it at the next boot.
                let temporary = try writeTemporary(content, beside: target)
                try queue(PendingRename(source: temporary, destination: target, replaceExisting: true))
                requireReboot(target, .hard)
                return
            }
        }
    }

    /// Writes `content` at `target` as Windows Installer writes a file: the file held exclusively
    /// (share none) while it is written and then verified (the patch engine checks the hash of the
    /// file it produced), so a process loading it meanwhile gets a sharing violation. A loaded
    /// image or another handle makes the open fail: the file is in use. Returns the error.
    ///
    /// Three operations on one handle: `replace` (open — truncating an existing file — and write
    /// the first half, header included), `write` (the rest), `verify` (read back, compare hashes).
    /// A crash between them leaves a file with the new header over too few bytes, as a real crash
    /// mid-copy does; the rollback script restores the old one.
    private func writeInPlace(_ content: GeneratedContent, to target: WindowsPath, replacing: Bool) -> Win32Error? {
        var opened: WinFile?
        let half = content.count / 2
        // The hash the verify step expects, taken from the bytes as they are written.
        var written = ContentHash.Hasher()
        let error = host.attempt("replace", [("file", target.description), ("size", String(content.count))]) { () throws(Win32Error) in
            let handle = try root.open(
                target, access: [.read, .write], share: .none, disposition: replacing ? .truncateExisting : .createNew)
            opened = handle
            try handle.write(content, 0..<half) { written.update($0) }
        }
        guard let handle = opened else { return error }
        defer { handle.close() }
        if let error { return error }
        if let error = host.attempt(
            "write", [("file", target.description), ("offset", String(half)), ("size", String(content.count - half))],
            { () throws(Win32Error) in
                try handle.write(content, half..<content.count) { written.update($0) }
            })
        {
            return error
        }
        var corrupt = false
        if let error = host.attempt(
            "verify", [("file", target.description)],
            { () throws(Win32Error) in
                try handle.seek(to: 0)
                let read = try handle.digestToEnd(headLimit: 0)
                corrupt = read.count != content.count || read.hash != written.value
                // On disk before the script moves on: a power loss after this keeps the new file.
                try handle.flush()
            })
        {
            return error
        }
        if corrupt {
            return Win32Error(1603, operation: "verify", path: target.description, reason: "the written file does not match")
        }
        return nil
    }

    /// `<name><suffix>N` beside `target` for the first N from 1 that is free.
    private func freeName(beside target: WindowsPath, suffix: String) -> WindowsPath {
        let name = target.name ?? ""
        var n = 1
        while root.exists(target.parent!.appending("\(name)\(suffix)\(n)")) { n += 1 }
        return target.parent!.appending("\(name)\(suffix)\(n)")
    }

    /// Writes `content` exclusively to a free `<name>.~tmpN` beside `target` and returns its path.
    private func writeTemporary(_ content: GeneratedContent, beside target: WindowsPath) throws -> WindowsPath {
        for _ in 1...1000 {
            // Recorded before it is created; the name is free (nobody else installs meanwhile:
            // this process holds _MSIExecute), so the undo never deletes another's file.
            let candidate = freeName(beside: target, suffix: ".~tmp")
            try record(.temporary(candidate))
            let error = host.attempt("create_file", [("path", candidate.description), ("size", String(content.count))]) {
                () throws(Win32Error) in
                try root.createFile(candidate, contents: content, share: .none)
                try root.flushFile(candidate)
            }
            guard let error else { return candidate }
            if error != Win32Error.fileExists {
                throw Stop(code: InstallerExit.failure, reason: "writing \(candidate): \(error.description)")
            }
        }
        throw Stop(code: InstallerExit.failure, reason: "no free temporary name beside \(target)")
    }

    /// Why the file at `path` is not `expected` byte for byte (its size, then its hash); nil when
    /// it is. Read through a shared handle.
    private func contentMismatch(of path: WindowsPath, expected: GeneratedContent) -> String? {
        guard let handle = try? root.open(path, access: .read, share: .all) else { return "it cannot be read" }
        defer { handle.close() }
        guard let size = try? handle.identity().size else { return "it cannot be read" }
        if size != Int64(expected.count) { return "its size is \(size), not \(expected.count)" }
        guard let read = try? handle.digestToEnd(headLimit: 0) else { return "it cannot be read" }
        if read.count != expected.count || read.hash != expected.hash { return "its bytes are not that version's" }
        return nil
    }

    /// The version in the header of the file at `path`, read through a shared handle; nil when it
    /// cannot be opened (held exclusively) or is not a simulated PE file.
    private func currentVersion(of path: WindowsPath) -> FileVersion? {
        guard let handle = try? root.open(path, access: .read, share: .all) else { return nil }
        defer { handle.close() }
        guard let head = try? handle.read(upTo: 512) else { return nil }
        return FileContent.stamp(of: head)?.version
    }

    private func isInUse(_ error: Win32Error) -> Bool {
        error.code == Win32Error.sharingViolation.code || error.code == Win32Error.accessDenied.code
    }

    private func requireReboot(_ file: WindowsPath, _ lock: FileLock) {
        causes.append(RebootCause(file: file, lock: lock))
        host.perform("reboot_required", [("file", file.description), ("lock", lock.rawValue)])
    }

    private func queue(_ rename: PendingRename) throws {
        var args: [(name: String, value: String)] = [("source", rename.source.description)]
        args.append(("destination", rename.destination?.description ?? ""))
        if rename.replaceExisting { args.append(("flags", "replace_existing")) }
        try record(.queue(rename))
        let failure = host.perform("queue_rename", args) { () throws(OperationFailure) in
            try OperationFailure.catching {
                try root.moveFile(
                    rename.source, to: rename.destination,
                    flags: rename.replaceExisting ? [.delayUntilReboot, .replaceExisting] : [.delayUntilReboot],
                    store: store)
            }
            return nil
        }
        if let failure { throw Stop(code: InstallerExit.failure, reason: "queueing \(rename) for the reboot: \(failure)") }
    }

    /// Appends `step` to the rollback script before the change it undoes is made (write-ahead).
    private func record(_ step: RollbackStep) throws {
        guard let registry else { throw Stop(code: InstallerExit.failure, reason: "no rollback script") }
        let failure = host.perform("script", [("record", step.description)]) { () throws(OperationFailure) in
            try OperationFailure.catching { try InstallerRollbackScript.record(step, registry: registry) }
            return nil
        }
        if let failure { throw Stop(code: InstallerExit.failure, reason: "recording '\(step)' in the rollback script: \(failure)") }
        steps.append(step)
    }

    /// `attempt`, with any failure stopping the installation (1603).
    private func step(_ op: String, _ args: [(name: String, value: String)], _ body: () throws(Win32Error) -> Void) throws {
        if let error = host.attempt(op, args, body) {
            throw Stop(code: InstallerExit.failure, reason: "\(op) \(args.first?.value ?? ""): \(error.message)")
        }
    }

    // MARK: Registry

    /// Records the patch as installed and schedules post-reboot work, in one registry transaction.
    private func recordInRegistry(plan: NativeImagePlan) throws {
        guard let registry else { throw Stop(code: InstallerExit.failure, reason: "the registry is not open") }
        let key = patch.recordKey
        let failure = host.perform("record", [("key", key.description)]) { () throws(OperationFailure) in
            try OperationFailure.catching {
                try registry.transaction { registry in
                    for value in patch.registry {
                        if let data = value.data {
                            try registry.setValue(value.key, value.name, data)
                        } else {
                            try registry.createKey(value.key)
                        }
                    }
                    try registry.setValue(key, "Installed", .dword(1))
                    if !patch.description.isEmpty { try registry.setValue(key, "Description", .string(patch.description)) }
                    try registry.setValue(key, "Files", .multiString(patch.files.map { "\($0.path) \($0.version)" }))
                    if case .afterReboot(let era, let assemblies, let gac) = plan {
                        try NetFxUpdateSchedule.write(
                            id: patch.id, era: era, assemblies: assemblies, gac: gac, lock: patch.ngenLock, registry: registry)
                    }
                    // The commit point: in the same transaction as the record and the schedule.
                    try InstallerRollbackScript.commit(registry: registry)
                }
            }
            return nil
        }
        if let failure { throw Stop(code: InstallerExit.failure, reason: "recording the patch in the registry: \(failure)") }
        if case .afterReboot(let era, let assemblies, let gac) = plan {
            host.perform(
                "schedule",
                [
                    ("era", era.rawValue), ("assemblies", assemblies.joined(separator: ",")),
                    ("gac", gac.map(\.description).joined(separator: ",")),
                ])
        }
    }

    // MARK: Rollback

    /// Rolls back after a failure with `code` and returns the outcome: `code`, or
    /// ERROR_FAIL_REBOOT_REQUIRED (3017) when a file in use left part of the rollback to the next
    /// boot (see `InstallerRecovery.restore`); its reboot causes are those files.
    private func rolledBack(_ code: Int32, _ reason: String) -> InstallerOutcome {
        let rebootNeeded = rollback()
        guard !rebootNeeded.isEmpty else { return fail(code, reason) }
        var outcome = fail(
            InstallerExit.failRebootRequired,
            "\(reason) (\(InstallerExit.describe(code))); rolled back, but \(rebootNeeded.map(\.description).joined(separator: ", ")) in use: the rollback finishes at the next boot"
        )
        outcome.rebootCauses = rebootNeeded.map { RebootCause(file: $0, lock: .soft) }
        return outcome
    }

    /// Undoes what the script records (the same undo as a recovery after a crash) and removes
    /// the script; a failed undo keeps it for the next run. Returns the files whose restore
    /// needs the next boot.
    private func rollback() -> [WindowsPath] {
        guard let registry else { return [] }
        let recovery = InstallerRecovery(root: root, host: host)
        let undone = recovery.rollBack(steps)
        if undone.failures.isEmpty {
            try? recovery.end(registry: registry)
        } else {
            host.log("installer \(patch.id): rollback incomplete, kept for the next run: \(undone.failures.joined(separator: "; "))")
        }
        return undone.rebootNeeded
    }
}

/// Writing post-reboot work in the two NetFxUpdate eras (the `netfxupdate` role reads it).
public enum NetFxUpdateSchedule {
    /// The era post-reboot work really uses on `profile`. The NetFxUpdate service exists on
    /// Windows NT only (seed 001: "NetFxUpdate.exe was rewritten to run as a service on Windows
    /// NT"); Windows 9x has no service control manager, so there a service-era patch falls back
    /// to the RunOnce entry, which carries the GAC work too.
    public static func era(for requested: PatchEra, on profile: MachineProfile) -> PatchEra {
        profile == .win9x ? .runonce : requested
    }

    /// Why a service-era patch uses the RunOnce entry on Windows 9x (the installer's `era` event).
    public static let noServiceOnWindows9x = "Windows 9x has no service control manager: the NetFxUpdate service exists on Windows NT only"

    /// The service's work items: `ngen <Assembly>`..., `gac <Windows path>`... (GAC first: the
    /// native images are built from what the GAC holds).
    public static func workItems(assemblies: [String], gac: [WindowsPath]) -> [String] {
        gac.map { "gac \($0)" } + assemblies.map { "ngen \($0)" }
    }

    /// Writes the work of patch `id` in `era` (inside the caller's registry transaction).
    /// `lock`: the pass holds the install mutex while it works (RunOnce era: `/lock`).
    public static func write(
        id: String, era: PatchEra, assemblies: [String], gac: [WindowsPath], lock: Bool = false, registry: Registry
    ) throws {
        switch era {
        case .runonce:
            try registry.setValue(
                NetFxUpdateKeys.runOnce, NetFxUpdateKeys.runOnceValueName(patch: id),
                .string(NetFxUpdateKeys.runOnceCommand(ngen: assemblies, gac: gac, lock: lock)))
        case .service:
            try WindowsKeys.registerService(
                NetFxUpdateKeys.serviceName, command: NetFxUpdateKeys.serviceCommand, start: .auto, in: registry)
            try registry.appendMultiString(
                NetFxUpdateKeys.work, NetFxUpdateKeys.workValue, workItems(assemblies: assemblies, gac: gac))
        }
    }
}

extension AssemblyCatalog {
    /// The assemblies whose native images must be regenerated after `changed` were serviced:
    /// every assembly with a native image that is one of them or references one of them directly
    /// or indirectly, in the order of `nativeImages.assemblies`; then the named assemblies the
    /// catalog knows that have no image yet.
    public func nativeImagesToRegenerate(after changed: [String], changedFiles: [WindowsPath] = []) -> [String] {
        // Every native image records the runtime engine's hash: servicing mscorwks.dll
        // invalidates them all, so all are regenerated.
        if let runtime = nativeImages.runtime, changedFiles.contains(runtime) {
            return nativeImages.assemblies + changed.filter { !nativeImages.assemblies.contains($0) && assembly(named: $0) != nil }
        }
        let names = Set(changed)
        let withImages = nativeImages.assemblies.filter { name in
            if names.contains(name) { return true }
            guard let closure = try? closure(of: name) else { return false }
            return closure.contains { names.contains($0.name) }
        }
        let others = changed.filter { name in !withImages.contains(name) && assembly(named: name) != nil }
        return withImages + others
    }
}
