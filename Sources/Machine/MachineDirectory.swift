import Host
import Registry
import WinFS
import WindowsModel

/// A simulated machine on disk:
/// ```
/// <directory>/drive_c/...     the C: drive
/// <directory>/registry.db     the registry (SQLite)
/// <directory>/profile         `nt` or `win9x`
/// ```
/// The assembly catalog (which assemblies exist, what they reference, which have native images)
/// is kept in the registry under `HKLM\SOFTWARE\PatchRig` (see `MachineCatalogKeys`), so any
/// process of the machine, and `rig machine show`, can judge native images from the machine alone.
public struct MachineDirectory: Sendable {
    /// The machine directory as given.
    public let path: String
    /// File access beneath `drive_c`.
    public let files: MachineRoot

    /// The entries every machine directory has from its creation on (`create` writes them first).
    public static let machineEntries = ["profile", "drive_c", "registry.db"]

    /// The one test of "is this a machine", used by every `rig` command and every worker before
    /// it touches anything: `path` is a directory holding `profile`, `drive_c` and `registry.db`
    /// (`machineEntries`). Throws `not a machine: ...` saying what is missing; creates nothing.
    /// Whether those entries are what they must be (not symbolic links leading out, ...) is
    /// `MachineRoot`'s check, made when the machine is opened.
    public static func checkIsMachine(_ path: String) throws(MachineError) {
        guard !path.isEmpty, let kind = HostFiles.kind(of: path, followingLinks: true) else {
            throw MachineError("not a machine: '\(path)' does not exist (make one with `rig machine create`)")
        }
        guard kind == .directory else {
            throw MachineError("not a machine: '\(path)' is not a directory (make one with `rig machine create`)")
        }
        let missing = machineEntries.filter { HostFiles.kind(of: path + "/" + $0, followingLinks: false) == nil }
        guard missing.isEmpty else {
            throw MachineError(
                "not a machine: '\(path)' has no \(missing.joined(separator: ", ")) (a machine directory holds "
                    + "\(machineEntries.joined(separator: ", ")); make one with `rig machine create`)")
        }
    }

    /// Opens an existing machine (`checkIsMachine`); throws if `path` does not hold one, and
    /// creates nothing.
    public init(opening path: String) throws {
        try Self.checkIsMachine(path)
        self.path = path
        self.files = try MachineRoot(path: path)
    }

    /// The file holding the profile name.
    public var profilePath: String { path + "/profile" }

    /// Creates a machine from `image` in `path`, which must not exist or be an empty directory
    /// (its parent must exist). Anything else is refused before anything is written.
    @discardableResult
    public static func create(
        at path: String, image: MachineImage, profile: MachineProfile
    ) throws -> MachineDirectory {
        try checkCanCreate(at: path)
        if HostFiles.kind(of: path, followingLinks: false) == nil {
            do { try HostFiles.makeDirectory(path) } catch {
                throw Win32Error(errno: error.code, operation: "create machine directory", path: path)
            }
        }
        let text = profile.rawValue + "\n"
        try writeHostFile(path + "/profile", Array(text.utf8))
        let files = try MachineRoot(path: path)
        for directory in MachineImage.standardDirectories + image.directories {
            try files.createDirectories(directory)
        }
        for file in image.files {
            if let parent = file.path.parent { try files.createDirectories(parent) }
            try files.writeFile(file.path, file.content)
        }
        let registry = try Registry(machineDirectory: path)
        try registry.transaction { registry in
            for value in image.registry {
                if let data = value.data {
                    try registry.setValue(value.key, value.name, data)
                } else {
                    try registry.createKey(value.key)
                }
            }
            for service in image.services {
                try WindowsKeys.registerService(service.name, command: service.command, start: service.start, in: registry)
            }
            for entry in image.startup {
                try registry.setValue(entry.key, entry.name, .string(entry.command))
            }
            try MachineCatalogKeys.write(image.catalog, to: registry)
        }
        let catalog = image.catalog
        for assembly in catalog.nativeImages.assemblies {
            try NativeImages.build(assembly, catalog: catalog, files: files)
        }
        return try MachineDirectory(opening: path)
    }

    /// Creates a machine in `path` as a copy of the machine `template` (made by `create`, and
    /// never run: a campaign makes one and clones it for each iteration). Every file gets an
    /// inode of its own, so no clone sees another's writes or another's share locks (which live
    /// on the inode; hard links would share them). `path` is checked as for `create`.
    @discardableResult
    public static func clone(_ template: String, to path: String) throws -> MachineDirectory {
        try checkIsMachine(template)
        try checkCanCreate(at: path)
        do {
            if HostFiles.kind(of: path, followingLinks: false) == nil {
                try HostFiles.copyTree(from: template, to: path)
            } else {
                for name in try HostFiles.entries(ofDirectory: template) {
                    try HostFiles.copyTree(from: template + "/" + name, to: path + "/" + name)
                }
            }
        } catch {
            throw Win32Error(errno: error.code, operation: "clone machine (\(error.operation) \(error.path))", path: path)
        }
        return try MachineDirectory(opening: path)
    }

    /// Throws unless `path` does not exist (its parent does) or is an empty directory: a machine
    /// is never created over anything.
    public static func checkCanCreate(at path: String) throws {
        if let kind = HostFiles.kind(of: path, followingLinks: false) {
            guard kind == .directory else {
                throw MachineError(
                    "'\(path)' exists and is not a directory; a machine is created in a new or empty directory")
            }
            let count: Int
            do { count = try HostFiles.entries(ofDirectory: path).count } catch {
                throw Win32Error(errno: error.code, operation: "list machine directory", path: path)
            }
            guard count == 0 else {
                throw MachineError(
                    "'\(path)' is not empty (\(count) entries); a machine is created in a new or empty directory, never over an existing one"
                )
            }
        } else {
            let parent = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            guard HostFiles.kind(of: parent.isEmpty ? "/" : parent, followingLinks: false) == .directory else {
                throw MachineError("cannot create '\(path)': its parent directory '\(parent)' does not exist")
            }
        }
    }

    /// The machine's profile.
    public func profile() throws -> MachineProfile { try machineProfile(of: files) }

    /// Opens the machine's registry (one connection; use it from one thread).
    public func registry() throws(RegistryError) -> Registry { try Registry(machineDirectory: path) }

    /// The assembly catalog recorded in the registry at create.
    /// `registry`: a connection to the machine's registry to use (nil: one of its own), here and
    /// in the other readers below.
    public func catalog(registry: Registry? = nil) throws -> AssemblyCatalog {
        try MachineCatalogKeys.read(from: registry ?? self.registry())
    }

    /// The status of every native image of the machine, judged at rest: an image built from a
    /// file that a pending rename changes at the next boot is not fresh.
    public func nativeImageStatus(registry: Registry? = nil) throws -> [NativeImageReport] {
        let registry = try registry ?? self.registry()
        let pending = try pendingRenameStore(for: files, registry: registry).pending()
        let changes = pending.flatMap { [$0.source] + ($0.destination.map { [$0] } ?? []) }
        return NativeImages.statusOfAll(catalog: try catalog(registry: registry), files: files, pendingChanges: changes)
    }

    /// Every file on drive C, depth-first in name order, with its size and the version its header
    /// carries.
    public func fileList() throws -> [FileSummary] {
        var result: [FileSummary] = []
        func walk(_ directory: WindowsPath) throws {
            for name in try files.list(directory) {
                let path = directory.appending(name)
                if files.isDirectory(path) {
                    try walk(path)
                } else {
                    // The version is in the header: the first bytes are enough (FileContent.firstLine
                    // looks at 512), and the size comes from the inode.
                    guard let (header, size) = try headerAndSize(path) else { continue }
                    result.append(FileSummary(path: path, size: size, version: FileContent.stamp(of: header)?.version))
                }
            }
        }
        try walk(WindowsPath(components: []))
        return result
    }

    /// The first 512 bytes of the file at `path` and its size; nil when it is gone since it was
    /// listed (a delete-pending file whose delete completed meanwhile).
    private func headerAndSize(_ path: WindowsPath) throws(Win32Error) -> ([UInt8], Int)? {
        do {
            let head = try files.readHead(path, limit: 512)
            return (head.bytes, head.size)
        } catch {
            if error.code == 2 { return nil }
            throw error
        }
    }

    /// Run and RunOnce entries of HKLM and HKCU, in that order.
    public func startupEntries(registry: Registry? = nil) throws -> [StartupEntry] {
        let registry = try registry ?? self.registry()
        var entries: [StartupEntry] = []
        for hive in [StartupEntry.Hive.localMachine, .currentUser] {
            for kind in [StartupEntry.Kind.run, .runOnce] {
                for (name, value) in try registry.values(of: WindowsKeys.startup(hive, kind)) ?? [] {
                    entries.append(StartupEntry(hive: hive, kind: kind, name: name, command: value.description))
                }
            }
        }
        return entries
    }

    /// Registered services (keys under `HKLM\SYSTEM\CurrentControlSet\Services` with an ImagePath).
    public func services(registry: Registry? = nil) throws -> [ServiceDefinition] {
        let registry = try registry ?? self.registry()
        var services: [ServiceDefinition] = []
        for name in try registry.subkeys(of: WindowsKeys.services) ?? [] {
            let key = WindowsKeys.services.appending(name)
            guard case .string(let command)? = try registry.value(key, WindowsKeys.serviceImagePath) else { continue }
            var start = ServiceStart.demand
            if case .dword(let value)? = try registry.value(key, WindowsKeys.serviceStart), let known = ServiceStart(startValue: value) {
                start = known
            }
            services.append(ServiceDefinition(name: name, command: command, start: start))
        }
        return services
    }
}

/// A file on the machine as `rig machine show` lists it.
public struct FileSummary: Sendable, Equatable {
    public var path: WindowsPath
    public var size: Int
    /// The version in its header; nil for a file that is not a simulated PE file.
    public var version: FileVersion?
}

/// Where the machine keeps what it knows about assemblies, services and startup entries in its
/// registry.
///
/// `HKLM\SOFTWARE\PatchRig\Assemblies\<Name>`: `File` (REG_SZ), `Version` (REG_SZ),
/// `References` (REG_MULTI_SZ), `Culture` and `PublicKeyToken` (REG_SZ; absent in machines made
/// before they were recorded: neutral and the default token). `HKLM\SOFTWARE\PatchRig\NativeImages`: `Directory` (REG_SZ),
/// `Runtime` (REG_SZ, optional), `Assemblies` (REG_MULTI_SZ). These keys are the simulation's own
/// bookkeeping (the metadata a real assembly carries in its PE file); Windows has no such key.
public enum MachineCatalogKeys {
    /// `HKLM\SOFTWARE\PatchRig\Assemblies`
    public static let assemblies = WindowsKeys.patchRig.appending("Assemblies")
    /// `HKLM\SOFTWARE\PatchRig\NativeImages`
    public static let nativeImages = WindowsKeys.patchRig.appending("NativeImages")

    /// Records `catalog` (nothing when it has no assemblies).
    public static func write(_ catalog: AssemblyCatalog, to registry: Registry) throws {
        guard !catalog.assemblies.isEmpty else { return }
        for assembly in catalog.assemblies {
            let key = assemblies.appending(assembly.name)
            try registry.setValue(key, "File", .string(assembly.file.description))
            try registry.setValue(key, "Version", .string(assembly.version.description))
            try registry.setValue(key, "References", .multiString(assembly.references))
            try registry.setValue(key, "Culture", .string(assembly.culture))
            try registry.setValue(key, "PublicKeyToken", .string(assembly.publicKeyToken))
        }
        let set = catalog.nativeImages
        try registry.setValue(nativeImages, "Directory", .string(set.directory.description))
        if let runtime = set.runtime { try registry.setValue(nativeImages, "Runtime", .string(runtime.description)) }
        try registry.setValue(nativeImages, "Assemblies", .multiString(set.assemblies))
    }

    /// Reads the catalog back; an empty catalog when the machine has no assemblies.
    public static func read(from registry: Registry) throws -> AssemblyCatalog {
        var list: [AssemblyDefinition] = []
        for name in try registry.subkeys(of: assemblies) ?? [] {
            let key = assemblies.appending(name)
            // One read of the key's values, not one per value (value names ignore case).
            var values: [String: RegistryValue] = [:]
            for (valueName, value) in try registry.values(of: key) ?? [] { values[valueName.lowercased()] = value }
            guard case .string(let file)? = values["file"],
                case .string(let versionText)? = values["version"],
                let version = FileVersion(versionText)
            else { throw MachineError("\(key): File or Version is missing or malformed") }
            let references = values["references"]?.strings ?? []
            let culture = values["culture"]?.stringValue ?? ""
            let token = values["publickeytoken"]?.stringValue
            list.append(
                AssemblyDefinition(
                    name: name, file: try WindowsPath(file), version: version, references: references, culture: culture,
                    publicKeyToken: token))
        }
        var set = NativeImageSet()
        if case .string(let directory)? = try registry.value(nativeImages, "Directory") {
            set.directory = try WindowsPath(directory)
        }
        if case .string(let runtime)? = try registry.value(nativeImages, "Runtime") {
            set.runtime = try WindowsPath(runtime)
        }
        set.assemblies = try registry.value(nativeImages, "Assemblies")?.strings ?? []
        return AssemblyCatalog(assemblies: list, nativeImages: set)
    }
}

/// Writes a new file of the machine directory itself (not of drive C).
func writeHostFile(_ path: String, _ bytes: [UInt8]) throws(Win32Error) {
    do { try HostFiles.createNewFile(path, contents: bytes) } catch {
        throw Win32Error(errno: error.code, operation: error.operation, path: path)
    }
}
