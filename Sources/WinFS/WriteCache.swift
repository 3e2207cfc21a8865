import Glibc

/// What a power loss takes away: data written but not yet on disk.
///
/// Windows writes file data into the cache manager's memory; it reaches the disk when the
/// process calls FlushFileBuffers (or wrote through), or when the lazy writer gets to it, about
/// once a second. NTFS journals its metadata (names, sizes, renames, deletions) but not file
/// data. So when the power fails, names and sizes survive, and the bytes written in the last
/// lazy-write interval and not flushed since are gone: they read as zeros (NTFS's valid data
/// length stops short of them).
///
/// The model here: every `WriteFile` through a `WinFile` appends its extent and the time to a
/// record of the file in `<machine>/cache/`, named after the file's device and inode;
/// `FlushFileBuffers` drops the record. `losePower(machine:atNs:)` zeroes the extents written
/// less than `lazyWriteNs` before the loss, in whichever file of drive C has that inode now
/// (the data follows the file through renames), and clears every record. The registry is not
/// modelled here: a committed registry transaction is durable, as the hive's log makes it.
public enum WriteCache {
    /// The machine-level directory holding the records.
    public static let directory = "cache"
    /// How long written data stays in memory before the lazy writer puts it on disk.
    public static let lazyWriteNs: UInt64 = 1_000_000_000

    /// Notes that `length` bytes were written at `offset` of the file open as `fd`.
    static func noteWrite(machine: Int32, fd: Int32, offset: Int64, length: Int) {
        guard length > 0, let name = recordName(fd) else { return }
        if mkdirat(machine, directory, 0o755) != 0 && errno != EEXIST { return }
        let dir = openat(machine, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { return }
        defer { close(dir) }
        let record = openat(dir, name, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard record >= 0 else { return }
        defer { close(record) }
        var entry: (UInt64, UInt64, UInt64) = (UInt64(offset), UInt64(length), monotonicNow())
        _ = withUnsafeBytes(of: &entry) { write(record, $0.baseAddress!, $0.count) }
    }

    /// Notes that the file open as `fd` was flushed: what was written to it is on disk.
    static func noteFlush(machine: Int32, fd: Int32) {
        guard let name = recordName(fd) else { return }
        let dir = openat(machine, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { return }
        defer { close(dir) }
        _ = unlinkat(dir, name, 0)
    }

    /// The power fails at `atNs` (CLOCK_MONOTONIC): every unflushed extent written since
    /// `atNs - lazyWriteNs` reads as zeros from now on. Returns the Windows paths of the files
    /// that lost data. Call it once every process of the machine is dead.
    @discardableResult
    public static func losePower(machine root: MachineRoot, atNs: UInt64) -> [String] {
        losePower(machine: root, writtenSinceNs: atNs > lazyWriteNs ? atNs - lazyWriteNs : 0)
    }

    /// The power fails and every unflushed extent written since `since` (CLOCK_MONOTONIC; 0:
    /// every one) reads as zeros from now on. Under a controlled schedule the loss's time is
    /// virtual and cannot be set against the records' real times, so the lazy writer is taken
    /// not to have run: everything not flushed is lost.
    @discardableResult
    public static func losePower(machine root: MachineRoot, writtenSinceNs since: UInt64) -> [String] {
        let dir = openat(root.descriptor, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { return [] }
        defer { close(dir) }
        var lost: [String: [(offset: UInt64, length: UInt64)]] = [:]
        for name in entries(of: dir) {
            defer { _ = unlinkat(dir, name, 0) }
            let extents = readRecord(dir, name).filter { $0.ns >= since }
            if !extents.isEmpty { lost[name] = extents.map { ($0.offset, $0.length) } }
        }
        guard !lost.isEmpty else { return [] }
        var damaged: [String] = []
        walk(root.driveDescriptor, windowsPath: "C:") { fd, path in
            guard let name = recordName(fd), let extents = lost.removeValue(forKey: name) else { return }
            var info = stat()
            guard fstat(fd, &info) == 0 else { return }
            let size = UInt64(info.st_size)
            for extent in extents where extent.offset < size {
                let count = Int(min(extent.length, size - extent.offset))
                let zeros = [UInt8](repeating: 0, count: count)
                _ = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress!, count, off_t(extent.offset)) }
            }
            damaged.append(path)
        }
        return damaged.sorted()
    }

    /// An orderly shutdown: the cache is written out, nothing is lost; the records go.
    public static func flushAll(machine root: MachineRoot) {
        let dir = openat(root.descriptor, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { return }
        defer { close(dir) }
        for name in entries(of: dir) { _ = unlinkat(dir, name, 0) }
    }

    // MARK: Internals

    private static func recordName(_ fd: Int32) -> String? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return "\(info.st_dev)-\(info.st_ino)"
    }

    private static func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private static func readRecord(_ dir: Int32, _ name: String) -> [(offset: UInt64, length: UInt64, ns: UInt64)] {
        let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var entries: [(offset: UInt64, length: UInt64, ns: UInt64)] = []
        var entry: (UInt64, UInt64, UInt64) = (0, 0, 0)
        while withUnsafeMutableBytes(of: &entry, { read(fd, $0.baseAddress!, $0.count) }) == MemoryLayout.size(ofValue: entry) {
            entries.append((entry.0, entry.1, entry.2))
        }
        return entries
    }

    /// The names in the directory open as `dir` (not `.` and `..`).
    private static func entries(of dir: Int32) -> [String] {
        // Close-on-exec: another thread may be starting a worker at this moment.
        let copy = fcntl(dir, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0, let stream = fdopendir(copy) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Calls `body` with a descriptor (read-write) on every regular file beneath `dir`, never
    /// following a symbolic link.
    private static func walk(_ dir: Int32, windowsPath: String, _ body: (Int32, String) -> Void) {
        for name in entries(of: dir) {
            var info = stat()
            guard fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let path = windowsPath + "\\" + name
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard sub >= 0 else { continue }
                walk(sub, windowsPath: path, body)
                close(sub)
            case S_IFREG:
                let fd = openat(dir, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else { continue }
                body(fd, path)
                close(fd)
            default:
                continue
            }
        }
    }
}
