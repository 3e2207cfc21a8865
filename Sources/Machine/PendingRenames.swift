import Host
import Registry
import WinFS
import WindowsModel

/// The machine's queue of renames and deletions for the next boot (MoveFileEx with
/// MOVEFILE_DELAY_UNTIL_REBOOT): PendingFileRenameOperations on the NT profile,
/// `C:\Windows\wininit.ini [rename]` on the Windows 9x profile.
///
/// `rig fs move --delay-until-reboot` and `rig fs pending` use this.
/// `registry`: a connection to the machine's registry to use (nil: one of its own).
public func pendingRenameStore(for root: MachineRoot, registry: Registry? = nil) throws -> any PendingRenameStore {
    try pendingRenameQueue(for: root, registry: registry)
}

/// The machine's pending-rename queue with what Session Manager needs at boot.
public func pendingRenameQueue(for root: MachineRoot, registry: Registry? = nil) throws -> any PendingRenameQueue {
    switch try machineProfile(of: root) {
    case .nt: return RegistryPendingRenames(registry: try registry ?? Registry(machineDirectory: root.path))
    case .win9x: return try WininitPendingRenames(root: root, registry: registry)
    }
}

/// The profile written in `<machine>/profile` (`nt` or `win9x`); a machine without the file is NT.
public func machineProfile(of root: MachineRoot) throws(MachineError) -> MachineProfile {
    let bytes: [UInt8]
    do { bytes = try HostFiles.readFile("profile", inDirectory: root.descriptor) } catch {
        if error.isNotFound { return .nt }
        throw MachineError("\(root.path)/profile: \(error.message)")
    }
    let text = String(decoding: bytes, as: UTF8.self).trimmed
    guard let profile = MachineProfile(rawValue: text) else {
        throw MachineError("\(root.path)/profile: unknown profile '\(text)' (expected nt or win9x)")
    }
    return profile
}

/// One queued item as stored: a rename or deletion, or something Session Manager cannot use
/// (it logs and skips it, as Windows does).
public enum PendingRenameEntry: Sendable, Equatable, CustomStringConvertible {
    case rename(PendingRename)
    /// What was stored and why it cannot be applied.
    case malformed(text: String, reason: String)

    public var description: String {
        switch self {
        case .rename(let rename): rename.description
        case .malformed(let text, let reason): "'\(text)': \(reason)"
        }
    }
}

/// A pending-rename queue as Session Manager works through it at boot.
///
/// Session Manager applies the entries in order and keeps the queue until it is done, so a boot
/// cut short leaves the work to redo. Its progress (how many entries are applied) is recorded
/// beside the queue after each entry, so the next boot resumes after the last applied one and a
/// boot killed at any point, then booted again, leaves the same machine as one uninterrupted boot.
public protocol PendingRenameQueue: PendingRenameStore {
    /// Where the queue lives, for messages: the registry value or the ini file section.
    var location: String { get }
    /// Every stored entry in queued order, including those that cannot be applied.
    func entries() throws -> [PendingRenameEntry]
    /// How many entries an interrupted boot already applied (0 when none).
    func appliedCount() throws -> Int
    /// Records that the first `count` entries are applied.
    func recordApplied(_ count: Int) throws
    /// Removes the first `count` entries (all processed) and the progress record: NT deletes them
    /// from the value (and the value when nothing else is queued) in one registry transaction;
    /// Windows 9x renames `wininit.ini` to `wininit.bak`.
    func finish(processed count: Int) throws
}

/// PatchRig's own registry record of a boot in progress (the Windows keys the boot uses are in
/// `WindowsKeys`).
public enum BootKeys {
    /// Where Session Manager records its progress through the queue during a boot (PatchRig's
    /// own key; deleted when the queue is done).
    public static let bootProgress = WindowsKeys.patchRig.appending("BootProgress")
    /// REG_DWORD: entries of the queue already applied by the boot in progress.
    public static let appliedValue = "PendingRenamesApplied"
    /// REG_SZ: which `wininit.ini` (device:inode) the applied count is about (Windows 9x).
    public static let wininitIdentityValue = "WininitFile"
}

// MARK: NT

/// PendingFileRenameOperations: REG_MULTI_SZ pairs (source, destination) in `\??\C:\...` form;
/// an empty destination deletes the source; a `!` before the destination replaces an existing file.
public final class RegistryPendingRenames: PendingRenameQueue {
    private let registry: Registry

    /// The queue of the machine at `root` (its `registry.db`).
    public convenience init(root: MachineRoot) throws {
        try self.init(registry: Registry(machineDirectory: root.path))
    }

    /// The queue in `registry`.
    public init(registry: Registry) { self.registry = registry }

    public var location: String { "\(WindowsKeys.sessionManager)\\\(WindowsKeys.pendingFileRenameOperations)" }

    /// The two strings a rename is stored as.
    public static func strings(for rename: PendingRename) -> [String] {
        let destination = rename.destination.map { (rename.replaceExisting ? "!" : "") + $0.ntPath } ?? ""
        return [rename.source.ntPath, destination]
    }

    /// The entries `strings` hold, pair by pair; a lone last string is malformed.
    public static func entries(from strings: [String]) -> [PendingRenameEntry] {
        var result: [PendingRenameEntry] = []
        var index = 0
        while index < strings.count {
            guard index + 1 < strings.count else {
                result.append(.malformed(text: strings[index], reason: "a source without a destination"))
                break
            }
            result.append(entry(source: strings[index], destination: strings[index + 1]))
            index += 2
        }
        return result
    }

    private static func entry(source: String, destination: String) -> PendingRenameEntry {
        let text = "\(source) -> \(destination)"
        do {
            let from = try WindowsPath(source)
            var target = Substring(destination)
            let replace = target.hasPrefix("!")
            if replace { target = target.dropFirst() }
            let to = target.isEmpty ? nil : try WindowsPath(String(target))
            return .rename(PendingRename(source: from, destination: to, replaceExisting: replace))
        } catch {
            return .malformed(text: text, reason: error.description)
        }
    }

    /// Appends the pair in one registry transaction (atomic against other processes).
    public func append(_ rename: PendingRename) throws {
        try registry.appendMultiString(WindowsKeys.sessionManager, WindowsKeys.pendingFileRenameOperations, Self.strings(for: rename))
    }

    public func pending() throws -> [PendingRename] {
        try entries().compactMap { if case .rename(let r) = $0 { r } else { nil } }
    }

    private func storedStrings() throws -> [String] {
        switch try registry.value(WindowsKeys.sessionManager, WindowsKeys.pendingFileRenameOperations) {
        case nil: return []
        case .multiString(let strings)?: return strings
        case let other?:
            throw MachineError("\(location) is \(other.type), not REG_MULTI_SZ")
        }
    }

    public func entries() throws -> [PendingRenameEntry] { Self.entries(from: try storedStrings()) }

    public func appliedCount() throws -> Int {
        Int(try registry.value(BootKeys.bootProgress, BootKeys.appliedValue)?.dwordValue ?? 0)
    }

    public func recordApplied(_ count: Int) throws {
        try registry.setValue(BootKeys.bootProgress, BootKeys.appliedValue, .dword(UInt32(count)))
    }

    public func finish(processed count: Int) throws {
        try registry.transaction { registry in
            let strings = try storedStrings()
            // The strings of the first `count` entries (pairs; a lone last string counts alone).
            let consumed = min(strings.count, count * 2)
            let rest = Array(strings.dropFirst(consumed))
            if rest.isEmpty {
                try registry.deleteValue(WindowsKeys.sessionManager, WindowsKeys.pendingFileRenameOperations)
            } else {
                try registry.setValue(WindowsKeys.sessionManager, WindowsKeys.pendingFileRenameOperations, .multiString(rest))
            }
            try clearProgress(registry)
        }
    }
}

/// Deletes the boot-progress record (and its key when nothing else is in it).
func clearProgress(_ registry: Registry) throws {
    try registry.deleteValue(BootKeys.bootProgress, BootKeys.appliedValue)
    try registry.deleteValue(BootKeys.bootProgress, BootKeys.wininitIdentityValue)
    if try registry.keyExists(BootKeys.bootProgress),
        try registry.values(of: BootKeys.bootProgress)?.isEmpty ?? true,
        try registry.subkeys(of: BootKeys.bootProgress)?.isEmpty ?? true
    {
        try registry.deleteKey(BootKeys.bootProgress)
    }
}

// MARK: Windows 9x

/// `C:\Windows\wininit.ini`, section `[rename]`: lines `DESTINATION=SOURCE` in order, `NUL=SOURCE`
/// to delete. WININIT always replaces an existing destination, so every rename read back has
/// `replaceExisting` set. Writers hold an exclusive lock on the machine directory (flock) while
/// they read and rewrite the file; the rewrite itself is atomic (a new file renamed into place).
public final class WininitPendingRenames: PendingRenameQueue {
    /// `C:\Windows\wininit.ini`
    public static let path = WindowsPath(components: ["Windows", "wininit.ini"])
    /// `C:\Windows\wininit.bak`, what the file becomes once processed.
    public static let backupPath = WindowsPath(components: ["Windows", "wininit.bak"])

    private let root: MachineRoot
    private let registry: Registry

    /// `registry`: a connection to the machine's registry to use (nil: one of its own).
    public init(root: MachineRoot, registry: Registry? = nil) throws {
        self.root = root
        self.registry = try registry ?? Registry(machineDirectory: root.path)
    }

    public var location: String { "\(Self.path) [rename]" }

    /// The `[rename]` line for `rename`.
    public static func line(for rename: PendingRename) -> String {
        "\(rename.destination?.description ?? "NUL")=\(rename.source)"
    }

    /// The entries of the `[rename]` section(s) of `text`, in order.
    public static func entries(fromIni text: String) -> [PendingRenameEntry] {
        var inRename = false
        var result: [PendingRenameEntry] = []
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = String(raw).trimmed
            if line.hasPrefix("[") {
                inRename = line.lowercased() == "[rename]"
                continue
            }
            guard inRename, !line.isEmpty, !line.hasPrefix(";") else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                result.append(.malformed(text: line, reason: "not DESTINATION=SOURCE"))
                continue
            }
            let destination = String(line[..<equals]).trimmed
            let source = String(line[line.index(after: equals)...]).trimmed
            do {
                let from = try WindowsPath(source)
                let to = destination.uppercased() == "NUL" ? nil : try WindowsPath(destination)
                result.append(.rename(PendingRename(source: from, destination: to, replaceExisting: to != nil)))
            } catch {
                result.append(.malformed(text: line, reason: error.description))
            }
        }
        return result
    }

    /// `text` with `line` added at the end of its `[rename]` section (the section is created at
    /// the end when missing). Other sections and lines are kept as they are.
    public static func appending(_ line: String, toIni text: String) -> String {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.firstIndex(where: { $0.trimmed.lowercased() == "[rename]" }) else {
            return (lines + ["[rename]", line]).map { $0 + "\r\n" }.joined()
        }
        var end = lines.index(after: header)
        while end < lines.endIndex, !lines[end].trimmed.hasPrefix("[") { end += 1 }
        // After the section's last non-blank line.
        var insert = end
        while insert > header + 1, lines[insert - 1].trimmed.isEmpty { insert -= 1 }
        lines.insert(line, at: insert)
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// Runs `body` holding the wininit lock: an exclusive flock on a new open of the machine
    /// directory, so two processes (or two threads) never rewrite the file at once.
    private func locked<T>(_ body: () throws -> T) throws -> T {
        let lock = try MachineDirectoryLock(root, guarding: "wininit.ini")
        defer { lock.release() }
        return try body()
    }

    private func readText() throws -> String? {
        guard root.exists(Self.path) else { return nil }
        return String(decoding: try root.readFile(Self.path), as: UTF8.self)
    }

    public func append(_ rename: PendingRename) throws {
        try locked {
            let text = try readText() ?? ""
            if let parent = Self.path.parent { try root.createDirectories(parent) }
            try root.writeFile(Self.path, Array(Self.appending(Self.line(for: rename), toIni: text).utf8))
        }
    }

    public func pending() throws -> [PendingRename] {
        try entries().compactMap { if case .rename(let r) = $0 { r } else { nil } }
    }

    public func entries() throws -> [PendingRenameEntry] {
        try locked { Self.entries(fromIni: try readText() ?? "") }
    }

    /// The identity of the current wininit.ini ("" when there is none): every rewrite makes a new file.
    private func identity() -> String {
        (try? root.fileIdentity(Self.path).description) ?? ""
    }

    public func appliedCount() throws -> Int {
        // A count recorded for another wininit.ini (rewritten since) does not apply.
        guard try registry.value(BootKeys.bootProgress, BootKeys.wininitIdentityValue)?.stringValue == identity() else { return 0 }
        return Int(try registry.value(BootKeys.bootProgress, BootKeys.appliedValue)?.dwordValue ?? 0)
    }

    public func recordApplied(_ count: Int) throws {
        let file = identity()
        try registry.transaction { registry in
            try registry.setValue(BootKeys.bootProgress, BootKeys.wininitIdentityValue, .string(file))
            try registry.setValue(BootKeys.bootProgress, BootKeys.appliedValue, .dword(UInt32(count)))
        }
    }

    public func finish(processed count: Int) throws {
        try locked {
            if root.exists(Self.path) {
                try BootFiles(root: root).move(Self.path, to: Self.backupPath, replaceExisting: true)
            }
            try registry.transaction { try clearProgress($0) }
        }
    }
}
