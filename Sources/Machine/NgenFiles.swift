import WinFS
import WindowsModel

/// `MachineFiles` through WinFS handles, the way a process of the machine reads and writes: each
/// read opens the file for read with share read only (as ngen opens the assemblies it compiles),
/// so a process holding the file for write makes the read fail with ERROR_SHARING_VIOLATION (32),
/// and a writer arriving while the read is under way is refused in turn. Each write opens the
/// file for write, share none, CREATE_ALWAYS.
///
/// Directory operations (create, list, exists) have no share-mode part on Windows either and go
/// to `MachineRoot` directly.
public struct HandleFiles: MachineFiles {
    /// The machine.
    public let root: MachineRoot

    public init(root: MachineRoot) { self.root = root }

    /// Opens `path` (read, share read), reads it whole and closes the handle.
    public func readFile(_ path: WindowsPath) throws -> [UInt8] {
        let file = try root.open(path, access: .read, share: .read)
        defer { file.close() }
        return try file.readToEnd()
    }

    /// `readFile`'s open, then the first `limit` bytes and the size.
    public func readHead(_ path: WindowsPath, limit: Int) throws -> (bytes: [UInt8], size: Int) {
        let file = try root.open(path, access: .read, share: .read)
        defer { file.close() }
        return (try file.read(upTo: limit), Int(try file.identity().size))
    }

    /// `readFile`'s open, then the file read to its end a chunk at a time.
    public func digestFile(_ path: WindowsPath, headLimit: Int) throws -> FileDigest {
        let file = try root.open(path, access: .read, share: .read)
        defer { file.close() }
        return try file.digestToEnd(headLimit: headLimit)
    }

    /// Opens `path` (write, share none, CREATE_ALWAYS), writes `bytes` and closes the handle. A
    /// process killed part-way leaves a short file, which readers of native images recognise.
    public func writeFile(_ path: WindowsPath, _ bytes: [UInt8]) throws {
        let file = try root.open(path, access: .write, share: .none, disposition: .createAlways)
        defer { file.close() }
        try file.write(bytes)
    }

    /// `writeFile` of generated content, a chunk at a time.
    public func writeFile(_ path: WindowsPath, _ content: GeneratedContent) throws {
        let file = try root.open(path, access: .write, share: .none, disposition: .createAlways)
        defer { file.close() }
        try file.write(content, 0..<content.count)
    }

    public func createDirectories(_ path: WindowsPath) throws { try root.createDirectories(path) }
    public func exists(_ path: WindowsPath) -> Bool { root.exists(path) }
    public func list(_ path: WindowsPath) throws -> [String] { try root.list(path) }
    public func isDirectory(_ path: WindowsPath) -> Bool { root.isDirectory(path) }
}

/// What `ngen` is asked to do.
public enum NgenAction: String, Sendable, CaseIterable {
    /// Builds the named images, whatever their state.
    case install
    /// Builds only the named images that are stale or missing.
    case update
}

/// Which native images an `ngen` run builds.
public enum NgenPlan {
    /// The assemblies an `assemblies` parameter names: `all` is every assembly with a native image
    /// in the catalog, in catalog order; otherwise a comma list (spaces around names ignored,
    /// empty names and repeats dropped, order kept).
    public static func requested(_ text: String, catalog: AssemblyCatalog) -> [String] {
        if text.trimmed == "all" { return catalog.nativeImages.assemblies }
        var result: [String] = []
        for part in text.split(separator: ",") {
            let name = part.trimmed
            if !name.isEmpty && !result.contains(name) { result.append(name) }
        }
        return result
    }

    /// `names`, then every assembly with a native image that references one of them directly or
    /// indirectly (in catalog order): servicing an assembly invalidates the images of everything
    /// that depends on it, so all of them are regenerated. Names the catalog does not know stay in
    /// the list (ngen reports them as failures).
    public static func withDependents(_ names: [String], catalog: AssemblyCatalog) -> [String] {
        var result: [String] = []
        for name in names where !result.contains(name) { result.append(name) }
        let changed = Set(names)
        for candidate in catalog.nativeImages.assemblies where !result.contains(candidate) {
            guard let closure = try? catalog.closure(of: candidate) else { continue }
            if closure.contains(where: { changed.contains($0.name) }) { result.append(candidate) }
        }
        return result
    }

    /// Of `names`, those whose native image is not fresh against the files now (stale or missing),
    /// judged by reading through `files`.
    public static func needingUpdate(
        _ names: [String], catalog: AssemblyCatalog, files: some MachineFiles
    ) -> [String] {
        names.filter { NativeImages.status(of: $0, catalog: catalog, files: files).status != .fresh }
    }
}
