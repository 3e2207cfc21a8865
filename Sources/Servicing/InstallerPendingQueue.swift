import Machine
import Registry
import WinFS
import WindowsModel

/// What the installer needs of the machine's pending-rename queue beyond appending: taking back
/// an entry it queued itself when it rolls back, and telling which entries a run added.
public enum InstallerPendingQueue {
    /// Removes the last queued entry equal to `rename` (the one this process appended), in one
    /// atomic update against other processes. Returns false when no such entry is queued.
    ///
    /// NT: one registry transaction over PendingFileRenameOperations (the value is deleted when
    /// it becomes empty). Windows 9x: `wininit.ini [rename]` rewritten under the same lock its
    /// writers take (an exclusive flock on a new open of the machine directory).
    @discardableResult
    public static func remove(_ rename: PendingRename, root: MachineRoot) throws -> Bool {
        switch try machineProfile(of: root) {
        case .nt: return try removeFromRegistry(rename, root: root)
        case .win9x: return try removeFromWininit(rename, root: root)
        }
    }

    /// The entries of `after` that are not in `before` (each entry of `before` cancels one equal
    /// entry of `after`): what was queued between two looks at the queue.
    public static func added(before: [PendingRename], after: [PendingRename]) -> [PendingRename] {
        var remaining = before
        var result: [PendingRename] = []
        for rename in after {
            if let index = remaining.firstIndex(of: rename) {
                remaining.remove(at: index)
            } else {
                result.append(rename)
            }
        }
        return result
    }

    private static func removeFromRegistry(_ rename: PendingRename, root: MachineRoot) throws -> Bool {
        let registry = try Registry(machineDirectory: root.path)
        let pair = RegistryPendingRenames.strings(for: rename)
        return try registry.transaction { registry in
            guard
                case .multiString(var strings)? = try registry.value(
                    WindowsKeys.sessionManager, WindowsKeys.pendingFileRenameOperations)
            else { return false }
            var index = strings.count - 2
            // Pairs start at even offsets.
            if index % 2 != 0 { index -= 1 }
            while index >= 0 {
                if Array(strings[index..<index + 2]) == pair {
                    strings.removeSubrange(index..<index + 2)
                    if strings.isEmpty {
                        try registry.deleteValue(WindowsKeys.sessionManager, WindowsKeys.pendingFileRenameOperations)
                    } else {
                        try registry.setValue(
                            WindowsKeys.sessionManager, WindowsKeys.pendingFileRenameOperations, .multiString(strings))
                    }
                    return true
                }
                index -= 2
            }
            return false
        }
    }

    private static func removeFromWininit(_ rename: PendingRename, root: MachineRoot) throws -> Bool {
        // The lock WininitPendingRenames takes around every rewrite.
        let lock = try MachineDirectoryLock(root, guarding: "wininit.ini")
        defer { lock.release() }
        let path = WininitPendingRenames.path
        guard root.exists(path) else { return false }
        let text = String(decoding: try root.readFile(path), as: UTF8.self)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map(String.init)
        if lines.last == "" { lines.removeLast() }
        let wanted = WininitPendingRenames.line(for: rename)
        guard let index = lines.lastIndex(where: { $0.trimmed == wanted }) else { return false }
        lines.remove(at: index)
        try root.writeFile(path, Array(lines.map { $0.replacingCR() + "\r\n" }.joined().utf8))
        return true
    }
}

extension String {
    fileprivate func replacingCR() -> String { hasSuffix("\r") ? String(dropLast()) : self }
}
