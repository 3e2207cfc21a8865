import CWinFS
import Glibc
import WindowsModel

/// An open Windows file handle: a POSIX descriptor on the file, with the share-mode locks its
/// (access, share mode) holds. Closing it (or its process dying) releases them. Not thread-safe:
/// one handle is used by one thread at a time.
public final class WinFile {
    /// The path it was opened by (the file may have been renamed since: the handle follows it).
    public let path: WindowsPath
    /// The data access it was granted.
    public let access: Access
    /// The share mode it was opened with.
    public let share: ShareMode
    /// Whether this open created the file (CreateFile sets ERROR_ALREADY_EXISTS as the last error
    /// on success of CREATE_ALWAYS / OPEN_ALWAYS when it did not).
    public let created: Bool
    /// The POSIX descriptor, -1 once closed.
    public private(set) var descriptor: Int32
    /// The machine it was opened on, whose `WriteCache` notes what it writes.
    private let root: MachineRoot

    init(root: MachineRoot, path: WindowsPath, access: Access, share: ShareMode, created: Bool, descriptor: Int32) {
        self.root = root
        self.path = path
        self.access = access
        self.share = share
        self.created = created
        self.descriptor = descriptor
    }

    deinit { close() }

    /// CloseHandle: releases the handle's share-mode locks. Closing twice does nothing.
    public func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    /// Whether the handle is still open.
    public var isOpen: Bool { descriptor >= 0 }

    private func usable(_ needed: Access, _ operation: StaticString) throws(Win32Error) -> Int32 {
        guard descriptor >= 0 else { throw Win32Error(6, operation: "\(operation)", path: path.description) }
        guard access.contains(needed) else {
            throw Win32Error(
                5, operation: "\(operation)", path: path.description,
                reason: "the handle was opened without \(needed) access")
        }
        return descriptor
    }

    /// ReadFile: up to `count` bytes from the current position (fewer at end of file).
    public func read(upTo count: Int) throws(Win32Error) -> [UInt8] {
        let fd = try usable(.read, "ReadFile")
        var buffer = [UInt8](repeating: 0, count: max(count, 0))
        let got = try checked("ReadFile", path.description) {
            buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
        }
        buffer.removeSubrange(got...)
        return buffer
    }

    /// Reads from the current position to the end of the file.
    public func readToEnd() throws(Win32Error) -> [UInt8] {
        let fd = try usable(.read, "ReadFile")
        return try readAll(fd, path: path)
    }

    /// Reads from the current position to the end of the file a chunk at a time: the first
    /// `headLimit` bytes, and the hash and length of all of it.
    public func digestToEnd(headLimit: Int) throws(Win32Error) -> FileDigest {
        let fd = try usable(.read, "ReadFile")
        // A handle that does not share write keeps every writer out for as long as it is open
        // (no other handle with write access can exist or be opened), so the file cannot shrink
        // under a mapping of it: read through one, with no copy. Otherwise, a chunk at a time.
        if !share.contains(.write), lseek(fd, 0, SEEK_CUR) == 0, let digest = try digestMapped(fd, path: path, headLimit: headLimit) {
            return digest
        }
        return try digestAll(fd, path: path, headLimit: headLimit)
    }

    /// WriteFile: writes all of `bytes` at the current position. Until the file is flushed (or
    /// the lazy writer's interval has passed), a power loss takes them away (see `WriteCache`).
    public func write(_ bytes: [UInt8]) throws(Win32Error) { try write(bytes[...]) }

    /// WriteFile of part of an array, without copying it.
    public func write(_ bytes: ArraySlice<UInt8>) throws(Win32Error) {
        let fd = try usable(.write, "WriteFile")
        WriteCache.noteWrite(machine: root.descriptor, fd: fd, offset: Int64(lseek(fd, 0, SEEK_CUR)), length: bytes.count)
        try writeAll(fd, bytes, path: path)
    }

    /// WriteFile of `range` of `content` at the current position, generated a chunk at a time
    /// (`observe` sees each chunk written, in order). As with `write`, it is lost to a power loss
    /// until flushed.
    public func write(
        _ content: GeneratedContent, _ range: Range<Int>, observe: (UnsafeRawBufferPointer) -> Void = { _ in }
    ) throws(Win32Error) {
        let fd = try usable(.write, "WriteFile")
        WriteCache.noteWrite(machine: root.descriptor, fd: fd, offset: Int64(lseek(fd, 0, SEEK_CUR)), length: range.count)
        try content.forEachChunk(of: range) { (chunk) throws(Win32Error) in
            try writeAll(fd, chunk, path: path)
            observe(chunk)
        }
    }

    /// WriteFile of everything `source` holds, from its start, at the current position: CopyFile's
    /// data, copied by the kernel (sendfile) rather than through a buffer. As with `write`, it is
    /// lost to a power loss until flushed.
    public func writeContents(of source: WinFile) throws(Win32Error) {
        let input = try source.usable(.read, "ReadFile")
        let fd = try usable(.write, "WriteFile")
        var info = stat()
        _ = try checked("ReadFile", source.path.description) { fstat(input, &info) }
        var left = Int(info.st_size)
        WriteCache.noteWrite(machine: root.descriptor, fd: fd, offset: Int64(lseek(fd, 0, SEEK_CUR)), length: left)
        var offset = off_t(0)
        while left > 0 {
            let copied = try checked("WriteFile", path.description) { sendfile(fd, input, &offset, left) }
            if copied == 0 { break }  // the source shrank meanwhile
            left -= copied
        }
    }

    /// SetFilePointerEx(FILE_BEGIN): moves the position to `offset`.
    public func seek(to offset: Int64) throws(Win32Error) {
        guard descriptor >= 0 else { throw Win32Error(6, operation: "SetFilePointer", path: path.description) }
        let fd = descriptor
        _ = try checked("SetFilePointer", path.description) { Int(lseek(fd, off_t(offset), SEEK_SET)) }
    }

    /// SetEndOfFile at `length` (needs write access).
    public func setLength(_ length: Int64) throws(Win32Error) {
        let fd = try usable(.write, "SetEndOfFile")
        try checked("SetEndOfFile", path.description) { ftruncate(fd, off_t(length)) }
    }

    /// FlushFileBuffers (needs write access).
    public func flush() throws(Win32Error) {
        let fd = try usable(.write, "FlushFileBuffers")
        try checked("FlushFileBuffers", path.description) { fsync(fd) }
        WriteCache.noteFlush(machine: root.descriptor, fd: fd)
    }

    /// The file's identity and size now (GetFileInformationByHandle).
    public func identity() throws(Win32Error) -> FileIdentity {
        guard descriptor >= 0 else { throw Win32Error(6, operation: "GetFileInformationByHandle", path: path.description) }
        return try FileIdentity(descriptor: descriptor, path: path)
    }
}

extension MachineRoot {
    /// CreateFile: opens (or creates) `path` with `access` and `share` under `disposition`.
    ///
    /// Fails with ERROR_SHARING_VIOLATION (32) when a handle on the same file — in this process
    /// or another — conflicts (see `shareModesAllow`), or when `access` has write and the file is
    /// loaded as an image. ERROR_FILE_NOT_FOUND (2) / ERROR_PATH_NOT_FOUND (3) when missing,
    /// ERROR_FILE_EXISTS (80) for CREATE_NEW on an existing file, ERROR_ACCESS_DENIED (5) for a
    /// directory and for a delete-pending file (any disposition; see `DeletePending`: once no
    /// handle holds it, its name is free again).
    ///
    /// Approximation: CREATE_ALWAYS and TRUNCATE_EXISTING are share-checked as if `access` had
    /// write, since they write the file (Wine reports ERROR_USER_MAPPED_FILE for a truncating
    /// open of a mapped file without write access; here it is 32).
    public func open(
        _ path: WindowsPath, access: Access, share: ShareMode,
        disposition: CreationDisposition = .openExisting
    ) throws(Win32Error) -> WinFile {
        let check = disposition.truncates ? access.union(.write) : access
        let mode = check.contains(.write) ? O_RDWR : O_RDONLY
        var created = false
        var fd: Int32 = -1
        // Create exclusively first so that `created` is known, then fall back to opening.
        while fd < 0 {
            if disposition.creates {
                do {
                    fd = try openBeneath(path, flags: mode | O_CREAT | O_EXCL, operation: "CreateFile")
                    created = true
                    break
                } catch {
                    guard error.posixErrno == EEXIST else { throw error }
                }
            }
            let existing: Int32
            do {
                existing = try openBeneath(path, flags: mode, operation: "CreateFile")
            } catch {
                // Removed between the two attempts: try creating again.
                if disposition.creates && error.code == 2 { continue }
                // CREATE_NEW on a name taken by something that cannot be opened (a directory).
                if disposition == .createNew { throw Win32Error(80, operation: "CreateFile", path: path.description, posixErrno: EEXIST) }
                throw error
            }
            // A delete-pending name: refused while held (5, CREATE_NEW included), free once not.
            let state: DeletePendingOutcome
            do { state = try deletePendingState(existing, path, operation: "CreateFile") } catch {
                Glibc.close(existing)
                throw error
            }
            switch state {
            case .none:
                if disposition == .createNew {
                    Glibc.close(existing)
                    throw Win32Error(80, operation: "CreateFile", path: path.description, posixErrno: EEXIST)
                }
                fd = existing
            case .completed:
                Glibc.close(existing)
                guard disposition.creates else { throw Win32Error(2, operation: "CreateFile", path: path.description) }
            case .held:
                Glibc.close(existing)
                throw DeletePending.error(path, operation: "CreateFile")
            }
        }
        let descriptor = fd
        do {
            try ShareLock.acquire(
                descriptor, check: check, share: share,
                holdMask: ShareLock.holdMask(access: access, share: share), path: path,
                operation: "CreateFile"
            ) { () throws(Win32Error) in
                if disposition.truncates && !created {
                    try checked("CreateFile", path.description) { ftruncate(descriptor, 0) }
                }
            }
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        return WinFile(root: self, path: path, access: access, share: share, created: created, descriptor: descriptor)
    }
}
