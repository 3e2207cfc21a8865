import Registry
import WinFS
import WindowsModel

/// One step of an installation's rollback script: recorded BEFORE the change it undoes is made
/// (write-ahead), so that whatever point the installer dies at, the script names every change
/// that may have been made.
///
/// Every undo is idempotent: it looks at the disk and does nothing when the change is not there
/// (never made, or already undone by an earlier, interrupted recovery).
public enum RollbackStep: Sendable, Equatable, CustomStringConvertible {
    /// `target` is about to be copied to `backup` in `C:\Config.Msi`. Undo: delete `backup`.
    case backup(target: WindowsPath, backup: WindowsPath)
    /// `target` is about to be opened for writing (truncated); `backup` holds its old bytes in
    /// full (this step is recorded only once the copy is complete). Undo: move `backup` back
    /// over `target`, unless `target` still has the old bytes.
    case replace(target: WindowsPath, backup: WindowsPath)
    /// `target`, which did not exist, is about to be created. Undo: delete it.
    case add(WindowsPath)
    /// `target` (in use, soft lock) is about to be renamed to `aside`. Undo: move `aside` back
    /// over `target`.
    case aside(target: WindowsPath, aside: WindowsPath)
    /// The temporary file `path` (the new payload of a hard-locked file) is about to be created.
    /// Undo: delete it.
    case temporary(WindowsPath)
    /// `rename` is about to be queued for the next boot. Undo: take it out of the queue.
    case queue(PendingRename)

    /// The step as one line of the script (fields separated by TAB; Windows paths hold none).
    public var line: String {
        switch self {
        case .backup(let target, let backup): "backup\t\(target)\t\(backup)"
        case .replace(let target, let backup): "replace\t\(target)\t\(backup)"
        case .add(let path): "add\t\(path)"
        case .aside(let target, let aside): "aside\t\(target)\t\(aside)"
        case .temporary(let path): "temporary\t\(path)"
        case .queue(let rename):
            "queue\t\(rename.source)\t\(rename.destination?.description ?? "")\t\(rename.replaceExisting ? "replace_existing" : "")"
        }
    }

    /// Parses `line`; nil for a line this version does not understand.
    public init?(line: String) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        func path(_ index: Int) -> WindowsPath? {
            guard index < fields.count, !fields[index].isEmpty else { return nil }
            return try? WindowsPath(fields[index])
        }
        switch fields.first {
        case "backup":
            guard fields.count == 3, let target = path(1), let backup = path(2) else { return nil }
            self = .backup(target: target, backup: backup)
        case "replace":
            guard fields.count == 3, let target = path(1), let backup = path(2) else { return nil }
            self = .replace(target: target, backup: backup)
        case "add":
            guard fields.count == 2, let target = path(1) else { return nil }
            self = .add(target)
        case "aside":
            guard fields.count == 3, let target = path(1), let aside = path(2) else { return nil }
            self = .aside(target: target, aside: aside)
        case "temporary":
            guard fields.count == 2, let target = path(1) else { return nil }
            self = .temporary(target)
        case "queue":
            guard fields.count == 4, let source = path(1) else { return nil }
            let destination = path(2)
            guard destination != nil || fields[2].isEmpty else { return nil }
            self = .queue(PendingRename(source: source, destination: destination, replaceExisting: fields[3] == "replace_existing"))
        default:
            return nil
        }
    }

    public var description: String { line.replacingTabs() }
}

extension String {
    fileprivate func replacingTabs() -> String { String(map { $0 == "\t" ? " " : $0 }) }
}

/// The rollback script of the installation in progress, kept in the machine's registry under
/// `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\InProgress`: `Patch` (REG_SZ, the
/// patch id), `State` (REG_SZ: `install`, then `commit` once the installation is recorded) and
/// `Script` (REG_MULTI_SZ, one `RollbackStep` line each).
///
/// Why the registry and not a `.rbs` file in `C:\Config.Msi` (where Windows Installer keeps the
/// script, with the `InProgress` key pointing at it): each append is an SQLite transaction, so a
/// process killed while recording leaves the script whole (never a torn last line), and the commit
/// — the patch's record, its RunOnce or service schedule, and the script's state turning to
/// `commit` — is ONE registry transaction: there is no point where the patch is recorded as
/// installed while its files can still be rolled back, or the other way round. The backups
/// themselves (`<id>-<n>.rbf`) are files in `C:\Config.Msi`, as on Windows.
public enum InstallerRollbackScript {
    /// `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\InProgress`
    public static let key = WindowsKeys.installerInProgress

    /// A script as read back.
    public struct Script: Sendable, Equatable {
        /// The patch whose installation it belongs to.
        public var patch: String
        /// True once the installation was recorded: recovery finishes it (deletes the backups)
        /// instead of rolling it back.
        public var committed: Bool
        /// The steps, in the order they were recorded.
        public var steps: [RollbackStep]
        /// Lines that could not be read (reported; recovery cannot undo what they name).
        public var unreadable: [String]
    }

    /// Starts the script of `patch` (the caller holds `_MSIExecute` and recovered any earlier one).
    public static func begin(patch: String, registry: Registry) throws {
        try registry.transaction { registry in
            _ = try registry.deleteKey(key)
            try registry.setValue(key, "Patch", .string(patch))
            try registry.setValue(key, "State", .string("install"))
            try registry.setValue(key, "Script", .multiString([]))
        }
    }

    /// Appends `step` (one atomic registry update).
    public static func record(_ step: RollbackStep, registry: Registry) throws {
        try registry.appendMultiString(key, "Script", [step.line])
    }

    /// Marks the script committed; call inside the transaction that records the installation.
    public static func commit(registry: Registry) throws {
        try registry.setValue(key, "State", .string("commit"))
    }

    /// The script left on the machine, or nil when there is none.
    public static func read(registry: Registry) throws -> Script? {
        guard try registry.keyExists(key) else { return nil }
        var patch = ""
        if case .string(let id)? = try registry.value(key, "Patch") { patch = id }
        var committed = false
        if case .string(let state)? = try registry.value(key, "State") { committed = state == "commit" }
        var steps: [RollbackStep] = []
        var unreadable: [String] = []
        if case .multiString(let lines)? = try registry.value(key, "Script") {
            for line in lines {
                if let step = RollbackStep(line: line) { steps.append(step) } else { unreadable.append(line) }
            }
        }
        return Script(patch: patch, committed: committed, steps: steps, unreadable: unreadable)
    }

    /// Removes the script (and the `Installer` key above it when that is left empty).
    public static func end(registry: Registry) throws {
        try registry.transaction { registry in
            _ = try registry.deleteKey(key)
            let parent = RegistryKeyPath(root: key.root, components: Array(key.components.dropLast()))
            if try registry.subkeys(of: parent)?.isEmpty == true, try registry.values(of: parent)?.isEmpty == true {
                _ = try registry.deleteKey(parent)
            }
        }
    }
}
