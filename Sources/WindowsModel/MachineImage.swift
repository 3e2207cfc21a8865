/// Which Windows family a machine behaves like.
public enum MachineProfile: String, Sendable, CaseIterable, Encodable {
    /// Windows NT/2000/XP/2003: in-use files can be soft-locked (renamed aside); delayed renames
    /// go to the registry's PendingFileRenameOperations; services start at boot.
    case nt
    /// Windows 95/98/Me: every in-use file is hard-locked; delayed renames go to
    /// `wininit.ini [rename]`.
    case win9x
}

/// What a machine holds when it is created: files, assemblies, native images, registry values,
/// services and Run/RunOnce entries. Decoded from `Rigs/images/*.yaml` by RigModel.
public struct MachineImage: Sendable, Equatable {
    /// The image's name (`image:` key).
    public var name: String
    /// What the image models (`description:`), free text.
    public var description: String
    /// Directories created even when no file is put in them.
    public var directories: [WindowsPath]
    /// Files, in image order.
    public var files: [ImageFile]
    /// Managed assemblies; each one's file is one of `files`.
    public var assemblies: [AssemblyDefinition]
    /// Which assemblies get a native image at create, and the runtime engine images are built against.
    public var nativeImages: NativeImageSet
    /// Registry values set at create (keys with no values are listed with an empty `name` and no data).
    public var registry: [RegistryValueDefinition]
    /// Services registered under `HKLM\SYSTEM\CurrentControlSet\Services`.
    public var services: [ServiceDefinition]
    /// `Run` and `RunOnce` entries.
    public var startup: [StartupEntry]

    public init(
        name: String, description: String = "", directories: [WindowsPath] = [], files: [ImageFile] = [],
        assemblies: [AssemblyDefinition] = [], nativeImages: NativeImageSet = NativeImageSet(),
        registry: [RegistryValueDefinition] = [], services: [ServiceDefinition] = [],
        startup: [StartupEntry] = []
    ) {
        self.name = name
        self.description = description
        self.directories = directories
        self.files = files
        self.assemblies = assemblies
        self.nativeImages = nativeImages
        self.registry = registry
        self.services = services
        self.startup = startup
    }

    /// The machine `rig machine create` makes without `--image`: `C:\Windows\System32`, nothing else.
    public static let minimal = MachineImage(
        name: "minimal", description: "An empty machine: C:\\Windows\\System32 and an empty registry.")

    /// The directories every machine has.
    public static let standardDirectories: [WindowsPath] = [
        WindowsPath(components: ["Windows", "System32"]),
        WindowsPath(components: ["Windows", "Temp"]),
    ]

    /// The assemblies as a catalog (name → definition).
    public var catalog: AssemblyCatalog {
        AssemblyCatalog(assemblies: assemblies, nativeImages: nativeImages)
    }
}

/// A file put on the machine: its contents are `FileContent.bytes(name:version:size:)`.
public struct ImageFile: Sendable, Equatable {
    public var path: WindowsPath
    public var version: FileVersion
    /// Size in bytes.
    public var size: Int
    public init(path: WindowsPath, version: FileVersion, size: Int) {
        self.path = path
        self.version = version
        self.size = size
    }
    /// The file's contents.
    public var bytes: [UInt8] { content.bytes }
    /// The file's contents, to be produced a chunk at a time.
    public var content: GeneratedContent { FileContent.content(name: path.name ?? "", version: version, size: size) }
}

/// A managed assembly: identity (name, assembly version), the file that holds it, and the
/// assemblies it references by name (resolved through the catalog).
public struct AssemblyDefinition: Sendable, Equatable {
    /// The simple name, e.g. `System.Web`.
    public var name: String
    /// The file, e.g. `C:\Windows\Microsoft.NET\Framework\v1.1.4322\System.Web.dll`.
    public var file: WindowsPath
    /// The assembly version (1.0.5000.0 for .NET Framework 1.1), not the file version.
    public var version: FileVersion
    /// Names of the referenced assemblies, in the order written.
    public var references: [String]
    /// The culture of its identity; empty for a culture-neutral assembly (every Framework one).
    public var culture: String
    /// The public key token of its strong name (16 hex digits), part of its GAC folder.
    public var publicKeyToken: String
    /// `publicKeyToken` nil: `GlobalAssemblyCache.defaultPublicKeyToken(for: name)`.
    public init(
        name: String, file: WindowsPath, version: FileVersion, references: [String] = [], culture: String = "",
        publicKeyToken: String? = nil
    ) {
        self.name = name
        self.file = file
        self.version = version
        self.references = references
        self.culture = culture
        self.publicKeyToken = publicKeyToken ?? GlobalAssemblyCache.defaultPublicKeyToken(for: name)
    }
}

/// Which assemblies have native images, where the images live, and the runtime engine they are
/// built against.
public struct NativeImageSet: Sendable, Equatable {
    /// The native image cache, e.g. `C:\Windows\assembly\NativeImages1_v1.1.4322`; the image of
    /// assembly `A` is `<directory>\A\A.ni.dll`.
    public var directory: WindowsPath
    /// The runtime engine (`mscorwks.dll`); a native image records its hash too, so servicing the
    /// engine invalidates every image, as on Windows. Nil: images depend on assemblies only.
    public var runtime: WindowsPath?
    /// Assembly names, in the order written.
    public var assemblies: [String]
    public init(
        directory: WindowsPath = NativeImageSet.defaultDirectory, runtime: WindowsPath? = nil,
        assemblies: [String] = []
    ) {
        self.directory = directory
        self.runtime = runtime
        self.assemblies = assemblies
    }

    /// `C:\Windows\assembly\NativeImages`, when an image names no directory.
    public static let defaultDirectory = WindowsPath(components: ["Windows", "assembly", "NativeImages"])

    /// Where the native image of `assembly` is stored: `<directory>\<assembly>\<assembly>.ni.dll`.
    public func imagePath(for assembly: String) -> WindowsPath {
        directory.appending(assembly).appending(assembly + ".ni.dll")
    }
}

/// One registry value (or, with a nil `data`, just a key that must exist).
public struct RegistryValueDefinition: Sendable, Equatable {
    /// Full key path, e.g. `HKLM\SOFTWARE\Microsoft\.NETFramework`.
    public var key: RegistryKeyPath
    /// Value name; empty for the key's default value.
    public var name: String
    /// Nil: the key is created with no value.
    public var data: RegistryValue?
    public init(key: RegistryKeyPath, name: String, data: RegistryValue?) {
        self.key = key
        self.name = name
        self.data = data
    }
}

/// When a service starts (the `Start` value of its key).
public enum ServiceStart: String, Sendable, Equatable, Encodable {
    /// SERVICE_AUTO_START (2): started at boot, before anyone logs on.
    case auto
    /// SERVICE_DEMAND_START (3)
    case demand
    /// SERVICE_DISABLED (4)
    case disabled

    /// The `Start` DWORD Windows stores.
    public var startValue: UInt32 {
        switch self {
        case .auto: return 2
        case .demand: return 3
        case .disabled: return 4
        }
    }

    /// The start type a `Start` DWORD means; nil for boot/system drivers and unknown values.
    public init?(startValue: UInt32) {
        switch startValue {
        case 2: self = .auto
        case 3: self = .demand
        case 4: self = .disabled
        default: return nil
        }
    }
}

/// A Windows service: `HKLM\SYSTEM\CurrentControlSet\Services\<name>` with `ImagePath` and `Start`.
public struct ServiceDefinition: Sendable, Equatable, Encodable {
    public var name: String
    /// The command line the service control manager runs.
    public var command: String
    public var start: ServiceStart
    public init(name: String, command: String, start: ServiceStart) {
        self.name = name
        self.command = command
        self.start = start
    }
}

/// A `Run` or `RunOnce` value: runs when a user logs on.
public struct StartupEntry: Sendable, Equatable, Encodable {
    /// Which Run key.
    public enum Kind: String, Sendable, Equatable, Encodable {
        case run = "Run"
        case runOnce = "RunOnce"
    }
    /// Machine-wide (HKLM; RunOnce there needs an administrator) or per-user (HKCU).
    public enum Hive: String, Sendable, Equatable, Encodable {
        case localMachine = "HKLM"
        case currentUser = "HKCU"
    }
    public var hive: Hive
    public var kind: Kind
    /// The value name (a `!` prefix on a RunOnce entry defers its deletion until the command succeeded).
    public var name: String
    public var command: String

    public init(hive: Hive, kind: Kind, name: String, command: String) {
        self.hive = hive
        self.kind = kind
        self.name = name
        self.command = command
    }

    /// The registry key holding the entry (`WindowsKeys.startup`), e.g.
    /// `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce`.
    public var key: RegistryKeyPath { WindowsKeys.startup(hive, kind) }
}
