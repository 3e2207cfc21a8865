import CWinFS
import Glibc
import WindowsModel

/// An open machine directory: the sandbox a simulated Windows machine lives in. Drive C: is its
/// `drive_c` subdirectory, and every `WindowsPath` is resolved strictly beneath it.
///
/// Resolution uses `openat2(2)` with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS` from a descriptor
/// kept on `drive_c`: the kernel refuses any path that would leave `drive_c` on the way, whether
/// through a symbolic link (relative or absolute) or a `/proc` magic link. `WindowsPath` itself
/// refuses `..`, other drives and NUL before anything reaches the kernel.
///
/// Names are case-insensitive and case-preserving, as on Windows: see `openBeneath` (one place
/// every lookup goes through) and `onDiskPath`.
///
/// Errors: a path refused lexically or because a link on the way leads outside the machine is
/// `ERROR_INVALID_NAME (123)` (reason in `Win32Error.reason`); a missing directory on the way is
/// `ERROR_PATH_NOT_FOUND (3)`, a missing last component `ERROR_FILE_NOT_FOUND (2)`.
///
/// The helpers in this file (`createDirectories`, `writeFile`, `readFile`, `list`, `removeFile`)
/// are plain file operations for laying out and inspecting a machine: they take no share-mode
/// part. What simulated processes do goes through `open`, `loadImage`, `moveFile`, `deleteFile`.
public final class MachineRoot: Sendable {
    /// The machine directory as given (a host path).
    public let path: String
    /// A descriptor on the machine directory (for machine-level files such as the registry).
    public let descriptor: Int32
    /// A descriptor on `<machine>/drive_c`, the root every `WindowsPath` resolves beneath.
    public let driveDescriptor: Int32
    /// Whether the machine follows the Windows 9x rule (its `<machine>/profile` file says `win9x`;
    /// no file means NT): a file that is open or loaded by any process cannot be renamed or
    /// deleted — every in-use file is hard-locked (ERROR_SHARING_VIOLATION (32)).
    public let hardLocksInUseFiles: Bool

    /// The `openat2` resolve flags every lookup uses.
    static let resolveFlags: UInt64 = CWINFS_RESOLVE_BENEATH | CWINFS_RESOLVE_NO_MAGICLINKS

    /// Opens the existing machine directory at `path` and its `drive_c` (created if missing).
    /// A missing machine directory is `ERROR_PATH_NOT_FOUND (3)` naming it; the CLIs report it as a
    /// usage error. A `drive_c` that is a symbolic link or not a directory is refused.
    public init(path: String) throws(Win32Error) {
        let operation = "open machine directory"
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw Win32Error(123, operation: operation, path: path, reason: "not a usable directory name")
        }
        let machine = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if machine < 0 {
            let value = errno
            switch value {
            case ENOENT:
                throw Win32Error(3, operation: operation, path: path, reason: "no such directory", posixErrno: value)
            case ENOTDIR:
                throw Win32Error(267, operation: operation, path: path, reason: "not a directory", posixErrno: value)
            default:
                throw Win32Error(errno: value, operation: operation, path: path)
            }
        }
        var drive = openat(machine, "drive_c", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if drive < 0 && errno == ENOENT {
            if mkdirat(machine, "drive_c", 0o755) == 0 || errno == EEXIST {
                drive = openat(machine, "drive_c", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
        }
        if drive < 0 {
            let value = errno
            close(machine)
            throw Win32Error(
                value == ELOOP || value == ENOTDIR ? 123 : Win32Error.code(forErrno: value),
                operation: operation, path: path + "/drive_c",
                reason: value == ELOOP || value == ENOTDIR
                    ? "drive_c must be a directory of the machine, not a symbolic link or a file" : nil,
                posixErrno: value)
        }
        do {
            try MachineRoot.checkEntries(machine, path: path)
        } catch {
            close(drive)
            close(machine)
            throw error
        }
        self.path = path
        self.descriptor = machine
        self.driveDescriptor = drive
        self.hardLocksInUseFiles = MachineRoot.readProfile(machine) == "win9x"
    }

    /// The entries of the machine directory itself that the code uses, with the kind each must
    /// be when it exists: `drive_c` (drive C:), `profile`, `objects` (named kernel objects such
    /// as the install mutex), `cache` (`WriteCache`: what a power loss would take), the registry
    /// database and the files SQLite keeps beside it.
    /// None may be a symbolic link: a link there would make the machine read or write outside
    /// its directory (SQLite, for one, follows links to its database and journal files).
    public static let machineEntries: [(name: String, isDirectory: Bool)] = [
        ("drive_c", true), ("profile", false), ("objects", true), (WriteCache.directory, true),
        ("registry.db", false), ("registry.db-wal", false), ("registry.db-shm", false), ("registry.db-journal", false),
    ]

    /// Throws ERROR_INVALID_NAME (123) naming the entry when one of `machineEntries` of the
    /// machine directory open at `machine` is a symbolic link or of the wrong kind. Entries that
    /// do not exist are fine (they are created when needed).
    static func checkEntries(_ machine: Int32, path: String) throws(Win32Error) {
        for (name, isDirectory) in machineEntries {
            var info = stat()
            guard fstatat(machine, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            let entry = path.hasSuffix("/") ? path + name : path + "/" + name
            if kind == S_IFLNK {
                throw Win32Error(
                    123, operation: "open machine directory", path: entry,
                    reason:
                        "'\(name)' of the machine is a symbolic link; a machine's own entries must be real \(isDirectory ? "directories" : "files") inside it"
                )
            }
            if isDirectory ? kind != S_IFDIR : kind != S_IFREG {
                throw Win32Error(
                    123, operation: "open machine directory", path: entry,
                    reason: "'\(name)' of the machine is not a \(isDirectory ? "directory" : "regular file")")
            }
        }
    }

    /// The trimmed text of `<machine>/profile`, "" when there is none (NT) or it cannot be read.
    /// Machine validates the name; WinFS only needs to know whether it is `win9x`.
    private static func readProfile(_ machine: Int32) -> String {
        let fd = openat(machine, "profile", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        var count = 0
        while true {
            count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            break
        }
        guard count > 0 else { return "" }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        return String(text.filter { !$0.isWhitespace })
    }

    deinit {
        close(driveDescriptor)
        close(descriptor)
    }

    // MARK: Resolution

    /// Opens `path` beneath drive C: with `flags` (O_CLOEXEC is added). Returns a descriptor the
    /// caller closes. Missing parts are ERROR_PATH_NOT_FOUND (3) or ERROR_FILE_NOT_FOUND (2); a
    /// path leaving the machine is ERROR_INVALID_NAME (123).
    ///
    /// Names are resolved ignoring case and created keeping the case given, as Windows does (and
    /// Wine on a case-sensitive file system: `lookup_unix_name` / `find_file_in_dir`): the path
    /// exactly as written is tried first (one `openat2`, the usual case); only when that finds
    /// nothing are the directories on the way scanned for a name that matches ignoring case
    /// (`onDiskPath`). With O_CREAT, an existing file of another case is the file opened (so
    /// O_EXCL fails with EEXIST), and a new name is created under the directory's entry lock
    /// (`withEntryLock`) so two processes cannot create two spellings of one name.
    /// Containment is unchanged: every open is `openat2(RESOLVE_BENEATH)` from drive C:.
    func openBeneath(
        _ path: WindowsPath, flags: Int32, mode: mode_t = 0o644, operation: StaticString
    ) throws(Win32Error) -> Int32 {
        if (flags & O_CREAT) != 0 {
            return try createBeneath(path, flags: flags, mode: mode, operation: operation)
        }
        let fd = rawOpen(path.components, flags: flags, mode: mode)
        if fd >= 0 { return fd }
        let value = errno
        guard value == ENOENT else { throw resolutionError(value, path, operation: "\(operation)") }
        let onDisk = onDiskPath(path)
        guard onDisk != path else { throw resolutionError(value, path, operation: "\(operation)") }
        let again = rawOpen(onDisk.components, flags: flags, mode: mode)
        if again >= 0 { return again }
        // (errno is the retry's: a name of another case found, then gone, is missing.)
        throw resolutionError(errno, path, operation: "\(operation)")
    }

    /// `openBeneath` with O_CREAT: opens the file `path` names ignoring case, or creates it with
    /// the case given.
    private func createBeneath(
        _ path: WindowsPath, flags: Int32, mode: mode_t, operation: StaticString
    ) throws(Win32Error) -> Int32 {
        // The usual case first: the name exists as written (O_EXCL then fails with EEXIST).
        let probe = rawOpen(path.components, flags: CWINFS_O_PATH, mode: 0)
        if probe >= 0 {
            close(probe)
            let fd = rawOpen(path.components, flags: flags, mode: mode)
            if fd >= 0 { return fd }
            throw resolutionError(errno, path, operation: "\(operation)")
        }
        guard errno == ENOENT, let name = path.name else {
            throw resolutionError(errno, path, operation: "\(operation)")
        }
        let (parent, parentOnDisk) = try openParentDirectory(path, operation: operation)
        defer { close(parent) }
        let (fd, value) = withEntryLock(parent) { () -> (Int32, Int32) in
            let existing = entryName(in: parent, matching: name)
            let fd = rawOpen(parentOnDisk.components + [existing ?? name], flags: flags, mode: mode)
            return (fd, fd >= 0 ? 0 : errno)
        }
        if fd >= 0 { return fd }
        throw resolutionError(value, path, operation: "\(operation)")
    }

    /// `openat2(RESOLVE_BENEATH)` of `components` from drive C: exactly as spelled: the
    /// descriptor, or -1 with errno set (EINTR and EAGAIN retried).
    private func rawOpen(_ components: [String], flags: Int32, mode: mode_t) -> Int32 {
        let relative = components.isEmpty ? "." : components.joined(separator: "/")
        let openFlags = UInt64(UInt32(bitPattern: flags | O_CLOEXEC))
        // openat2 refuses a mode without O_CREAT/O_TMPFILE.
        let openMode: UInt64 = (flags & O_CREAT) != 0 ? UInt64(mode) : 0
        while true {
            let fd = relative.withCString {
                cwinfs_openat2(driveDescriptor, $0, openFlags, openMode, MachineRoot.resolveFlags)
            }
            if fd >= 0 { return fd }
            if errno == EINTR || errno == EAGAIN { continue }
            return -1
        }
    }

    /// `path` spelled as it is on disk: each component that exists in its directory under a name
    /// that differs only in case (`WindowsPath.namesMatch`) is replaced by that name; the first
    /// missing component and those after it stay as given (a file created there keeps that case).
    /// Paths that lead out of the machine are returned unchanged (opening them is refused).
    ///
    /// Costs one `openat2` of the parent and a `fstatat` when the parent exists as spelled, plus a
    /// scan of the directory when the name is not there as spelled; a parent of another case is
    /// resolved the same way, recursively.
    public func onDiskPath(_ path: WindowsPath) -> WindowsPath {
        guard let name = path.name, let parent = path.parent else { return path }
        var directory = parent
        var fd = rawOpen(parent.components, flags: O_RDONLY | O_DIRECTORY, mode: 0)
        if fd < 0 && errno == ENOENT {
            directory = onDiskPath(parent)
            guard directory != parent else { return path }
            fd = rawOpen(directory.components, flags: O_RDONLY | O_DIRECTORY, mode: 0)
        }
        guard fd >= 0 else { return directory.appending(name) }
        defer { close(fd) }
        return directory.appending(entryName(in: fd, matching: name) ?? name)
    }

    /// The name of the entry of the directory open at `directory` that `name` names on Windows:
    /// `name` itself when it exists as spelled, else the entry equal to it ignoring case (the
    /// first in byte order, should a case-sensitive host hold several), else nil.
    func entryName(in directory: Int32, matching name: String) -> String? {
        var info = stat()
        if fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 { return name }
        guard errno == ENOENT else { return nil }
        let fd = openat(directory, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard let stream = fdopendir(fd) else {
            close(fd)
            return nil
        }
        defer { closedir(stream) }
        var found: String?
        while let entry = readdir(stream) {
            let candidate = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard candidate != "." && candidate != "..", WindowsPath.namesMatch(candidate, name) else { continue }
            if found.map({ Array(candidate.utf8).lexicographicallyPrecedes($0.utf8) }) ?? true { found = candidate }
        }
        return found
    }

    /// Runs `body` holding the entry lock of the directory open at `directory` (`flock`
    /// exclusive; the kernel drops it if the process dies). Whatever adds a name to a directory
    /// — create, rename to a new name, mkdir — looks for a case variant and adds the name under
    /// this lock, so two processes cannot add `a.dll` and `A.DLL` side by side: on Windows they
    /// are one name.
    func withEntryLock<T, E: Error>(_ directory: Int32, _ body: () throws(E) -> T) throws(E) -> T {
        while flock(directory, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(directory, LOCK_UN) }
        return try body()
    }

    /// `withEntryLock` without waiting: nil when another process holds the lock. For callers
    /// that already hold a file's gate (a flock too, on the file — and a directory being moved
    /// is such a file), so that two of them can never wait for each other.
    func tryEntryLock<T, E: Error>(_ directory: Int32, _ body: () throws(E) -> T) throws(E) -> T? {
        while flock(directory, LOCK_EX | LOCK_NB) != 0 {
            if errno != EINTR { return nil }
        }
        defer { flock(directory, LOCK_UN) }
        return try body()
    }

    /// Opens the directory holding `path` (resolved ignoring case) and returns it with its path
    /// as spelled on disk. Missing: ERROR_PATH_NOT_FOUND (3).
    func openParentDirectory(_ path: WindowsPath, operation: StaticString) throws(Win32Error) -> (fd: Int32, onDisk: WindowsPath) {
        guard let parent = path.parent else {
            throw Win32Error(123, operation: "\(operation)", path: path.description, reason: "names the drive root, not a file")
        }
        var onDisk = parent
        var fd = rawOpen(parent.components, flags: O_RDONLY | O_DIRECTORY, mode: 0)
        if fd < 0 && errno == ENOENT {
            onDisk = onDiskPath(parent)
            fd = rawOpen(onDisk.components, flags: O_RDONLY | O_DIRECTORY, mode: 0)
        }
        guard fd >= 0 else {
            let error = resolutionError(errno, parent, operation: "\(operation)")
            if error.code == 2 || error.code == 3 {
                throw Win32Error(3, operation: "\(operation)", path: path.description, posixErrno: error.posixErrno)
            }
            throw error
        }
        return (fd, onDisk)
    }

    /// The Win32 error for a failed lookup of `path`.
    func resolutionError(_ value: Int32, _ path: WindowsPath, operation: String) -> Win32Error {
        switch value {
        case EXDEV:
            return Win32Error(
                123, operation: operation, path: path.description,
                reason: "a symbolic link on the way leads outside the machine's drive C:", posixErrno: value)
        case ELOOP:
            return Win32Error(
                123, operation: operation, path: path.description,
                reason: "a symbolic link loop, or a symbolic link where none is allowed", posixErrno: value)
        case ENOENT:
            // ERROR_FILE_NOT_FOUND when only the last component is missing.
            let parentIsDirectory = path.parent.map { isDirectory($0) } ?? true
            return Win32Error(parentIsDirectory ? 2 : 3, operation: operation, path: path.description, posixErrno: value)
        case ENOTDIR:
            return Win32Error(3, operation: operation, path: path.description, posixErrno: value)
        case ENOSYS:
            return Win32Error(
                31, operation: operation, path: path.description,
                reason: "openat2 is not available (Linux 5.6 or later is needed)", posixErrno: value)
        default:
            return Win32Error(errno: value, operation: operation, path: path.description)
        }
    }

    /// Opens the directory containing `path` and returns it with the last component's name as
    /// it is in that directory (ignoring case; the name as given when there is none yet).
    /// The drive root has no parent: ERROR_INVALID_NAME (123). A missing parent is
    /// ERROR_PATH_NOT_FOUND (3).
    func openParent(_ path: WindowsPath, operation: StaticString) throws(Win32Error) -> (fd: Int32, name: String) {
        guard let name = path.name, path.parent != nil else {
            throw Win32Error(123, operation: "\(operation)", path: path.description, reason: "names the drive root, not a file")
        }
        let (fd, _) = try openParentDirectory(path, operation: operation)
        return (fd, entryName(in: fd, matching: name) ?? name)
    }

    // MARK: Plain helpers (no share modes)

    /// Creates `path` and every missing directory above it (like `mkdir -p`). An existing
    /// directory is fine; an existing file on the way is ERROR_ALREADY_EXISTS (183).
    public func createDirectories(_ path: WindowsPath) throws(Win32Error) {
        for count in 1...max(path.components.count, 1) where !path.components.isEmpty {
            let prefix = WindowsPath(components: Array(path.components.prefix(count)))
            let (parent, name) = try openParent(prefix, operation: "CreateDirectory")
            defer { close(parent) }
            // A new name is added under the entry lock, unless a name of another case came meanwhile.
            let value = withEntryLock(parent) { () -> Int32 in
                guard entryName(in: parent, matching: name) == nil else { return EEXIST }
                return mkdirat(parent, name, 0o755) == 0 ? 0 : errno
            }
            if value == 0 { continue }
            guard value == EEXIST else {
                throw Win32Error(errno: value, operation: "CreateDirectory", path: prefix.description)
            }
            guard isDirectory(prefix) else {
                // A link leading out of the machine is refused as such (123); a file is in the way.
                let fd = try openBeneath(prefix, flags: CWINFS_O_PATH, operation: "CreateDirectory")
                close(fd)
                throw Win32Error(
                    183, operation: "CreateDirectory", path: prefix.description, reason: "a file is in the way")
            }
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file beside it, then rename(2) over it.
    /// The parent directory must exist (ERROR_PATH_NOT_FOUND (3) otherwise).
    public func writeFile(_ path: WindowsPath, _ bytes: [UInt8]) throws(Win32Error) {
        try writeFile(path) { (fd) throws(Win32Error) in try writeAll(fd, bytes[...], path: path) }
    }

    /// `writeFile` of generated content, a chunk at a time.
    public func writeFile(_ path: WindowsPath, _ content: GeneratedContent) throws(Win32Error) {
        try writeFile(path) { (fd) throws(Win32Error) in
            try content.forEachChunk(of: 0..<content.count) { (chunk) throws(Win32Error) in try writeAll(fd, chunk, path: path) }
        }
    }

    private func writeFile(_ path: WindowsPath, _ write: (Int32) throws(Win32Error) -> Void) throws(Win32Error) {
        let (parent, name) = try openParent(path, operation: "WriteFile")
        defer { close(parent) }
        let temporary = ".\(name).rig-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try checked("WriteFile", path.description) {
            openat(parent, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        do {
            try write(fd)
            close(fd)
            try checked("WriteFile", path.description) { renameat(parent, temporary, parent, name) }
        } catch {
            close(fd)
            unlinkat(parent, temporary, 0)
            throw error
        }
    }

    /// The whole content of the file at `path`.
    public func readFile(_ path: WindowsPath) throws(Win32Error) -> [UInt8] {
        let fd = try openBeneath(path, flags: O_RDONLY, operation: "ReadFile")
        defer { close(fd) }
        return try readAll(fd, path: path)
    }

    /// The first `limit` bytes of the file at `path` and its whole size, from one open.
    public func readHead(_ path: WindowsPath, limit: Int) throws(Win32Error) -> (bytes: [UInt8], size: Int) {
        let fd = try openBeneath(path, flags: O_RDONLY, operation: "ReadFile")
        defer { close(fd) }
        let size = Int(try FileIdentity(descriptor: fd, path: path).size)
        return (try readAll(fd, path: path, limit: limit), size)
    }

    /// The digest of the whole file at `path`, read a chunk at a time, keeping its first
    /// `headLimit` bytes.
    public func digestFile(_ path: WindowsPath, headLimit: Int) throws(Win32Error) -> FileDigest {
        let fd = try openBeneath(path, flags: O_RDONLY, operation: "ReadFile")
        defer { close(fd) }
        return try digestAll(fd, path: path, headLimit: headLimit)
    }

    /// Whether `path` names something on the machine (a file or a directory). A path that would
    /// leave the machine does not exist.
    public func exists(_ path: WindowsPath) -> Bool {
        guard let fd = try? openBeneath(path, flags: CWINFS_O_PATH, operation: "exists") else { return false }
        close(fd)
        // A delete-pending file still held keeps its name; one nobody holds is gone now.
        return completePendingDelete(path) != .completed
    }

    /// Whether `path` names a directory on the machine.
    public func isDirectory(_ path: WindowsPath) -> Bool {
        guard let fd = try? openBeneath(path, flags: CWINFS_O_PATH | O_DIRECTORY, operation: "exists") else {
            return false
        }
        close(fd)
        return true
    }

    /// The names in `directory`, sorted (without `.` and `..`). As FindFirstFile, it shows a
    /// delete-pending file while handles hold it; one whose delete has completed (no holder left)
    /// is unlinked by this look and not listed (see `DeletePending`).
    public func list(_ directory: WindowsPath) throws(Win32Error) -> [String] {
        let fd = try openBeneath(directory, flags: O_RDONLY | O_DIRECTORY, operation: "FindFirstFile")
        guard let stream = fdopendir(fd) else {
            let value = errno
            close(fd)
            throw Win32Error(errno: value, operation: "FindFirstFile", path: directory.description)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.filter { completePendingDelete(directory.appending($0)) != .completed }.sorted()
    }

    /// Unlinks the file at `path` (no share-mode or image check: see `deleteFile` for that).
    public func removeFile(_ path: WindowsPath) throws(Win32Error) {
        let (parent, name) = try openParent(path, operation: "RemoveFile")
        defer { close(parent) }
        try checked("RemoveFile", path.description) { unlinkat(parent, name, 0) }
    }

    /// The identity (device, inode) of the file at `path`: it follows the file through renames.
    public func fileIdentity(_ path: WindowsPath) throws(Win32Error) -> FileIdentity {
        let fd = try openBeneath(path, flags: CWINFS_O_PATH, operation: "GetFileInformationByHandle")
        defer { close(fd) }
        return try FileIdentity(descriptor: fd, path: path)
    }
}

/// What identifies a file whatever its name: device and inode.
public struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The device number.
    public var device: UInt64
    /// The inode number.
    public var inode: UInt64
    /// The file's size in bytes when it was taken.
    public var size: Int64

    init(descriptor: Int32, path: WindowsPath) throws(Win32Error) {
        var info = stat()
        try checked("fstat", path.description) { fstat(descriptor, &info) }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
    }

    /// Identity is device and inode; size is not part of it.
    public static func == (lhs: FileIdentity, rhs: FileIdentity) -> Bool {
        lhs.device == rhs.device && lhs.inode == rhs.inode
    }
    /// Hashes device and inode (consistent with `==`).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(device)
        hasher.combine(inode)
    }

    /// `dev:inode`
    public var description: String { "\(device):\(inode)" }
}

/// Writes every byte of `bytes` to `fd`.
func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: WindowsPath) throws(Win32Error) {
    let failure = bytes.withUnsafeBytes { raw -> Win32Error? in
        do throws(Win32Error) { try writeAll(fd, raw, path: path) } catch { return error }
        return nil
    }
    if let failure { throw failure }
}

func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: WindowsPath) throws(Win32Error) {
    var offset = 0
    while offset < raw.count {
        let written = try checked("WriteFile", path.description) { write(fd, raw.baseAddress! + offset, raw.count - offset) }
        offset += written
    }
}

/// What reading a file to its end a chunk at a time gave: its first bytes, the `ContentHash` of
/// everything read, and how much that was.
public struct FileDigest: Sendable, Equatable {
    /// The first bytes (up to the limit the reader asked for).
    public var head: [UInt8]
    /// `ContentHash` of all the bytes read.
    public var hash: UInt64
    /// The number of bytes read.
    public var count: Int

    public init(head: [UInt8], hash: UInt64, count: Int) {
        self.head = head
        self.hash = hash
        self.count = count
    }
}

/// The digest of the whole file `fd` reads (from its start), through a read-only mapping, leaving
/// the position at the end; nil when it cannot be mapped. The caller must know that nobody can
/// shrink the file meanwhile: touching a page past a new end would raise SIGBUS.
func digestMapped(_ fd: Int32, path: WindowsPath, headLimit: Int) throws(Win32Error) -> FileDigest? {
    let size = Int(try FileIdentity(descriptor: fd, path: path).size)
    guard size > 0 else { return FileDigest(head: [], hash: ContentHash.hash([]), count: 0) }
    guard let address = mmap(nil, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0), address != MAP_FAILED else { return nil }
    defer { munmap(address, size) }
    let raw = UnsafeRawBufferPointer(start: address, count: size)
    lseek(fd, 0, SEEK_END)
    return FileDigest(head: Array(raw.prefix(headLimit)), hash: ContentHash.hash(raw), count: size)
}

/// Reads from `fd` until end of file through one reused buffer, hashing as it goes: the bytes are
/// never held whole (a 2 MB assembly costs no 2 MB allocation, and no page faults to fill it).
func digestAll(_ fd: Int32, path: WindowsPath, headLimit: Int) throws(Win32Error) -> FileDigest {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: GeneratedContent.chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    var hasher = ContentHash.Hasher()
    var head: [UInt8] = []
    while true {
        let count = try checked("ReadFile", path.description) { read(fd, buffer.baseAddress!, buffer.count) }
        if count == 0 { break }
        let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        if head.count < headLimit { head.append(contentsOf: chunk.prefix(headLimit - head.count)) }
        hasher.update(chunk)
    }
    return FileDigest(head: head, hash: hasher.value, count: hasher.count)
}

/// Reads from `fd` until end of file.
func readAll(_ fd: Int32, path: WindowsPath, limit: Int = .max) throws(Win32Error) -> [UInt8] {
    // Read straight into an array of the size the file has left: one allocation and one read
    // for a 2 MB assembly, not a growing copy of 64 KB chunks.
    var info = stat()
    let position = lseek(fd, 0, SEEK_CUR)
    let expected = fstat(fd, &info) == 0 && position >= 0 ? max(0, Int(info.st_size) - Int(position)) : 0
    var result = [UInt8]()
    if expected > 0 {
        let wanted = min(expected, limit)
        var failure: Win32Error?
        result = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, count in
            while count < wanted {
                let n = read(fd, buffer.baseAddress! + count, wanted - count)
                if n > 0 {
                    count += n
                } else if n == 0 {
                    break
                } else if errno != EINTR {
                    failure = Win32Error(errno: errno, operation: "ReadFile", path: path.description)
                    break
                }
            }
        }
        if let failure { throw failure }
        if result.count < wanted || result.count >= limit { return result }
    }
    // Whatever is left (the file grew, or its size was not known), in chunks.
    var chunk = [UInt8](repeating: 0, count: min(65536, max(limit - result.count, 1)))
    while result.count < limit {
        let wanted = min(chunk.count, limit - result.count)
        let count = try checked("ReadFile", path.description) {
            chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, wanted) }
        }
        if count == 0 { return result }
        result.append(contentsOf: chunk[0..<count])
    }
    return result
}
