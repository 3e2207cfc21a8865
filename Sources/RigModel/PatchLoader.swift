import Foundation
import WindowsModel
import Yams

/// Decodes a patch (`Rigs/patches/*.yaml`) into a `Patch`.
///
/// ```yaml
/// patch: KB886903                      # the id: names the package, the registry record, RunOnce
/// description: ASP.NET 1.1 hotfix
/// era: runonce                         # or service: how post-reboot work is scheduled
/// product: .NETFramework\1.1           # recorded under HKLM\SOFTWARE\Microsoft\Updates\<product>\<id>
/// files:                               # replaced in this order
///   - {path: C:\Windows\Microsoft.NET\Framework\v1.1.4322\System.Web.dll, version: 1.1.4322.2037, size: 1261568}
///   - {path: C:\Program Files\App\app.exe, version: 1.0.0.0, size: 65536, adds: true}   # a new file
/// ngen: [System.Web]                   # assemblies whose native images are regenerated (+ dependents)
/// gac: [C:\Windows\Microsoft.NET\Framework\v1.1.4322\System.Web.dll]   # each one of the files
/// registry:                            # set when installed (same form as in machine images)
///   - key: HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v1.1.4322
///     values: {SP: {dword: 1}}
/// ```
/// Every problem is reported with `file:line:column`, all of them in one `RigErrors`.
public enum PatchLoader {
    /// The keys of a patch file's top level.
    public static let topKeys = ["patch", "description", "era", "ngen_lock", "product", "files", "ngen", "gac", "registry"]

    /// Reads and decodes the patch file at `path`.
    public static func load(file path: String) throws(RigErrors) -> Patch {
        try loadDocument(file: path).patch
    }

    /// Reads and decodes the patch file at `path`, keeping where each part was written.
    public static func loadDocument(file path: String) throws(RigErrors) -> PatchDocument {
        try decodeDocument(YAMLSupport.readText(file: path, what: "patch file"), file: path)
    }

    /// Decodes patch text; `file` is the name used in error positions.
    public static func decode(_ text: String, file: String) throws(RigErrors) -> Patch {
        try decodeDocument(text, file: file).patch
    }

    /// Decodes patch text, keeping positions.
    public static func decodeDocument(_ text: String, file: String) throws(RigErrors) -> PatchDocument {
        let root: Yams.Node?
        do { root = try YAMLSupport.compose(text, file: file) } catch { throw RigErrors([error]) }
        guard let root else {
            throw RigErrors([
                RigError(
                    "the patch file is empty; it needs at least 'patch' and 'files'", at: SourcePosition(file: file, line: 1, column: 1))
            ])
        }
        let decoder = PatchDecoder(file: file)
        let document = decoder.decode(root)
        if !decoder.reader.errors.isEmpty { throw RigErrors(decoder.reader.sortedErrors) }
        return document
    }

    /// Checks a patch against the machine image it is meant for: every file it replaces must be
    /// one of the image's files (a file it adds must not be), no file may go back to an older
    /// version than the image's, and every assembly it regenerates must be one of the image's.
    /// Each problem is a `RigError` at the patch entry concerned; empty when the patch fits.
    public static func check(_ document: PatchDocument, against image: MachineImage) -> [RigError] {
        var errors: [RigError] = []
        let imageFiles = Dictionary(image.files.map { ($0.path.foldedForComparison, $0) }, uniquingKeysWith: { a, _ in a })
        for (file, position) in zip(document.patch.files, document.filePositions) {
            let existing = imageFiles[file.path.foldedForComparison]
            if file.adds {
                if existing != nil {
                    errors.append(
                        RigError(
                            "the patch adds \(file.path), which image '\(image.name)' already has (write it without 'adds')", at: position))
                }
            } else if let existing {
                if file.version < existing.version {
                    errors.append(
                        RigError(
                            "the patch would take \(file.path.name ?? "") back from \(existing.version) to \(file.version)", at: position))
                }
            } else {
                errors.append(
                    RigError(
                        "the patch replaces \(file.path), which image '\(image.name)' does not have (a new file needs 'adds: true')",
                        at: position))
            }
        }
        let known = image.assemblies.map(\.name)
        for (name, position) in zip(document.patch.ngen, document.ngenPositions) where !known.contains(name) {
            errors.append(
                RigError(
                    "the patch regenerates native images of '\(name)', which is not an assembly of image '\(image.name)' (assemblies: \(known.joined(separator: ", ")))",
                    at: position))
        }
        return errors
    }
}

/// A decoded patch with the positions of its parts in the patch file.
public struct PatchDocument: Sendable {
    public var patch: Patch
    /// The patch file's name, as used in positions.
    public var file: String
    /// Where each of `patch.files` is written.
    public var filePositions: [SourcePosition]
    /// Where each of `patch.ngen` is written.
    public var ngenPositions: [SourcePosition]
}

/// One pass over a patch tree, recording every problem in `reader`.
private final class PatchDecoder {
    let reader: YAMLReader
    init(file: String) { reader = YAMLReader(file: file) }

    func decode(_ root: Yams.Node) -> PatchDocument {
        var document = PatchDocument(patch: Patch(id: ""), file: reader.file, filePositions: [], ngenPositions: [])
        guard let top = reader.mapping(root, what: "the patch", keys: PatchLoader.topKeys) else { return document }
        var patch = Patch(id: "")
        if let node = reader.required("patch", in: top, what: "the patch"), let id = reader.string(node, what: "the patch id") {
            if Patch.isValidID(id) {
                patch.id = id
            } else {
                reader.error("the patch id '\(id)' must be 1 to 64 letters, digits, '.', '-' or '_'", at: node)
            }
        }
        if let node = top["description"], let text = reader.string(node, what: "the description") { patch.description = text }
        if let node = reader.required("era", in: top, what: "the patch"), let text = reader.string(node, what: "the era") {
            if let era = PatchEra(rawValue: text) {
                patch.era = era
            } else {
                reader.error(reader.unknownMessage("era", text, known: PatchEra.allCases.map(\.rawValue)), at: node)
            }
        }
        if let node = top["ngen_lock"], let lock = reader.bool(node, what: "ngen_lock") { patch.ngenLock = lock }
        if let node = top["product"], let text = reader.string(node, what: "the product") {
            let parts = text.split(separator: "\\", omittingEmptySubsequences: false)
            if let reason = parts.lazy.compactMap({ RegistryKeyPath.keyNameProblem($0) }).first {
                reader.error("the product must be key names separated by '\\' (e.g. .NETFramework\\1.1): \(reason)", at: node)
            } else {
                patch.product = text
            }
        }
        var seen: [WindowsPath: Yams.Node] = [:]
        if let node = reader.required("files", in: top, what: "the patch"), let list = reader.list(node, what: "files") {
            if list.isEmpty { reader.error("a patch needs at least one file", at: node) }
            for item in list {
                guard let file = file(item) else { continue }
                let folded = file.path.foldedForComparison
                if let first = seen[folded] {
                    reader.error("duplicate file \(file.path) (first listed at \(reader.position(of: first)))", at: item)
                    continue
                }
                seen[folded] = item
                patch.files.append(file)
                document.filePositions.append(reader.position(of: item))
            }
        }
        if let node = top["ngen"], let list = reader.list(node, what: "ngen") {
            for item in list {
                guard let name = reader.string(item, what: "an assembly name") else { continue }
                if patch.ngen.contains(name) {
                    reader.error("'\(name)' is listed twice in ngen", at: item)
                    continue
                }
                patch.ngen.append(name)
                document.ngenPositions.append(reader.position(of: item))
            }
        }
        if let node = top["gac"], let list = reader.list(node, what: "gac") {
            for item in list {
                guard let path = path(item, what: "a GAC install") else { continue }
                guard seen[path.foldedForComparison] != nil else {
                    reader.error("the GAC install \(path) is not one of the patch's files", at: item)
                    continue
                }
                patch.gac.append(path)
            }
        }
        if let node = top["registry"], let list = reader.list(node, what: "registry") {
            for item in list { patch.registry += reader.registryKey(item) }
        }
        document.patch = patch
        return document
    }

    func path(_ node: Yams.Node, what: String) -> WindowsPath? {
        guard let text = reader.string(node, what: what) else { return nil }
        do { return try WindowsPath(text) } catch {
            reader.error("\(what): \(error)", at: node)
            return nil
        }
    }

    func file(_ node: Yams.Node) -> PatchFile? {
        guard let map = reader.mapping(node, what: "a file", keys: ["path", "version", "size", "adds"]) else { return nil }
        let path = reader.required("path", in: map, what: "a file").flatMap { self.path($0, what: "the file path") }
        var version: FileVersion?
        if let node = reader.required("version", in: map, what: "a file"), let text = reader.string(node, what: "the file version") {
            version = FileVersion(text)
            if version == nil {
                reader.error("the file version must be four numbers 0...65535 such as 1.1.4322.2032, not '\(text)'", at: node)
            }
        }
        let size = reader.required("size", in: map, what: "a file").flatMap {
            reader.int($0, what: "the file size", in: MachineImageLoader.sizeRange)
        }
        let adds = map["adds"].flatMap { reader.bool($0, what: "adds") } ?? false
        if let path, path.components.isEmpty {
            reader.error("a file path must name a file, not the root of C:", at: map["path"]!)
            return nil
        }
        guard let path, let version, let size else { return nil }
        return PatchFile(path: path, version: version, size: size, adds: adds)
    }

}
