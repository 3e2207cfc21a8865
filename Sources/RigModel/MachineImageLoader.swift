import Foundation
import WindowsModel
import Yams

/// Decodes a machine image (`Rigs/images/*.yaml`) into a `MachineImage`.
///
/// ```yaml
/// image: netfx11
/// description: .NET Framework 1.1 RTM
/// directories: [C:\Windows\Temp]
/// files:
///   - {path: C:\Windows\System32\mscoree.dll, version: 1.1.4322.573, size: 315392}
/// assemblies:
///   - name: System
///     file: C:\Windows\Microsoft.NET\Framework\v1.1.4322\System.dll
///     version: 1.0.5000.0              # the assembly version
///     references: [mscorlib]
/// native_images:
///   directory: C:\Windows\assembly\NativeImages1_v1.1.4322
///   runtime: C:\Windows\Microsoft.NET\Framework\v1.1.4322\mscorwks.dll
///   assemblies: [mscorlib, System]
/// registry:
///   - key: HKLM\SOFTWARE\Microsoft\.NETFramework
///     values:
///       InstallRoot: C:\Windows\Microsoft.NET\Framework\     # text: REG_SZ
///       Enable: {dword: 1}                                    # also {sz: ...}, {multi_sz: [...]}
///   - key: HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce    # no values: the key only
/// services:
///   - {name: NetFxUpdate, command: netfxupdate.exe /service, start: auto}
/// startup:
///   - {kind: RunOnce, hive: HKLM, name: ngen, command: ngen.exe install System.Web}
/// ```
/// Every problem is reported with `file:line:column`, all of them in one `RigErrors`.
public enum MachineImageLoader {
    /// The keys of an image file's top level.
    public static let topKeys = [
        "image", "description", "directories", "files", "assemblies", "native_images", "registry", "services",
        "startup",
    ]
    /// Files must hold at least the version header; at most 256 MiB keeps a bad size from filling the disk.
    public static let sizeRange = 64...(256 << 20)

    /// Reads and decodes the image file at `path`.
    public static func load(file path: String) throws(RigErrors) -> MachineImage {
        try decode(YAMLSupport.readText(file: path, what: "image file"), file: path)
    }

    /// Decodes image text; `file` is the name used in error positions (and the default image name).
    public static func decode(_ text: String, file: String) throws(RigErrors) -> MachineImage {
        let root: Yams.Node?
        do { root = try YAMLSupport.compose(text, file: file) } catch { throw RigErrors([error]) }
        let defaultName = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        guard let root else { return MachineImage(name: defaultName) }
        let decoder = ImageDecoder(file: file)
        let image = decoder.decode(root, defaultName: defaultName)
        if !decoder.reader.errors.isEmpty { throw RigErrors(decoder.reader.sortedErrors) }
        return image
    }
}

/// One pass over an image tree, recording every problem in `reader`.
private final class ImageDecoder {
    let reader: YAMLReader
    init(file: String) { reader = YAMLReader(file: file) }

    func decode(_ root: Yams.Node, defaultName: String) -> MachineImage {
        var image = MachineImage(name: defaultName)
        guard let top = reader.mapping(root, what: "the image", keys: MachineImageLoader.topKeys) else { return image }
        if let node = top["image"], let name = reader.string(node, what: "the image name") { image.name = name }
        if let node = top["description"], let text = reader.string(node, what: "the description") {
            image.description = text
        }
        if let node = top["directories"], let list = reader.list(node, what: "directories") {
            image.directories = list.compactMap { path($0, what: "a directory") }
        }
        var fileNodes: [WindowsPath: Yams.Node] = [:]  // by folded path: Windows names ignore case
        if let node = top["files"], let list = reader.list(node, what: "files") {
            for item in list {
                guard let file = self.file(item) else { continue }
                let folded = file.path.folded
                if let first = fileNodes[folded] {
                    reader.error(
                        "duplicate file \(file.path) (first listed at \(reader.position(of: first)))", at: item)
                    continue
                }
                fileNodes[folded] = item
                image.files.append(file)
            }
        }
        let filePaths = Set(image.files.map { fold($0.path) })

        var assemblyNodes: [String: Yams.Node] = [:]
        var referenceNodes: [(name: String, node: Yams.Node, from: String)] = []
        if let node = top["assemblies"], let list = reader.list(node, what: "assemblies") {
            for item in list {
                guard let (assembly, references) = self.assembly(item, files: filePaths) else { continue }
                if let first = assemblyNodes[assembly.name] {
                    reader.error(
                        "duplicate assembly '\(assembly.name)' (first defined at \(reader.position(of: first)))",
                        at: item)
                    continue
                }
                assemblyNodes[assembly.name] = item
                referenceNodes += references.map { ($0.name, $0.node, assembly.name) }
                image.assemblies.append(assembly)
            }
        }
        let known = image.assemblies.map(\.name)
        for reference in referenceNodes where assemblyNodes[reference.name] == nil {
            reader.error(
                reader.unknownMessage("assembly", reference.name, in: "the references of \(reference.from)", known: known),
                at: reference.node)
        }
        if let node = top["native_images"] { image.nativeImages = nativeImages(node, known: known, files: filePaths) }
        if let node = top["registry"], let list = reader.list(node, what: "registry") {
            for item in list { image.registry += reader.registryKey(item) }
        }
        if let node = top["services"], let list = reader.list(node, what: "services") {
            var seen: [String: Yams.Node] = [:]
            for item in list {
                guard let service = service(item) else { continue }
                if let first = seen[service.name.lowercased()] {
                    reader.error("duplicate service '\(service.name)' (first at \(reader.position(of: first)))", at: item)
                    continue
                }
                seen[service.name.lowercased()] = item
                image.services.append(service)
            }
        }
        if let node = top["startup"], let list = reader.list(node, what: "startup") {
            image.startup = list.compactMap(startupEntry)
        }
        return image
    }

    func fold(_ path: WindowsPath) -> WindowsPath { path.folded }

    func path(_ node: Yams.Node, what: String) -> WindowsPath? {
        guard let text = reader.string(node, what: what) else { return nil }
        do { return try WindowsPath(text) } catch {
            reader.error("\(what): \(error)", at: node)
            return nil
        }
    }

    func version(_ node: Yams.Node, what: String) -> FileVersion? {
        guard let text = reader.string(node, what: what) else { return nil }
        guard let version = FileVersion(text) else {
            reader.error("\(what) must be four numbers 0...65535 such as 1.1.4322.573, not '\(text)'", at: node)
            return nil
        }
        return version
    }

    func file(_ node: Yams.Node) -> ImageFile? {
        guard let map = reader.mapping(node, what: "a file", keys: ["path", "version", "size"]) else { return nil }
        let path = reader.required("path", in: map, what: "a file").flatMap { self.path($0, what: "the file path") }
        let what = path.map { "the version of \($0.name ?? "the file")" } ?? "the file version"
        let version = reader.required("version", in: map, what: "a file").flatMap { self.version($0, what: what) }
        let size = reader.required("size", in: map, what: "a file").flatMap {
            reader.int($0, what: "the file size", in: MachineImageLoader.sizeRange)
        }
        if let path, path.components.isEmpty {
            reader.error("a file path must name a file, not the root of C:", at: map["path"]!)
            return nil
        }
        guard let path, let version, let size else { return nil }
        return ImageFile(path: path, version: version, size: size)
    }

    func assembly(
        _ node: Yams.Node, files: Set<WindowsPath>
    ) -> (AssemblyDefinition, [(name: String, node: Yams.Node)])? {
        guard let map = reader.mapping(node, what: "an assembly", keys: ["name", "file", "version", "references"]) else {
            return nil
        }
        let name = reader.required("name", in: map, what: "an assembly").flatMap { reader.string($0, what: "the assembly name") }
        let file = reader.required("file", in: map, what: "an assembly").flatMap { path($0, what: "the assembly file") }
        let version = reader.required("version", in: map, what: "an assembly").flatMap {
            self.version($0, what: "the assembly version")
        }
        if let file, !files.contains(fold(file)) {
            reader.error("the assembly file \(file) is not one of the image's files", at: map["file"]!)
        }
        var references: [(name: String, node: Yams.Node)] = []
        if let node = map["references"], let list = reader.list(node, what: "the references") {
            for item in list {
                if let reference = reader.string(item, what: "a reference") { references.append((reference, item)) }
            }
        }
        // The catalog keeps each assembly as a key under HKLM\SOFTWARE\PatchRig\Assemblies.
        if let name, let reason = RegistryKeyPath.keyNameProblem(name) {
            reader.error("assembly name: \(reason)", at: map["name"]!)
            return nil
        }
        guard let name, let file, let version else { return nil }
        return (AssemblyDefinition(name: name, file: file, version: version, references: references.map(\.name)), references)
    }

    func nativeImages(_ node: Yams.Node, known: [String], files: Set<WindowsPath>) -> NativeImageSet {
        var set = NativeImageSet()
        guard let map = reader.mapping(node, what: "native_images", keys: ["directory", "runtime", "assemblies"]) else {
            return set
        }
        if let node = map["directory"], let directory = path(node, what: "the native image directory") {
            set.directory = directory
        }
        if let node = map["runtime"], let runtime = path(node, what: "the runtime engine") {
            if files.contains(fold(runtime)) {
                set.runtime = runtime
            } else {
                reader.error("the runtime engine \(runtime) is not one of the image's files", at: node)
            }
        }
        if let node = map["assemblies"], let list = reader.list(node, what: "the assemblies with native images") {
            for item in list {
                guard let name = reader.string(item, what: "an assembly name") else { continue }
                if !known.contains(name) {
                    reader.error(reader.unknownMessage("assembly", name, in: "native_images", known: known), at: item)
                } else if set.assemblies.contains(name) {
                    reader.error("'\(name)' is listed twice in native_images", at: item)
                } else {
                    set.assemblies.append(name)
                }
            }
        }
        return set
    }

    func service(_ node: Yams.Node) -> ServiceDefinition? {
        guard let map = reader.mapping(node, what: "a service", keys: ["name", "command", "start"]) else { return nil }
        let name = reader.required("name", in: map, what: "a service").flatMap { reader.string($0, what: "the service name") }
        let command = reader.required("command", in: map, what: "a service").flatMap {
            reader.string($0, what: "the service command")
        }
        var start = ServiceStart.demand
        if let node = map["start"], let text = reader.string(node, what: "the service start") {
            if let known = ServiceStart(rawValue: text) {
                start = known
            } else {
                reader.error(reader.unknownMessage("start type", text, known: ["auto", "demand", "disabled"]), at: node)
            }
        }
        if let name, name.contains("\\") || name.contains("/") {
            reader.error("a service name cannot contain '\\' or '/'", at: map["name"]!)
            return nil
        }
        // The service is a key under HKLM\SYSTEM\CurrentControlSet\Services.
        if let name, let reason = RegistryKeyPath.keyNameProblem(name) {
            reader.error("service name: \(reason)", at: map["name"]!)
            return nil
        }
        guard let name, let command else { return nil }
        return ServiceDefinition(name: name, command: command, start: start)
    }

    func startupEntry(_ node: Yams.Node) -> StartupEntry? {
        guard let map = reader.mapping(node, what: "a startup entry", keys: ["kind", "hive", "name", "command"]) else {
            return nil
        }
        var kind: StartupEntry.Kind?
        if let node = reader.required("kind", in: map, what: "a startup entry"),
            let text = reader.string(node, what: "the startup kind")
        {
            kind = StartupEntry.Kind(rawValue: text)
            if kind == nil { reader.error(reader.unknownMessage("startup kind", text, known: ["Run", "RunOnce"]), at: node) }
        }
        var hive = StartupEntry.Hive.localMachine
        if let node = map["hive"], let text = reader.string(node, what: "the hive") {
            if let known = StartupEntry.Hive(rawValue: text) {
                hive = known
            } else {
                reader.error(reader.unknownMessage("hive", text, known: ["HKLM", "HKCU"]), at: node)
            }
        }
        let name = reader.required("name", in: map, what: "a startup entry").flatMap { reader.string($0, what: "the entry name") }
        let command = reader.required("command", in: map, what: "a startup entry").flatMap {
            reader.string($0, what: "the entry command")
        }
        // The entry is a value of the Run or RunOnce key.
        if let name, let reason = RegistryKeyPath.valueNameProblem(name) {
            reader.error("startup entry name: \(reason)", at: map["name"]!)
            return nil
        }
        guard let kind, let name, let command else { return nil }
        return StartupEntry(hive: hive, kind: kind, name: name, command: command)
    }
}
