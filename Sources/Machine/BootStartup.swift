import Registry
import WindowsModel

/// An auto-start service to start at boot.
public struct BootService: Sendable, Equatable {
    /// The service's key name under `HKLM\SYSTEM\CurrentControlSet\Services`.
    public var name: String
    public var command: BootCommand
}

extension BootServices {
    /// Every service under `HKLM\SYSTEM\CurrentControlSet\Services` whose `Start` is 2 and that
    /// has a REG_SZ `ImagePath`, in key-name order; none on a profile that starts no services.
    public static func autoStartServices(in registry: Registry, profile: MachineProfile) throws -> [BootService] {
        guard start(on: profile) else { return [] }
        var result: [BootService] = []
        for name in try registry.subkeys(of: WindowsKeys.services) ?? [] {
            let key = WindowsKeys.services.appending(name)
            guard try registry.value(key, WindowsKeys.serviceStart)?.dwordValue == ServiceStart.auto.startValue,
                let imagePath = try registry.value(key, WindowsKeys.serviceImagePath)?.stringValue
            else { continue }
            result.append(BootService(name: name, command: BootCommand(imagePath)))
        }
        return result
    }
}

/// What to do with one `Run` or `RunOnce` entry at logon.
public struct StartupAction: Sendable, Equatable {
    public var entry: StartupEntry
    /// RunOnce: the next entry waits for this command to end. Run: started, not waited for.
    public var waitForExit: Bool
    /// When the RunOnce value is deleted; nil for Run (never).
    public var deletion: RunOnceDeletion?

    /// The registry key holding the entry.
    public var key: RegistryKeyPath { WindowsKeys.startup(entry.hive, entry.kind) }
    /// The parsed command line.
    public var command: BootCommand { BootCommand(entry.command) }
}

/// When a RunOnce value is deleted.
public enum RunOnceDeletion: Sendable, Equatable {
    /// Before its command runs (the default): it never runs twice, even if it fails.
    case beforeRunning
    /// After its command succeeds (exit code 0), for a name starting with `!`: a failed or
    /// interrupted command runs again at the next logon.
    case afterSuccess
}

/// Windows's rules for `Run` and `RunOnce` under `HKLM` and `HKCU`
/// `Software\Microsoft\Windows\CurrentVersion`, applied when a user logs on.
public enum StartupRules {
    /// When a RunOnce value named `name` is deleted: after success if the name starts with `!`.
    public static func deletion(forRunOnce name: String) -> RunOnceDeletion {
        name.hasPrefix("!") ? .afterSuccess : .beforeRunning
    }

    /// The order Windows processes the lists in at logon.
    public static let order: [(StartupEntry.Hive, StartupEntry.Kind)] = [
        (.localMachine, .runOnce), (.localMachine, .run), (.currentUser, .run), (.currentUser, .runOnce),
    ]

    /// Every REG_SZ value of the four lists, in processing order and, within a list, value order.
    public static func entries(in registry: Registry) throws -> [StartupEntry] {
        var result: [StartupEntry] = []
        for (hive, kind) in order {
            for (name, value) in try registry.values(of: WindowsKeys.startup(hive, kind)) ?? [] {
                guard let command = value.stringValue else { continue }
                result.append(StartupEntry(hive: hive, kind: kind, name: name, command: command))
            }
        }
        return result
    }

    /// What runs when `logon` logs on, in order: nothing without a logon; HKLM RunOnce only for
    /// an administrator (for a plain user those entries stay queued, which is why a patch's
    /// post-reboot work could wait for an administrator to log on); RunOnce entries one at a
    /// time, each waited for; Run entries started.
    public static func plan(_ entries: [StartupEntry], logon: Logon) -> [StartupAction] {
        guard logon != .none else { return [] }
        var actions: [StartupAction] = []
        for (hive, kind) in order {
            if hive == .localMachine && kind == .runOnce && logon != .admin { continue }
            for entry in entries where entry.hive == hive && entry.kind == kind {
                switch kind {
                case .runOnce:
                    actions.append(StartupAction(entry: entry, waitForExit: true, deletion: deletion(forRunOnce: entry.name)))
                case .run:
                    actions.append(StartupAction(entry: entry, waitForExit: false, deletion: nil))
                }
            }
        }
        return actions
    }
}
