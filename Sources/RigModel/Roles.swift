/// The roles a `rig-worker` can play, and the parameters each accepts in a rig's `params:`.
/// A rig naming another role or parameter is refused before anything is spawned. Every worker
/// of a rig with a machine also gets `machine` (the sandbox directory) and `seed` from the
/// coordinator; rigs do not write those.
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
}
