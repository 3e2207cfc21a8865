/// Every role `rig-worker` can play, by name. Add one line per role.
public enum RoleTable {
    public static let roles: [String: RoleMain] = [
        "script": ScriptRole.run,
        "smss": SessionManagerRole.run,
        "append": AppendRole.run,
        "installer": InstallerRole.run,
        "setup": SetupRole.run,
        "app": AppRole.run,
        "ngen": NgenRole.run,
        "netfxupdate": NetFxUpdateRole.run,
        "windowsupdate": WindowsUpdateRole.run,
    ]
}
