/// Where NetFxUpdate's post-reboot work lives, in both of its eras.
///
/// * RunOnce era: a value `NetFxUpdate_<patch id>` under HKLM `RunOnce` whose data is the command
///   `C:\Windows\Microsoft.NET\Framework\v1.1.4322\netfxupdate.exe /ngen:A,B` (plus `/gac:P,Q` on
///   Windows 9x). It runs only when an administrator logs on.
/// * Service era: the service `HKLM\SYSTEM\CurrentControlSet\Services\NetFxUpdate` (auto-start,
///   `ImagePath` = `netfxupdate.exe /service`) reads its work from the protected value
///   `HKLM\SOFTWARE\Microsoft\.NETFramework\NetFxUpdate` `Work` (REG_MULTI_SZ, one item each:
///   `ngen <Assembly>` or `gac <Windows path>`), and removes its own registration when the work
///   is done.
public enum NetFxUpdateKeys {
    /// The program, `C:\Windows\Microsoft.NET\Framework\v1.1.4322\netfxupdate.exe`.
    public static let program = FrameworkLayout.netFxUpdate
    /// `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce`
    public static let runOnce = WindowsKeys.startup(.localMachine, .runOnce)
    /// `HKLM\SYSTEM\CurrentControlSet\Services\NetFxUpdate`
    public static let service = WindowsKeys.services.appending(serviceName)
    /// The service's key name.
    public static let serviceName = "NetFxUpdate"
    /// `HKLM\SOFTWARE\Microsoft\.NETFramework\NetFxUpdate`, the protected work store.
    public static let work = WindowsKeys.software(.localMachine).appending("Microsoft\\.NETFramework\\NetFxUpdate")
    /// The REG_MULTI_SZ value of `work` holding the items.
    public static let workValue = "Work"
    /// The service's `ImagePath`: `<program> /service`.
    public static let serviceCommand = "\(program) /service"

    /// The RunOnce value name for patch `id`: `NetFxUpdate_<id>`.
    public static func runOnceValueName(patch id: String) -> String { "NetFxUpdate_\(id)" }

    /// The RunOnce-era command line: `<program> /ngen:A,B` and, when there is GAC work,
    /// ` /gac:P,Q`; ` /lock` when the pass holds the install mutex while it works.
    public static func runOnceCommand(ngen: [String], gac: [WindowsPath] = [], lock: Bool = false) -> String {
        var line = program.description
        if !ngen.isEmpty { line += " /ngen:" + ngen.joined(separator: ",") }
        if !gac.isEmpty { line += " /gac:" + gac.map(\.description).joined(separator: ",") }
        if lock { line += " /lock" }
        return line
    }
}

/// A malformed NetFxUpdate command line or work item, saying what was wrong.
public struct NetFxUpdateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One unit of post-reboot work.
public enum NetFxUpdateWorkItem: Sendable, Hashable, CustomStringConvertible {
    /// Regenerate the native image of this assembly (and of what depends on it).
    case ngen(String)
    /// Install this file into the global assembly cache (Windows 9x: Fusion cannot queue it).
    case gac(WindowsPath)

    /// Reads a `Work` string: `ngen <Assembly>` or `gac <Windows path>` (the keyword in any case).
    public init(parsing text: String) throws(NetFxUpdateError) {
        let trimmed = text.trimmed
        guard let space = trimmed.firstIndex(of: " ") else {
            throw NetFxUpdateError("work item '\(text)': expected 'ngen <Assembly>' or 'gac <Windows path>'")
        }
        let verb = trimmed[..<space].lowercased()
        let operand = trimmed[trimmed.index(after: space)...].trimmed
        guard !operand.isEmpty else {
            throw NetFxUpdateError("work item '\(text)': nothing after '\(verb)'")
        }
        switch verb {
        case "ngen":
            self = .ngen(operand)
        case "gac":
            do { self = .gac(try WindowsPath(operand)) } catch {
                throw NetFxUpdateError("work item '\(text)': \(error)")
            }
        default:
            throw NetFxUpdateError("work item '\(text)': unknown kind '\(verb)' (expected ngen or gac)")
        }
    }

    /// The `Work` string: `ngen System.Web`, `gac C:\...`.
    public var description: String {
        switch self {
        case .ngen(let assembly): "ngen \(assembly)"
        case .gac(let path): "gac \(path)"
        }
    }
}

/// A parsed `netfxupdate.exe` command line.
///
/// Switches start with `/` or `-`, in any case: `/service` (run as the service), `/ngen:A,B`
/// (assemblies), `/gac:P,Q` (files for the GAC). Lists are separated by commas or semicolons.
/// Other switches (`/q`, `/quiet`, ...) are kept in `ignored`: the service reads older patches'
/// command lines heuristically, and a switch it does not know does not stop it from doing the
/// work it recognises.
public struct NetFxUpdateCommand: Sendable, Equatable {
    /// `/service` was given.
    public var service: Bool
    /// `/lock`: hold the install mutex (`_MSIExecute`) for the whole pass, so no installation
    /// overlaps it.
    public var lock: Bool = false
    /// The work, in command-line order: ngen items, then GAC items as they appear.
    public var work: [NetFxUpdateWorkItem]
    /// Arguments that were not understood.
    public var ignored: [String]

    /// Parses the arguments after the program name. Throws for a `/ngen:` or `/gac:` switch with
    /// an empty list or a path that cannot name a file on the machine.
    public init(arguments: [String]) throws(NetFxUpdateError) {
        service = false
        work = []
        ignored = []
        for argument in arguments {
            guard let first = argument.first, first == "/" || first == "-" else {
                ignored.append(argument)
                continue
            }
            let body = argument.dropFirst()
            let colon = body.firstIndex(of: ":")
            let name = (colon.map { body[..<$0] } ?? body).lowercased()
            let list = colon.map { body[body.index(after: $0)...] }.map(Self.items) ?? []
            switch name {
            case "service":
                service = true
            case "lock":
                lock = true
            case "ngen":
                guard !list.isEmpty else { throw NetFxUpdateError("'\(argument)': no assembly after /ngen:") }
                for assembly in list where !work.contains(.ngen(assembly)) { work.append(.ngen(assembly)) }
            case "gac":
                guard !list.isEmpty else { throw NetFxUpdateError("'\(argument)': no file after /gac:") }
                for text in list {
                    let path: WindowsPath
                    do { path = try WindowsPath(text) } catch { throw NetFxUpdateError("'\(argument)': \(error)") }
                    if !work.contains(.gac(path)) { work.append(.gac(path)) }
                }
            default:
                ignored.append(argument)
            }
        }
    }

    /// Parses a whole command line (the program first), as stored in RunOnce or `ImagePath`.
    public init(commandLine: String) throws(NetFxUpdateError) {
        try self.init(arguments: BootCommand(commandLine).arguments)
    }

    /// The assemblies of the ngen items, in order.
    public var assemblies: [String] {
        work.compactMap { if case .ngen(let name) = $0 { name } else { nil } }
    }

    /// The files of the GAC items, in order.
    public var gacFiles: [WindowsPath] {
        work.compactMap { if case .gac(let path) = $0 { path } else { nil } }
    }

    static func items(_ text: Substring) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == ";" }).map(\.trimmed).filter { !$0.isEmpty }
    }
}
