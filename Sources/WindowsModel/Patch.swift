/// A Windows Installer patch or package the `installer` role applies as one transaction: new
/// versions of files, the assemblies whose native images must be regenerated, GAC installs, and
/// what the registry records once it is installed. Decoded from `Rigs/patches/*.yaml` by
/// RigModel's `PatchLoader`; on the machine it travels as a package file (`PatchPackage`).
public struct Patch: Sendable, Equatable {
    /// The patch's identity, e.g. `NDP1.1sp1-KB867460`, `KB886903`: it names the package file
    /// (`C:\Windows\Installer\<id>.msp`), the registry record and the RunOnce entry.
    public var id: String
    /// What it is, free text (one line).
    public var description: String
    /// How its post-reboot work (native images, Windows 9x GAC installs) is scheduled.
    public var era: PatchEra
    /// The product it updates, as a path below `HKLM\SOFTWARE\Microsoft\Updates`
    /// (e.g. `.NETFramework\1.1`).
    public var product: String
    /// Files, in the order the installer replaces them.
    public var files: [PatchFile]
    /// Assemblies (catalog names) whose native images are regenerated; everything that depends
    /// on them is found through the machine's `AssemblyCatalog`.
    public var ngen: [String]
    /// Files installed into the global assembly cache (each one of `files`).
    public var gac: [WindowsPath]
    /// Registry values set when the patch is installed (besides its record under `recordKey`).
    public var registry: [RegistryValueDefinition]
    /// The post-reboot native-image pass it schedules holds the install mutex (`_MSIExecute`)
    /// while it works, so no installation can overlap it (`ngen_lock: true`; `/lock` on the
    /// NetFxUpdate command line) — the fix for the race of seed 000.
    public var ngenLock: Bool = false

    public init(
        id: String, description: String = "", era: PatchEra = .runonce, product: String = "",
        files: [PatchFile] = [], ngen: [String] = [], gac: [WindowsPath] = [],
        registry: [RegistryValueDefinition] = []
    ) {
        self.id = id
        self.description = description
        self.era = era
        self.product = product
        self.files = files
        self.ngen = ngen
        self.gac = gac
        self.registry = registry
    }

    /// `C:\Windows\Installer`, where packages are staged.
    public static let installerDirectory = WindowsPath(components: ["Windows", "Installer"])

    /// Where the package of patch `id` is staged on the machine: `C:\Windows\Installer\<id>.msp`.
    public static func packagePath(id: String) -> WindowsPath { installerDirectory.appending(id + ".msp") }

    /// This patch's package path.
    public var packagePath: WindowsPath { Patch.packagePath(id: id) }

    /// Whether `id` can name a patch: 1...64 characters, letters, digits, `.`, `-`, `_` (it becomes
    /// a file name and a registry value name).
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id != "." && id != ".."
            && id.unicodeScalars.allSatisfy { $0.isASCII && (isAlnum($0) || $0 == "." || $0 == "-" || $0 == "_") }
    }

    private static func isAlnum(_ s: Unicode.Scalar) -> Bool {
        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9")
    }

    /// `HKLM\SOFTWARE\Microsoft\Updates\<product>\<id>`: where the installer records the patch
    /// (`Installed`=1, `Description`, `Files`), so that it can be recognised and applied again.
    public var recordKey: RegistryKeyPath {
        WindowsKeys.installedUpdates.appending(product).appending(id)
    }

    /// The patch's file at `path` (names compared ignoring case, as Windows does).
    public func file(at path: WindowsPath) -> PatchFile? {
        files.first { $0.path.foldedForComparison == path.foldedForComparison }
    }
}

/// How post-reboot work is scheduled: the two generations of NetFxUpdate.
public enum PatchEra: String, Sendable, Equatable, CaseIterable {
    /// An HKLM `RunOnce` entry `NetFxUpdate_<id>` running `netfxupdate.exe /ngen:...`: it runs
    /// only when an administrator logs on.
    case runonce
    /// The NetFxUpdate service (auto-start, no logon needed) with its work in the protected key
    /// `HKLM\SOFTWARE\Microsoft\.NETFramework\NetFxUpdate`.
    case service
}

/// One file a patch puts on the machine: its contents are `FileContent.bytes(name:version:size:)`.
public struct PatchFile: Sendable, Equatable {
    /// Where it goes.
    public var path: WindowsPath
    /// The file version it carries.
    public var version: FileVersion
    /// Its size in bytes.
    public var size: Int
    /// True when the patch adds the file (the machine need not have it); false when it replaces
    /// a file the machine has.
    public var adds: Bool

    public init(path: WindowsPath, version: FileVersion, size: Int, adds: Bool = false) {
        self.path = path
        self.version = version
        self.size = size
        self.adds = adds
    }

    /// The file's new contents (deterministic: the package carries only the manifest).
    public var bytes: [UInt8] { content.bytes }
    /// The file's contents, to be produced a chunk at a time.
    public var content: GeneratedContent { FileContent.content(name: path.name ?? "", version: version, size: size) }
}

extension WindowsPath {
    /// The path with every component folded as Windows compares names (`WindowsPath.folded`):
    /// equal for every spelling of one file.
    public var foldedForComparison: WindowsPath { folded }
}
