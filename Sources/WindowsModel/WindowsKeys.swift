/// The one home of the registry keys and value names the simulated Windows uses: every other
/// file names a key through these, so each key is spelled one way.
///
/// Key names compare ignoring case, but a key is shown as it was first created, so each is
/// spelled here as Windows spells it: `HKLM\SOFTWARE`, `HKCU\Software`.
public enum WindowsKeys {
    /// `HKLM\SOFTWARE` or `HKCU\Software`.
    public static func software(_ root: RegistryRoot) -> RegistryKeyPath {
        RegistryKeyPath(root: root, components: [root == .localMachine ? "SOFTWARE" : "Software"])
    }

    /// `SOFTWARE\Microsoft\Windows\CurrentVersion` below HKLM (or `Software\...` below HKCU):
    /// holds `Run`, `RunOnce` and the Windows Installer's keys.
    public static func currentVersion(_ root: RegistryRoot) -> RegistryKeyPath {
        software(root).appending("Microsoft\\Windows\\CurrentVersion")
    }

    /// The key holding `kind` (`Run`, `RunOnce`) entries of `hive`, e.g.
    /// `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce`.
    public static func startup(_ hive: StartupEntry.Hive, _ kind: StartupEntry.Kind) -> RegistryKeyPath {
        currentVersion(hive == .localMachine ? .localMachine : .currentUser).appending(kind.rawValue)
    }

    /// `HKLM\SYSTEM\CurrentControlSet\Services`: one subkey per service.
    public static let services = RegistryKeyPath(
        root: .localMachine, components: ["SYSTEM", "CurrentControlSet", "Services"])
    /// A service's command line (REG_SZ).
    public static let serviceImagePath = "ImagePath"
    /// When a service starts (REG_DWORD, `ServiceStart.startValue`).
    public static let serviceStart = "Start"
    /// What a service is (REG_DWORD, `serviceWin32OwnProcess`).
    public static let serviceType = "Type"
    /// SERVICE_WIN32_OWN_PROCESS, the `Type` of a service with its own executable.
    public static let serviceWin32OwnProcess: UInt32 = 0x10

    /// `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`
    public static let sessionManager = RegistryKeyPath(
        root: .localMachine, components: ["SYSTEM", "CurrentControlSet", "Control", "Session Manager"])
    /// The REG_MULTI_SZ of `sessionManager` holding (source, destination) pairs.
    public static let pendingFileRenameOperations = "PendingFileRenameOperations"

    /// `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\InProgress`: the Windows
    /// Installer's rollback script of the installation in progress.
    public static let installerInProgress = currentVersion(.localMachine).appending("Installer\\InProgress")

    /// `HKLM\SOFTWARE\Microsoft\Updates`: installed patches, `<product>\<id>` below it.
    public static let installedUpdates = software(.localMachine).appending("Microsoft\\Updates")

    /// `HKLM\SOFTWARE\Microsoft\.NETFramework\NetFxUpdate`: NetFxUpdate's protected work store.
    public static let netFxUpdateWork = software(.localMachine).appending("Microsoft\\.NETFramework\\NetFxUpdate")

    /// `HKLM\SOFTWARE\PatchRig`: the simulation's own bookkeeping (Windows has no such key).
    public static let patchRig = software(.localMachine).appending("PatchRig")
}

/// Where the .NET Framework 1.1 lives on the machine's drive C, for the programs that need it
/// without a catalog (the GAC and native images have their own homes: `GlobalAssemblyCache`,
/// `NativeImageSet`).
public enum FrameworkLayout {
    /// `C:\Windows\Microsoft.NET\Framework\v1.1.4322`
    public static let directory = WindowsPath(components: ["Windows", "Microsoft.NET", "Framework", "v1.1.4322"])
    /// `C:\Windows\Microsoft.NET\Framework\v1.1.4322\mscorwks.dll`, the runtime engine, when the
    /// catalog does not name one.
    public static let runtimeEngine = directory.appending("mscorwks.dll")
    /// `C:\Windows\Microsoft.NET\Framework\v1.1.4322\netfxupdate.exe`
    public static let netFxUpdate = directory.appending("netfxupdate.exe")
}
