import Registry
import WinFS

// Reads the delayed renames queued on a machine, for `rig machine show`. To be replaced by the
// machine's `PendingRenameStore` (`pendingRenameStore(for:)`) when it is available.
extension MachineDirectory {
    /// `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`
    static let sessionManager = RegistryKeyPath(
        root: .localMachine, components: ["SYSTEM", "CurrentControlSet", "Control", "Session Manager"])

    /// The renames queued for the next boot, in queued order: PendingFileRenameOperations on the
    /// NT profile, `C:\Windows\wininit.ini [rename]` on the Windows 9x profile.
    public func pendingRenames() throws -> [PendingRename] {
        switch try profile() {
        case .nt: return try ntPendingRenames()
        case .win9x: return try wininitRenames()
        }
    }

    /// REG_MULTI_SZ pairs (source, destination): `\??\` paths, an empty destination deletes the
    /// source, a `!` before the destination replaces an existing file.
    func ntPendingRenames() throws -> [PendingRename] {
        guard let value = try registry().value(Self.sessionManager, "PendingFileRenameOperations") else { return [] }
        guard case .multiString(let strings) = value else {
            throw MachineError("PendingFileRenameOperations is \(value.type), not REG_MULTI_SZ")
        }
        var renames: [PendingRename] = []
        var index = 0
        while index + 1 < strings.count {
            let source = try WindowsPath(strings[index])
            var destination = Substring(strings[index + 1])
            let replace = destination.hasPrefix("!")
            if replace { destination = destination.dropFirst() }
            renames.append(
                PendingRename(
                    source: source, destination: destination.isEmpty ? nil : try WindowsPath(String(destination)),
                    replaceExisting: replace))
            index += 2
        }
        return renames
    }

    /// `[rename]` lines `DESTINATION=SOURCE` (`NUL=SOURCE` deletes); Windows 9x replaces existing
    /// destinations.
    func wininitRenames() throws -> [PendingRename] {
        let path = WindowsPath(components: ["Windows", "wininit.ini"])
        guard files.exists(path) else { return [] }
        let text = String(decoding: try files.readFile(path), as: UTF8.self)
        var inRename = false
        var renames: [PendingRename] = []
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = String(raw).trimmingASCIIWhitespace
            if line.hasPrefix("[") {
                inRename = line.lowercased() == "[rename]"
                continue
            }
            guard inRename, !line.isEmpty, !line.hasPrefix(";"), let equals = line.firstIndex(of: "=") else { continue }
            let destination = String(line[..<equals])
            let source = try WindowsPath(String(line[line.index(after: equals)...]))
            renames.append(
                PendingRename(
                    source: source, destination: destination.uppercased() == "NUL" ? nil : try WindowsPath(destination),
                    replaceExisting: true))
        }
        return renames
    }
}
