import WinFS
import WindowsModel

/// One file a native image was built from, as it was at build time.
public struct NativeImageInput: Sendable, Equatable, Encodable {
    public var path: WindowsPath
    /// The file version its header carried; nil for a file without a simulated PE header.
    public var version: FileVersion?
    /// `ContentHash` of the whole file.
    public var hash: UInt64

    public init(path: WindowsPath, version: FileVersion?, hash: UInt64) {
        self.path = path
        self.version = version
        self.hash = hash
    }

    /// The input `path` as `digest` read it (its head holding the version header, if any).
    public init(path: WindowsPath, digest: FileDigest) {
        self.init(path: path, version: FileContent.stamp(of: digest.head)?.version, hash: digest.hash)
    }

    /// How much of an input's head `init(path:digest:)` needs: the version header's line.
    public static let headLimit = 512

    enum CodingKeys: String, CodingKey { case path, version, hash }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path.description, forKey: .path)
        try c.encodeIfPresent(version, forKey: .version)
        try c.encode(ContentHash.hex(hash), forKey: .hash)
    }
}

/// A native image (what `ngen` writes): the assembly it compiles and the content hashes of every
/// file it was built from. It is fresh only while each of those files still has that hash, so
/// servicing any assembly invalidates the images of everything that depends on it, directly or
/// not, without anyone marking them.
///
/// On disk: a readable header, then pseudo-random bytes up to `size`:
/// ```
/// PATCHRIG-NI System.Web 1.0.5000.0 size=2516582 inputs=4
/// input 1.1.4322.573 9a0c...e1 C:\Windows\Microsoft.NET\Framework\v1.1.4322\System.Web.dll
/// ...
/// end
/// ```
/// `size` lets a reader tell an image cut short (a killed `ngen`) from a complete one.
public struct NativeImage: Sendable, Equatable {
    /// The first bytes of every native image.
    public static let magic = "PATCHRIG-NI"

    public var assembly: String
    /// The assembly version compiled.
    public var version: FileVersion
    /// The assembly's own file first, then its references, then the runtime engine.
    public var inputs: [NativeImageInput]
    /// Size of the image file in bytes.
    public var size: Int

    public init(assembly: String, version: FileVersion, inputs: [NativeImageInput], size: Int) {
        self.assembly = assembly
        self.version = version
        self.inputs = inputs
        self.size = size
    }

    /// The image file's size for an assembly file of `assemblySize` bytes (native code is about
    /// twice the size of the IL it comes from).
    public static func size(forAssemblyOfSize assemblySize: Int) -> Int { assemblySize * 2 }

    /// The header text.
    var header: String {
        var text = "\(NativeImage.magic) \(assembly) \(version) size=\(size) inputs=\(inputs.count)\n"
        for input in inputs {
            text += "input \(input.version?.description ?? "-") \(ContentHash.hex(input.hash)) \(input.path)\n"
        }
        return text + "end\n"
    }

    /// The image file's contents: the header, then filler up to `size`.
    public var content: GeneratedContent { GeneratedContent(header: Array(header.utf8), size: size) }

    /// The image file's bytes.
    public var bytes: [UInt8] { content.bytes }

    /// How much of an image file holds its header, at most: inputs are one line each.
    public static let headerLimit = 1 << 16

    /// Reads an image file; throws `MachineError` saying how it is damaged.
    public init(parsing bytes: [UInt8]) throws(MachineError) {
        try self.init(parsing: Array(bytes.prefix(Self.headerLimit)), fileSize: bytes.count)
    }

    /// Reads an image file from its first `headerLimit` bytes (`head`; all of it when shorter) and
    /// its size; throws `MachineError` saying how it is damaged.
    public init(parsing head: [UInt8], fileSize: Int) throws(MachineError) {
        let bytes = head
        var lines: [Substring] = []
        var start = 0
        var headerEnd: Int?
        let limit = min(bytes.count, Self.headerLimit)
        for i in 0..<limit where bytes[i] == 0x0A {
            guard let text = String(validating: bytes[start..<i], as: UTF8.self) else {
                throw MachineError("the header is not text")
            }
            start = i + 1
            if text == "end" {
                headerEnd = start
                break
            }
            lines.append(Substring(text))
        }
        guard headerEnd != nil, let first = lines.first else {
            throw MachineError("the header is incomplete")
        }
        let fields = first.split(separator: " ")
        guard fields.count == 5, fields[0] == NativeImage.magic, let version = FileVersion(fields[2]),
            fields[3].hasPrefix("size="), let size = Int(fields[3].dropFirst(5)),
            fields[4].hasPrefix("inputs="), let count = Int(fields[4].dropFirst(7)), count == lines.count - 1
        else { throw MachineError("the header line is malformed") }
        var inputs: [NativeImageInput] = []
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 3)
            guard parts.count == 4, parts[0] == "input", let hash = UInt64(parts[2], radix: 16),
                let path = try? WindowsPath(String(parts[3]))
            else { throw MachineError("an input line is malformed: \(line)") }
            let inputVersion = parts[1] == "-" ? nil : FileVersion(parts[1])
            inputs.append(NativeImageInput(path: path, version: inputVersion, hash: hash))
        }
        guard fileSize == size else {
            throw MachineError("it holds \(fileSize) of its \(size) bytes")
        }
        self.init(assembly: String(fields[1]), version: version, inputs: inputs, size: size)
    }
}

/// Whether a native image can be used.
public enum NativeImageStatus: Sendable, Equatable, CustomStringConvertible {
    /// Every file it was built from is unchanged: the runtime uses it.
    case fresh
    /// Something it was built from changed (each reason names what); the runtime falls back to JIT.
    case stale(reasons: [String])
    /// There is no image file.
    case missing

    /// `fresh`, `stale`, `missing`.
    public var name: String {
        switch self {
        case .fresh: return "fresh"
        case .stale: return "stale"
        case .missing: return "missing"
        }
    }

    public var description: String {
        switch self {
        case .stale(let reasons): return "stale: " + reasons.joined(separator: "; ")
        default: return name
        }
    }
}

/// The status of one assembly's native image.
public struct NativeImageReport: Sendable, Equatable {
    public var assembly: String
    public var path: WindowsPath
    public var status: NativeImageStatus
    /// The image as read from disk, when it could be read.
    public var image: NativeImage?
}

/// Building native images and judging them against the files on disk.
public enum NativeImages {
    /// Compiles `assembly`: reads its file, the files of everything it references and the runtime
    /// engine, then writes the image to its place in the cache. Returns the image written.
    @discardableResult
    public static func build(
        _ assembly: String, catalog: AssemblyCatalog, files: some MachineFiles
    ) throws -> NativeImage {
        let image = try compile(assembly, catalog: catalog, files: files)
        let path = catalog.nativeImages.imagePath(for: assembly)
        if let parent = path.parent { try files.createDirectories(parent) }
        try files.writeFile(path, image.content)
        return image
    }

    /// Compiles `assembly` without writing it: reads its file, the files of everything it
    /// references and the runtime engine, and returns the image to write.
    public static func compile(
        _ assembly: String, catalog: AssemblyCatalog, files: some MachineFiles
    ) throws -> NativeImage {
        let definition = try catalog.closure(of: assembly)[0]
        var inputs: [NativeImageInput] = []
        var assemblySize = 0
        for path in try catalog.nativeImageInputs(for: assembly) {
            let digest: FileDigest
            do { digest = try files.digestFile(path, headLimit: NativeImageInput.headLimit) } catch {
                throw MachineError("ngen \(assembly): cannot read \(path): \(error)")
            }
            if path == definition.file { assemblySize = digest.count }
            inputs.append(NativeImageInput(path: path, digest: digest))
        }
        return NativeImage(
            assembly: assembly, version: definition.version, inputs: inputs,
            size: NativeImage.size(forAssemblyOfSize: assemblySize))
    }

    /// Where an image is written before it is renamed into place: `<image>.~ngen`.
    public static func temporaryPath(for path: WindowsPath) -> WindowsPath {
        path.parent!.appending((path.name ?? "") + ".~ngen")
    }

    /// Writes `image` to `path` so that a process killed at any point never leaves a partial
    /// image under `path`: the bytes go to `temporaryPath(for:)` (write, share none,
    /// CREATE_ALWAYS) in two steps, then MoveFileEx(REPLACE_EXISTING) puts it in place — an
    /// atomic rename, so `path` holds the old image or the whole new one. `step` runs each of the
    /// three steps (`write_image`, `write`, `commit_image`) as an operation of the caller with
    /// its arguments; it returns the step's error, if any, which ends the write.
    public static func write(
        _ image: NativeImage, to path: WindowsPath, root: MachineRoot,
        step: (_ op: String, _ args: [(name: String, value: String)], _ body: () throws(Win32Error) -> Void) -> Win32Error?
    ) -> Win32Error? {
        let temporary = temporaryPath(for: path)
        let content = image.content
        let half = content.count / 2
        var handle: WinFile?
        defer { handle?.close() }
        if let error = step(
            "write_image", [("path", temporary.description), ("size", String(content.count))],
            { () throws(Win32Error) in
                if let parent = path.parent { try root.createDirectories(parent) }
                let file = try root.open(temporary, access: .write, share: .none, disposition: .createAlways)
                handle = file
                try file.write(content, 0..<half)
            })
        {
            return error
        }
        guard let file = handle else { return Win32Error.invalidHandle }
        if let error = step(
            "write", [("path", temporary.description), ("offset", String(half))],
            { () throws(Win32Error) in
                try file.write(content, half..<content.count)
            })
        {
            return error
        }
        file.close()
        handle = nil
        return step(
            "commit_image", [("path", path.description), ("from", temporary.description)],
            { () throws(Win32Error) in
                try root.moveFile(temporary, to: path, flags: [.replaceExisting])
            })
    }

    /// The status of `assembly`'s native image against the files on disk now.
    ///
    /// `pendingChanges`: files a pending rename replaces, moves or deletes at the next boot. An
    /// image built from one of them is not fresh: the machine is not at rest, and the boot will
    /// change what the image was built from (seed 000: a hotfix that exits 3010 with the runtime
    /// engine's replacement queued leaves every image to go stale at the boot it asks for).
    public static func status(
        of assembly: String, catalog: AssemblyCatalog, files: some MachineFiles, pendingChanges: [WindowsPath] = []
    ) -> NativeImageReport {
        var inputs: [WindowsPath: NativeImageInput?] = [:]
        return status(of: assembly, catalog: catalog, files: files, pendingChanges: pendingChanges, inputs: &inputs)
    }

    /// `status(of:...)` with the inputs already read (nil: missing or unreadable) shared between
    /// calls.
    static func status(
        of assembly: String, catalog: AssemblyCatalog, files: some MachineFiles, pendingChanges: [WindowsPath],
        inputs seen: inout [WindowsPath: NativeImageInput?]
    ) -> NativeImageReport {
        let path = catalog.nativeImages.imagePath(for: assembly)
        guard files.exists(path) else {
            return NativeImageReport(assembly: assembly, path: path, status: .missing, image: nil)
        }
        let image: NativeImage
        do {
            // The header and the file's length are all it takes: the filler is not read.
            let head = try files.readHead(path, limit: NativeImage.headerLimit)
            image = try NativeImage(parsing: head.bytes, fileSize: head.size)
        } catch {
            return NativeImageReport(
                assembly: assembly, path: path, status: .stale(reasons: ["the image file is damaged: \(error)"]),
                image: nil)
        }
        var reasons: [String] = []
        if image.assembly != assembly {
            reasons.append("the image compiles \(image.assembly), not \(assembly)")
        }
        let pending = Set(pendingChanges.map { $0.description.lowercased() })
        for input in image.inputs {
            let name = input.path.name ?? input.path.description
            if pending.contains(input.path.description.lowercased()) {
                reasons.append("\(name) is to be replaced at the next boot (a pending rename)")
            }
            if seen[input.path] == nil {
                seen[input.path] =
                    files.exists(input.path)
                    ? (try? files.digestFile(input.path, headLimit: NativeImageInput.headLimit)).map {
                        NativeImageInput(path: input.path, digest: $0)
                    } : nil
            }
            guard let now = seen[input.path] ?? nil else {
                reasons.append("\(name) is gone since the image was built")
                continue
            }
            if now.hash != input.hash {
                let was = input.version?.description ?? "?"
                let version = now.version?.description ?? "?"
                let change = was == version ? "same version \(was), other contents" : "\(was) -> \(version)"
                reasons.append("\(name) changed since the image was built (\(change))")
            }
        }
        // An assembly that now references something the image was not built against.
        if let current = try? catalog.nativeImageInputs(for: assembly) {
            let recorded = Set(image.inputs.map(\.path))
            for path in current where !recorded.contains(path) {
                reasons.append("the image was not built against \(path.name ?? path.description), which it now depends on")
            }
        } else {
            reasons.append("\(assembly) or one of its references is no longer installed")
        }
        return NativeImageReport(
            assembly: assembly, path: path, status: reasons.isEmpty ? .fresh : .stale(reasons: reasons), image: image)
    }

    /// The status of every native image the catalog lists, in catalog order.
    public static func statusOfAll(
        catalog: AssemblyCatalog, files: some MachineFiles, pendingChanges: [WindowsPath] = []
    ) -> [NativeImageReport] {
        // The images share their inputs (mscorwks.dll, mscorlib.dll): read and hash each once.
        var seen: [WindowsPath: NativeImageInput?] = [:]
        return catalog.nativeImages.assemblies.map {
            status(of: $0, catalog: catalog, files: files, pendingChanges: pendingChanges, inputs: &seen)
        }
    }
}
