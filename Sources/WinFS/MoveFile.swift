import CWinFS
import Glibc
import WindowsModel

/// MoveFileEx flags (the MOVEFILE_* values).
public struct MoveFlags: OptionSet, Sendable, Hashable {
    /// The Win32 bits.
    public let rawValue: UInt32
    /// The set with the Win32 bits `rawValue`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// MOVEFILE_REPLACE_EXISTING (0x1): an existing destination is replaced.
    public static let replaceExisting = MoveFlags(rawValue: 0x1)
    /// MOVEFILE_DELAY_UNTIL_REBOOT (0x4): only queue the move for the next boot.
    public static let delayUntilReboot = MoveFlags(rawValue: 0x4)
    /// MOVEFILE_WRITE_THROUGH (0x8): return only once the rename is on disk (fsync of the
    /// destination directory).
    public static let writeThrough = MoveFlags(rawValue: 0x8)
}

// What was checked against Wine (dlls/kernelbase/file.c MoveFileWithProgressW, DeleteFileW,
// copy_file; server/fd.c check_sharing, set_fd_name, set_fd_disposition):
// * MoveFileEx with MOVEFILE_DELAY_UNTIL_REBOOT only queues the pair (add_boot_rename_entry):
//   no open, no existence check. Here the paths are also checked to stay on the machine.
// * Otherwise, no destination is DeleteFile. The source is opened for DELETE with share
//   read|write|delete, so a handle that does not share delete makes it fail with 32.
// * set_fd_name: destination that is the same file → success, nothing done; destination exists
//   without REPLACE_EXISTING → STATUS_OBJECT_NAME_COLLISION (ERROR_ALREADY_EXISTS, 183); a
//   directory, or a file with any open handle or mapping → STATUS_ACCESS_DENIED (5).
// * DeleteFile opens for DELETE with share read|write|delete (32 if a handle does not share
//   delete); set_fd_disposition refuses a mapped file with STATUS_CANNOT_DELETE (5).
// * CopyFile opens the source for read with share read|write|delete, the destination for write
//   with share read|write, CREATE_NEW (fail if exists: 80) or CREATE_ALWAYS.
//
// Approximations of Windows, all documented here:
// * DeleteFile of a file other handles hold (all sharing delete) marks it delete-pending, as
//   Windows does; its name goes when the next operation meeting it finds no holder left (see
//   DeletePending.swift), not at the very moment the last handle closes.
// * Names are matched ignoring case (MachineRoot.openBeneath): a destination that exists in
//   another case is the destination, and keeps its case when replaced (as Wine's rename over the
//   name it found does); a destination that is the source itself in another case renames it in
//   place, changing the case of its name.
// * Between the check that the name still names the locked inode and the unlink/rename, another
//   process could rename the file (outside any handle); the window is two system calls.

extension MachineRoot {
    /// MoveFileEx: renames `source` to `destination`, or deletes `source` when `destination` is
    /// nil (see the notes above). With `.delayUntilReboot` only checks both paths stay on the
    /// machine and appends the pair to `store` (ERROR_INVALID_PARAMETER (87) without a store).
    public func moveFile(
        _ source: WindowsPath, to destination: WindowsPath?, flags: MoveFlags = [],
        store: (any PendingRenameStore)? = nil
    ) throws(Win32Error) {
        if flags.contains(.delayUntilReboot) {
            guard let store else {
                throw Win32Error(
                    87, operation: "MoveFileEx", path: source.description,
                    reason: "MOVEFILE_DELAY_UNTIL_REBOOT needs the machine's pending-rename store")
            }
            try checkStaysOnMachine(source)
            if let destination { try checkStaysOnMachine(destination) }
            let rename = PendingRename(
                source: source, destination: destination,
                replaceExisting: flags.contains(.replaceExisting))
            do {
                try store.append(rename)
            } catch let error as Win32Error {
                throw error
            } catch {
                throw Win32Error(
                    31, operation: "MoveFileEx", path: source.description,
                    reason: "queueing the rename for the next boot failed: \(error)")
            }
            return
        }
        guard let destination else { return try deleteFile(source, operation: "MoveFileEx") }
        try rename(
            source, to: destination, replace: flags.contains(.replaceExisting),
            writeThrough: flags.contains(.writeThrough))
    }

    /// DeleteFile: ERROR_SHARING_VIOLATION (32) when a handle does not share delete,
    /// ERROR_ACCESS_DENIED (5) when the file is loaded as an image, is a directory or is already
    /// delete-pending, 2 / 3 when missing. When other handles (all sharing delete) hold it, the
    /// file becomes delete-pending: the name stays, new opens fail with 5, and it goes once no
    /// handle holds it (see `DeletePending`); with no other handle it is unlinked at once.
    public func deleteFile(_ path: WindowsPath) throws(Win32Error) {
        try deleteFile(path, operation: "DeleteFile")
    }

    /// CopyFile: copies `source` to `destination` through handles (source: read, share
    /// read|write|delete; destination: write, share read|write, CREATE_NEW when `failIfExists`
    /// — ERROR_FILE_EXISTS (80) — else CREATE_ALWAYS).
    public func copyFile(_ source: WindowsPath, to destination: WindowsPath, failIfExists: Bool) throws(Win32Error) {
        let input = try open(source, access: .read, share: .all)
        defer { input.close() }
        if !failIfExists, let existing = try? fileIdentity(destination), existing == (try input.identity()) {
            throw Win32Error(32, operation: "CopyFile", path: destination.description, reason: "source and destination are the same file")
        }
        let output = try open(
            destination, access: .write, share: [.read, .write],
            disposition: failIfExists ? .createNew : .createAlways)
        defer { output.close() }
        try output.writeContents(of: input)
    }

    /// FlushFileBuffers on `path` through a handle of its own (write, sharing read and write):
    /// what was written to it is on disk, safe from a power loss (see `WriteCache`).
    public func flushFile(_ path: WindowsPath) throws(Win32Error) {
        let file = try open(path, access: .write, share: [.read, .write])
        defer { file.close() }
        try file.flush()
    }

    /// Creates a new file at `path` holding `bytes`, through a handle (write, share `share`,
    /// CREATE_NEW: ERROR_FILE_EXISTS (80) if it exists), and closes it.
    public func createFile(_ path: WindowsPath, contents bytes: [UInt8], share: ShareMode = .none) throws(Win32Error) {
        let file = try open(path, access: .write, share: share, disposition: .createNew)
        defer { file.close() }
        try file.write(bytes)
    }

    /// `createFile` of generated content, written a chunk at a time.
    public func createFile(_ path: WindowsPath, contents: GeneratedContent, share: ShareMode = .none) throws(Win32Error) {
        let file = try open(path, access: .write, share: share, disposition: .createNew)
        defer { file.close() }
        try file.write(contents, 0..<contents.count)
    }

    /// Renames `path` aside in its directory, the way installers move an in-use file out of the
    /// way: to `<name>.~<n>` for the first free n (MoveFileEx without REPLACE_EXISTING, so the
    /// same share rules apply: 32 when a handle does not share delete). Returns the new path.
    public func renameAside(_ path: WindowsPath) throws(Win32Error) -> WindowsPath {
        guard let name = path.name, let parent = path.parent else {
            throw Win32Error(123, operation: "MoveFileEx", path: path.description, reason: "names the drive root")
        }
        for n in 1...10_000 {
            let aside = parent.appending("\(name).~\(n)")
            do {
                try moveFile(path, to: aside)
                return aside
            } catch {
                guard error.code == 183 else { throw error }
            }
        }
        throw Win32Error(183, operation: "MoveFileEx", path: path.description, reason: "no free name to rename it aside")
    }

    // MARK: Internals

    /// Refuses a path whose existing part leads outside the machine (for delayed moves, which
    /// need not exist yet).
    func checkStaysOnMachine(_ path: WindowsPath) throws(Win32Error) {
        var prefix = path
        while let parent = prefix.parent {
            do {
                let fd = try openBeneath(parent, flags: CWINFS_O_PATH, operation: "MoveFileEx")
                close(fd)
                break
            } catch {
                guard error.code == 2 || error.code == 3 else {
                    throw Win32Error(
                        error.code, operation: "MoveFileEx", path: path.description, reason: error.reason, posixErrno: error.posixErrno)
                }
                prefix = parent
            }
        }
        if let name = path.name, let parent = path.parent,
            let fd = try? openBeneath(parent, flags: O_RDONLY | O_DIRECTORY, operation: "MoveFileEx")
        {
            defer { close(fd) }
            // An existing symbolic link as the last component must stay on the machine too.
            var info = stat()
            if fstatat(fd, entryName(in: fd, matching: name) ?? name, &info, AT_SYMLINK_NOFOLLOW) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
            {
                do {
                    let target = try openBeneath(path, flags: CWINFS_O_PATH, operation: "MoveFileEx")
                    close(target)
                } catch {
                    if error.code == 123 { throw error }
                }
            }
        }
    }

    /// The Windows 9x rule (`hardLocksInUseFiles`): a file open by any other handle or loaded as
    /// an image cannot be renamed or deleted, whatever the share modes (Windows 9x has no
    /// FILE_SHARE_DELETE and no rename of an in-use file): ERROR_SHARING_VIOLATION (32).
    /// Checked under the file's gate; the caller's own descriptor does not count.
    func checkNotInUseOn9x(_ fd: Int32, _ path: WindowsPath, operation: String) throws(Win32Error) {
        guard hardLocksInUseFiles else { return }
        if try ShareLock.anyHeld(fd, ShareLock.open | ShareLock.image, path) {
            throw Win32Error(
                32, operation: operation, path: path.description,
                reason: "Windows 9x: the file is open or loaded by a process, so it cannot be renamed or deleted")
        }
    }

    /// Whether the descriptors `a` and `b` are on the same file (or directory).
    func sameFile(_ a: Int32, _ b: Int32) -> Bool {
        var x = stat()
        var y = stat()
        guard fstat(a, &x) == 0, fstat(b, &y) == 0 else { return false }
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    /// Whether `name` in `parent` is still the file `fd` is open on.
    func stillNames(_ parent: Int32, _ name: String, _ fd: Int32) -> Bool {
        var named = stat()
        var opened = stat()
        guard fstatat(parent, name, &named, AT_SYMLINK_NOFOLLOW) == 0, fstat(fd, &opened) == 0 else { return false }
        return named.st_dev == opened.st_dev && named.st_ino == opened.st_ino
    }

    func deleteFile(_ path: WindowsPath, operation: StaticString) throws(Win32Error) {
        let fd = try openBeneath(path, flags: O_RDONLY | O_NOFOLLOW, operation: operation)
        defer { close(fd) }
        var info = stat()
        try checked(operation, path.description) { fstat(fd, &info) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw Win32Error(5, operation: "\(operation)", path: path.description, reason: "it is a directory")
        }
        switch try deletePendingState(fd, path, operation: operation) {
        case .none: break
        case .completed: throw Win32Error(2, operation: "\(operation)", path: path.description)
        case .held: throw DeletePending.error(path, operation: "\(operation)")
        }
        let (parent, name) = try openParent(path, operation: operation)
        defer { close(parent) }
        // The delete open (DELETE, share read|write|delete), then the disposition, under the gate.
        try ShareLock.acquire(
            fd, check: .delete, share: .all, holdMask: ShareLock.holdMask(access: .delete, share: .all),
            path: path, operation: operation
        ) { () throws(Win32Error) in
            if try ShareLock.anyHeld(fd, ShareLock.image, path) {
                throw Win32Error(
                    5, operation: "\(operation)", path: path.description,
                    reason: "the file is loaded as an image (STATUS_CANNOT_DELETE)")
            }
            try checkNotInUseOn9x(fd, path, operation: "\(operation)")
            guard stillNames(parent, name, fd) else {
                throw Win32Error(2, operation: "\(operation)", path: path.description, reason: "renamed while being deleted")
            }
            // Other handles (all sharing delete, or the delete open had failed) hold it: the
            // disposition only marks it, and the name stays until they are gone.
            if try DeletePending.isHeld(fd, path), try DeletePending.mark(fd, path, operation: operation) { return }
            try checked(operation, path.description) { unlinkat(parent, name, 0) }
        }
    }

    func rename(_ source: WindowsPath, to destination: WindowsPath, replace: Bool, writeThrough: Bool) throws(Win32Error) {
        let fd = try openBeneath(source, flags: O_RDONLY | O_NOFOLLOW, operation: "MoveFileEx")
        defer { close(fd) }
        // The source's delete open fails on a delete-pending file; a destination whose delete
        // has completed is free (one still held is an open file: 5, or 183 without replace).
        switch try deletePendingState(fd, source, operation: "MoveFileEx") {
        case .none: break
        case .completed: throw Win32Error(2, operation: "MoveFileEx", path: source.description)
        case .held: throw DeletePending.error(source, operation: "MoveFileEx")
        }
        completePendingDelete(destination)
        let (sourceParent, sourceName) = try openParent(source, operation: "MoveFileEx")
        defer { close(sourceParent) }
        let (targetParent, _) = try openParentDirectory(destination, operation: "MoveFileEx")
        defer { close(targetParent) }
        let givenName = destination.name ?? ""
        while true {
            let done = try ShareLock.acquire(
                fd, check: .delete, share: .all, holdMask: ShareLock.holdMask(access: .delete, share: .all),
                path: source, operation: "MoveFileEx"
            ) { () throws(Win32Error) -> Bool in
                guard stillNames(sourceParent, sourceName, fd) else {
                    throw Win32Error(2, operation: "MoveFileEx", path: source.description, reason: "renamed while being moved")
                }
                try checkNotInUseOn9x(fd, source, operation: "MoveFileEx")
                // The destination's name as it is in its directory: as given (the usual case, one
                // fstatat), else of another case, else a new name — the last two looked up (one
                // directory scan) and the new name added under the directory's entry lock.
                var targetName = givenName
                var target = stat()
                if fstatat(targetParent, givenName, &target, AT_SYMLINK_NOFOLLOW) != 0 {
                    let value = errno
                    guard value == ENOENT else {
                        throw Win32Error(errno: value, operation: "MoveFileEx", path: destination.description)
                    }
                    // The source's gate is held: the entry lock is only tried (look again when busy).
                    let locked = tryEntryLock(targetParent) { () -> (String?, Int32, Int32) in
                        if let existing = entryName(in: targetParent, matching: givenName) { return (existing, -1, 0) }
                        let result = cwinfs_renameat2(sourceParent, sourceName, targetParent, givenName, CWINFS_RENAME_NOREPLACE)
                        return (nil, result, result == 0 ? 0 : errno)
                    }
                    guard let (existing, result, failure) = locked else { return false }
                    guard let existing else {
                        if result == 0 { return true }
                        if failure == EEXIST { return false }  // created meanwhile: look again
                        throw Win32Error(errno: failure, operation: "MoveFileEx", path: destination.description)
                    }
                    targetName = existing
                    guard fstatat(targetParent, targetName, &target, AT_SYMLINK_NOFOLLOW) == 0 else { return false }  // gone: look again
                }
                var opened = stat()
                _ = fstat(fd, &opened)
                if target.st_dev == opened.st_dev && target.st_ino == opened.st_ino {
                    // The destination is the source under another case (MoveFileEx("a.dll",
                    // "A.DLL")): Windows renames it in place, changing the case of its name.
                    if targetName == sourceName, targetName != givenName, sameFile(sourceParent, targetParent) {
                        try checked("MoveFileEx", destination.description) {
                            renameat(sourceParent, sourceName, targetParent, givenName)
                        }
                    }
                    return true  // same file
                }
                guard replace else {
                    throw Win32Error(183, operation: "MoveFileEx", path: destination.description)
                }
                let kind = target.st_mode & S_IFMT
                if kind == S_IFDIR {
                    throw Win32Error(5, operation: "MoveFileEx", path: destination.description, reason: "the destination is a directory")
                }
                if kind == S_IFREG {
                    // The target must not be open (by any handle) nor loaded: checked under its gate.
                    let targetFD = openat(targetParent, targetName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                    guard targetFD >= 0 else { return false }  // gone meanwhile: look again
                    defer { close(targetFD) }
                    // Gates are taken source first; the second without blocking, so two moves in
                    // opposite directions cannot deadlock.
                    guard try ShareLock.tryGate(targetFD, destination) else { return false }
                    defer { ShareLock.ungate(targetFD) }
                    guard stillNames(targetParent, targetName, targetFD) else { return false }
                    if try ShareLock.anyHeld(targetFD, ShareLock.open | ShareLock.image, destination) {
                        throw Win32Error(
                            5, operation: "MoveFileEx", path: destination.description,
                            reason: "the destination is open or loaded as an image")
                    }
                }
                try checked("MoveFileEx", destination.description) {
                    renameat(sourceParent, sourceName, targetParent, targetName)
                }
                return true
            }
            if done { break }
            sched_yield()
        }
        if writeThrough {
            try checked("MoveFileEx", destination.description) { fsync(targetParent) }
        }
    }
}
