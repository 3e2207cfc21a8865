import WinFS
import WindowsModel

/// The package file of a patch on the machine (`C:\Windows\Installer\<id>.msp`): a line-based
/// text manifest the Foundation-free installer reads. Payload bytes are not in it: they are
/// `FileContent.bytes(name:version:size:)`, deterministic from the manifest.
///
/// Lines end with LF; fields are separated by one TAB (no field may contain a TAB or a line
/// break: Windows paths cannot, and the encoder turns them into spaces in free text):
/// ```
/// PATCHRIG-MSP	1
/// id	KB886903
/// description	ASP.NET 1.1 hotfix ...
/// era	runonce
/// product	.NETFramework\1.1
/// file	replace	1.1.4322.2037	1261568	C:\Windows\Microsoft.NET\Framework\v1.1.4322\System.Web.dll
/// file	add	2.0.50727.42	2101248	C:\Windows\Microsoft.NET\Framework\v2.0.50727\mscorwks.dll
/// ngen	System.Web
/// gac	C:\Windows\Microsoft.NET\Framework\v1.1.4322\System.Web.dll
/// value	HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v1.1.4322	SP	dword	1
/// value	HKLM\SOFTWARE\X	Name	sz	text
/// value	HKLM\SOFTWARE\X	List	multi_sz	first	second
/// key	HKLM\SOFTWARE\Y
/// end
/// ```
/// `end` is required: a package cut short is refused rather than half applied.
public enum PatchPackage {
    /// The first line's keyword.
    public static let magic = "PATCHRIG-MSP"
    /// The format version written and understood.
    public static let formatVersion = 1

    /// The package text of `patch`.
    public static func encode(_ patch: Patch) -> String {
        var lines: [[String]] = [[magic, String(formatVersion)]]
        lines.append(["id", patch.id])
        if !patch.description.isEmpty { lines.append(["description", clean(patch.description)]) }
        lines.append(["era", patch.era.rawValue])
        if patch.ngenLock { lines.append(["ngen_lock"]) }
        if !patch.product.isEmpty { lines.append(["product", patch.product]) }
        for file in patch.files {
            lines.append(["file", file.adds ? "add" : "replace", file.version.description, String(file.size), file.path.description])
        }
        for assembly in patch.ngen { lines.append(["ngen", assembly]) }
        for path in patch.gac { lines.append(["gac", path.description]) }
        for value in patch.registry {
            guard let data = value.data else {
                lines.append(["key", value.key.description])
                continue
            }
            var line = ["value", value.key.description, clean(value.name)]
            switch data {
            case .string(let text): line += ["sz", clean(text)]
            case .dword(let number): line += ["dword", String(number)]
            case .multiString(let strings): line += ["multi_sz"] + strings.map(clean)
            }
            lines.append(line)
        }
        lines.append(["end"])
        return lines.map { $0.joined(separator: "\t") + "\n" }.joined()
    }

    /// The package bytes of `patch` (UTF-8 of `encode`).
    public static func bytes(_ patch: Patch) -> [UInt8] { Array(encode(patch).utf8) }

    /// Reads package text; throws `PatchPackageError` naming the line and what is wrong.
    public static func decode(_ text: String) throws(PatchPackageError) -> Patch {
        var patch = Patch(id: "")
        var sawMagic = false
        var sawEnd = false
        var sawEra = false
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = raw
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.isEmpty {
                continue
            }
            if sawEnd { throw PatchPackageError(line: lineNumber, "text after 'end'") }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let keyword = fields[0]
            func need(_ count: Int) throws(PatchPackageError) {
                guard fields.count == count else {
                    throw PatchPackageError(line: lineNumber, "'\(keyword)' takes \(count - 1) field(s), not \(fields.count - 1)")
                }
            }
            func path(_ text: String) throws(PatchPackageError) -> WindowsPath {
                do { return try WindowsPath(text) } catch {
                    throw PatchPackageError(line: lineNumber, "\(error)")
                }
            }
            func key(_ text: String) throws(PatchPackageError) -> RegistryKeyPath {
                do { return try RegistryKeyPath(text) } catch {
                    throw PatchPackageError(line: lineNumber, "\(error)")
                }
            }
            if !sawMagic {
                guard keyword == magic, fields.count == 2 else {
                    throw PatchPackageError(line: lineNumber, "not a patch package (it must start with \(magic))")
                }
                guard fields[1] == String(formatVersion) else {
                    throw PatchPackageError(line: lineNumber, "package format \(fields[1]) is not understood (only \(formatVersion))")
                }
                sawMagic = true
                continue
            }
            switch keyword {
            case "id":
                try need(2)
                guard Patch.isValidID(fields[1]) else {
                    throw PatchPackageError(line: lineNumber, "'\(fields[1])' is not a patch id (letters, digits, '.', '-', '_')")
                }
                patch.id = fields[1]
            case "description":
                try need(2)
                patch.description = fields[1]
            case "era":
                try need(2)
                guard let era = PatchEra(rawValue: fields[1]) else {
                    throw PatchPackageError(line: lineNumber, "unknown era '\(fields[1])' (runonce or service)")
                }
                patch.era = era
                sawEra = true
            case "ngen_lock":
                patch.ngenLock = true
            case "product":
                try need(2)
                patch.product = fields[1]
            case "file":
                try need(5)
                guard fields[1] == "add" || fields[1] == "replace" else {
                    throw PatchPackageError(line: lineNumber, "a file is 'add' or 'replace', not '\(fields[1])'")
                }
                guard let version = FileVersion(fields[2]) else {
                    throw PatchPackageError(line: lineNumber, "'\(fields[2])' is not a file version")
                }
                guard let size = Int(fields[3]), size > 0 else {
                    throw PatchPackageError(line: lineNumber, "'\(fields[3])' is not a file size")
                }
                let target = try path(fields[4])
                guard target.name != nil else { throw PatchPackageError(line: lineNumber, "a file cannot be the drive root") }
                patch.files.append(PatchFile(path: target, version: version, size: size, adds: fields[1] == "add"))
            case "ngen":
                try need(2)
                patch.ngen.append(fields[1])
            case "gac":
                try need(2)
                patch.gac.append(try path(fields[1]))
            case "key":
                try need(2)
                patch.registry.append(RegistryValueDefinition(key: try key(fields[1]), name: "", data: nil))
            case "value":
                guard fields.count >= 4 else {
                    throw PatchPackageError(line: lineNumber, "'value' needs a key, a name, a type and data")
                }
                let data: RegistryValue
                switch fields[3] {
                case "sz":
                    try need(5)
                    data = .string(fields[4])
                case "dword":
                    try need(5)
                    guard let number = UInt32(fields[4]) else {
                        throw PatchPackageError(line: lineNumber, "'\(fields[4])' is not a REG_DWORD")
                    }
                    data = .dword(number)
                case "multi_sz":
                    data = .multiString(Array(fields.dropFirst(4)))
                default:
                    throw PatchPackageError(line: lineNumber, "unknown value type '\(fields[3])' (sz, dword, multi_sz)")
                }
                patch.registry.append(RegistryValueDefinition(key: try key(fields[1]), name: fields[2], data: data))
            case "end":
                try need(1)
                sawEnd = true
            default:
                throw PatchPackageError(line: lineNumber, "unknown line '\(keyword)'")
            }
        }
        guard sawMagic else { throw PatchPackageError(line: 1, "the package is empty") }
        guard sawEnd else { throw PatchPackageError(line: lineNumber, "the package is cut short (no 'end' line)") }
        guard !patch.id.isEmpty else { throw PatchPackageError(line: lineNumber, "the package has no 'id'") }
        guard sawEra else { throw PatchPackageError(line: lineNumber, "the package has no 'era'") }
        return patch
    }

    /// Reads the package at `path` on the machine through a handle (read, share read), as
    /// msiexec opens a package.
    public static func read(_ path: WindowsPath, root: MachineRoot) throws -> Patch {
        let file = try root.open(path, access: .read, share: .read)
        defer { file.close() }
        let bytes = try file.readToEnd()
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PatchPackageError(line: 1, "the package is not UTF-8 text")
        }
        return try decode(text)
    }

    /// Stages `patch` on the machine: writes `C:\Windows\Installer\<id>.msp` (creating the
    /// directory), replacing an older staging of the same id. Returns the package path.
    @discardableResult
    public static func stage(_ patch: Patch, root: MachineRoot) throws -> WindowsPath {
        try root.createDirectories(Patch.installerDirectory)
        try root.writeFile(patch.packagePath, bytes(patch))
        return patch.packagePath
    }

    /// Free text on one line without TABs.
    static func clean(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }
}

/// A package that cannot be read: the line and what is wrong.
public struct PatchPackageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }
    /// `line 3: unknown era 'boot' (runonce or service)`
    public var description: String { "line \(line): \(message)" }
}
