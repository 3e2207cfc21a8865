/// The roles a `rig-worker` can play, the parameters each accepts in a rig's `params:`, and the
/// events each emits. A rig naming another role or parameter, or an event its owner never emits,
/// is refused before anything is spawned. Every worker of a rig with a machine also gets
/// `machine` (the sandbox directory) and `seed` from the coordinator; rigs do not write those.
public enum Role {
    /// Role name → accepted parameter names. One line per role.
    public static let known: [String: Set<String>] = [
        "script": [],
        "installer": ["patch", "files_in_use", "retry_limit", "era"],
        "setup": ["patch", "packages", "mode", "files_in_use", "retry_limit", "era"],
        "ngen": ["assemblies", "action", "install_mutex"],
        "netfxupdate": ["mode", "work", "command"],
        "app": ["load", "hold", "until", "run_for"],
        "windowsupdate": ["patch", "delay", "jitter", "files_in_use", "retry_limit", "era"],
    ]

    /// Role name → the events its worker emits under its actor's name (its `emit` operations),
    /// which other actors, machine steps and faults can start after (`after: installer.installed`),
    /// wait on (`wait:`) and run until (`until:`). One line per role; a `script` emits what its
    /// `emit` steps say (see `events(of:)`). Machine steps and power losses own events too:
    /// `MachineStep.events`.
    ///
    /// * `installer`: `installed` — the installation succeeded (0 or 3010) and, when no reboot
    ///   is pending, its native images were regenerated.
    /// * `setup`: `installed` — every package installed (0 or 3010 after the reboot reduction).
    /// * `app`: `loaded` — every `load` file loaded and the `hold` file opened.
    /// * `windowsupdate`: `done` — the hotfix install (with its retries) is over, whatever its code.
    /// * `ngen`, `netfxupdate`: none (start after their exit: `after_exit`).
    public static let events: [String: [String]] = [
        "script": [],
        "installer": ["installed"],
        "setup": ["installed"],
        "ngen": [],
        "netfxupdate": [],
        "app": ["loaded"],
        "windowsupdate": ["done"],
    ]

    /// The events `actor` can emit: its role's (`events`), or for a `script` the events of its
    /// `emit` steps, in order, each once.
    public static func events(of actor: Actor) -> [String] {
        var names = events[actor.role] ?? []
        for step in actor.steps {
            if case .emit(let name) = step.kind, !names.contains(name) { names.append(name) }
        }
        return names
    }
}

extension MachineStep {
    /// The events the coordinator emits under the step's name (`reboot1.down`, ...), as
    /// `RigDecoder.events(of:)` gives them for its kind.
    public var events: [String] { RigDecoder.events(of: kind) }
}
