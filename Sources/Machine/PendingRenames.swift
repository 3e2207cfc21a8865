// TEMPORARY: replaced by the registry-backed store (PendingFileRenameOperations on the NT
// profile, wininit.ini [rename] on Windows 9x). Until then pairs are appended to
// `<machine>/pending.tmp`, one per line: `<\??\source>\t<[!]\??\destination or empty>`.
import Glibc
import WinFS

/// The store where delayed renames of the machine at `root` are queued.
public func pendingRenameStore(for root: MachineRoot) throws -> any PendingRenameStore {
    TemporaryPendingRenameStore(root: root)
}

/// TEMPORARY: a line file under the machine directory.
struct TemporaryPendingRenameStore: PendingRenameStore {
    let root: MachineRoot
    static let fileName = "pending.tmp"

    func append(_ rename: PendingRename) throws {
        let destination = rename.destination.map { (rename.replaceExisting ? "!" : "") + $0.ntPath } ?? ""
        let line = Array("\(rename.source.ntPath)\t\(destination)\n".utf8)
        let fd = openat(root.descriptor, Self.fileName, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw Win32Error(errno: errno, operation: "queue rename", path: Self.fileName) }
        defer { close(fd) }
        // One write(2) with O_APPEND: lines from several processes do not interleave.
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        guard written == line.count else { throw Win32Error(errno: errno, operation: "queue rename", path: Self.fileName) }
    }

    func pending() throws -> [PendingRename] {
        let fd = openat(root.descriptor, Self.fileName, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return [] }
            throw Win32Error(errno: errno, operation: "read pending renames", path: Self.fileName)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        var result: [PendingRename] = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else { continue }
            let source = try WindowsPath(String(fields[0]))
            var target = Substring(fields[1])
            let replace = target.hasPrefix("!")
            if replace { target = target.dropFirst() }
            let destination = target.isEmpty ? nil : try WindowsPath(String(target))
            result.append(PendingRename(source: source, destination: destination, replaceExisting: replace))
        }
        return result
    }
}
