import CWinFS
import Glibc
import WindowsModel

/// The data access a handle asks for (CreateFile's dwDesiredAccess, reduced to what counts for
/// sharing): read (read data / execute), write (write data / append), delete.
public struct Access: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The Win32 bits.
    public let rawValue: UInt32
    /// The set with the Win32 bits `rawValue`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// FILE_READ_DATA / FILE_EXECUTE (GENERIC_READ, GENERIC_EXECUTE).
    public static let read = Access(rawValue: 1)
    /// FILE_WRITE_DATA / FILE_APPEND_DATA (GENERIC_WRITE).
    public static let write = Access(rawValue: 2)
    /// DELETE.
    public static let delete = Access(rawValue: 4)
    /// No data access (e.g. only reading attributes): such a handle neither blocks nor is blocked.
    public static let none: Access = []
    /// read | write | delete.
    public static let all: Access = [.read, .write, .delete]

    /// Parses a comma list of `read`, `write`, `delete`, `none` (e.g. `read,delete`); nil when a
    /// name is unknown.
    public init?(list: String) {
        guard let bits = parseAccessList(list) else { return nil }
        self.init(rawValue: bits)
    }

    /// `read,write`, or `none`.
    public var description: String { accessListDescription(rawValue) }
}

/// The access a handle lets other handles have at the same time (CreateFile's dwShareMode):
/// FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SHARE_DELETE.
public struct ShareMode: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The Win32 bits.
    public let rawValue: UInt32
    /// The set with the Win32 bits `rawValue`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// FILE_SHARE_READ
    public static let read = ShareMode(rawValue: 1)
    /// FILE_SHARE_WRITE
    public static let write = ShareMode(rawValue: 2)
    /// FILE_SHARE_DELETE
    public static let delete = ShareMode(rawValue: 4)
    /// 0: exclusive.
    public static let none: ShareMode = []
    /// FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE.
    public static let all: ShareMode = [.read, .write, .delete]

    /// Parses a comma list of `read`, `write`, `delete`, `none`; nil when a name is unknown.
    public init?(list: String) {
        guard let bits = parseAccessList(list) else { return nil }
        self.init(rawValue: bits)
    }

    /// `read,delete`, or `none`.
    public var description: String { accessListDescription(rawValue) }
}

/// Whether a handle of (`access`, `share`) may be opened next to one of (`existingAccess`,
/// `existingShare`) — the rule of Wine's server/fd.c `check_sharing`, pairwise: only data access
/// counts; a handle with no data access neither blocks nor is blocked; otherwise the new access
/// must be within the existing share mode and the existing access within the new share mode.
public func shareModesAllow(
    existingAccess: Access, existingShare: ShareMode, access: Access, share: ShareMode
) -> Bool {
    if access.isEmpty || existingAccess.isEmpty { return true }
    return ShareMode(rawValue: access.rawValue).isSubset(of: existingShare)
        && ShareMode(rawValue: existingAccess.rawValue).isSubset(of: share)
}

/// What CreateFile does when the file exists or not (dwCreationDisposition).
public enum CreationDisposition: String, Sendable, CaseIterable {
    /// CREATE_NEW: create; ERROR_FILE_EXISTS (80) if it exists.
    case createNew
    /// CREATE_ALWAYS: create, or truncate the existing file.
    case createAlways
    /// OPEN_EXISTING: open; ERROR_FILE_NOT_FOUND (2) if missing.
    case openExisting
    /// OPEN_ALWAYS: open, or create when missing.
    case openAlways
    /// TRUNCATE_EXISTING: open and truncate; ERROR_FILE_NOT_FOUND (2) if missing.
    case truncateExisting

    var creates: Bool { self == .createNew || self == .createAlways || self == .openAlways }
    var truncates: Bool { self == .createAlways || self == .truncateExisting }
}

private func parseAccessList(_ list: String) -> UInt32? {
    var bits: UInt32 = 0
    for name in list.split(separator: ",", omittingEmptySubsequences: false) {
        switch name.lowercased() {
        case "read": bits |= 1
        case "write": bits |= 2
        case "delete": bits |= 4
        case "none": break
        default: return nil
        }
    }
    return bits
}

private func accessListDescription(_ bits: UInt32) -> String {
    var names: [String] = []
    if bits & 1 != 0 { names.append("read") }
    if bits & 2 != 0 { names.append("write") }
    if bits & 4 != 0 { names.append("delete") }
    return names.isEmpty ? "none" : names.joined(separator: ",")
}

/// How share modes live in the kernel: open file description (OFD) locks on reserved bytes of
/// the file itself, far beyond any data (from 2^62). OFD locks belong to the open file
/// description, so they conflict between two descriptions in one process as between processes
/// (two Windows handles in one process conflict too), stay on the inode through renames, and are
/// dropped by the kernel when the description is closed or its process dies.
///
/// Each handle with data access holds a shared (read) lock on one byte per access it has
/// (`accessRead`...) and one byte per access it does NOT share (`denyRead`...); every handle holds
/// `open`; an image section holds `image`. A new open tests (F_OFD_GETLK) the bytes its request
/// conflicts with: `access*` for what it does not share, `deny*` for what it asks, and `image` if
/// it asks for write. Testing then taking happens under a gate — an exclusive flock(2) on the
/// file — so two opens cannot interleave. flock is used for the gate instead of an exclusive OFD
/// lock because an exclusive OFD lock needs a descriptor open for writing, and read-only handles
/// must be able to take the gate; flock and OFD locks are independent on Linux (local files).
enum ShareLock {
    /// First reserved byte. Data never reaches it (2^62 bytes).
    static let base: Int64 = 1 << 62

    static let accessRead: UInt8 = 1 << 0
    static let accessWrite: UInt8 = 1 << 1
    static let accessDelete: UInt8 = 1 << 2
    static let denyRead: UInt8 = 1 << 3
    static let denyWrite: UInt8 = 1 << 4
    static let denyDelete: UInt8 = 1 << 5
    /// Held by every handle (even without data access): "the file is open" (MoveFileEx target).
    static let open: UInt8 = 1 << 6
    /// Held by image sections.
    static let image: UInt8 = 1 << 7

    /// The bytes a new open of (`access`, `share`) must find free.
    static func conflictMask(access: Access, share: ShareMode) -> UInt8 {
        guard !access.isEmpty else { return 0 }
        var mask: UInt8 = 0
        if !share.contains(.read) { mask |= accessRead }
        if !share.contains(.write) { mask |= accessWrite }
        if !share.contains(.delete) { mask |= accessDelete }
        if access.contains(.read) { mask |= denyRead }
        if access.contains(.write) { mask |= denyWrite | image }  // an image section blocks write
        if access.contains(.delete) { mask |= denyDelete }
        return mask
    }

    /// The bytes a handle of (`access`, `share`) holds.
    static func holdMask(access: Access, share: ShareMode) -> UInt8 {
        guard !access.isEmpty else { return open }
        var mask = open
        if access.contains(.read) { mask |= accessRead }
        if access.contains(.write) { mask |= accessWrite }
        if access.contains(.delete) { mask |= accessDelete }
        if !share.contains(.read) { mask |= denyRead }
        if !share.contains(.write) { mask |= denyWrite }
        if !share.contains(.delete) { mask |= denyDelete }
        return mask
    }

    /// Takes the gate of the file `fd` is open on (blocks while another open holds it).
    static func gate(_ fd: Int32, _ path: WindowsPath) throws(Win32Error) {
        try checked("flock", path.description) { flock(fd, LOCK_EX) }
    }

    /// Tries the gate without blocking; false when another open holds it.
    static func tryGate(_ fd: Int32, _ path: WindowsPath) throws(Win32Error) -> Bool {
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            let value = errno
            if value == EINTR { continue }
            if value == EWOULDBLOCK { return false }
            throw Win32Error(errno: value, operation: "flock", path: path.description)
        }
    }

    static func ungate(_ fd: Int32) { _ = flock(fd, LOCK_UN) }

    /// Whether another open file description holds a lock on any byte of `mask`.
    static func anyHeld(_ fd: Int32, _ mask: UInt8, _ path: WindowsPath) throws(Win32Error) -> Bool {
        var bits = mask
        var start: Int64 = 0
        while bits != 0 {
            // One F_OFD_GETLK per run of adjacent bytes.
            let skip = Int64(bits.trailingZeroBitCount)
            start += skip
            bits >>= UInt8(skip)
            let run = Int64((~bits).trailingZeroBitCount)
            let found = try checked("F_OFD_GETLK", path.description) {
                cwinfs_ofd_conflicts(fd, Int16(F_WRLCK), base + start, run)
            }
            if found != 0 { return true }
            start += run
            bits = run >= 8 ? 0 : bits >> UInt8(run)
        }
        return false
    }

    /// Takes shared locks on every byte of `mask` for `fd`'s open file description.
    static func hold(_ fd: Int32, _ mask: UInt8, _ path: WindowsPath) throws(Win32Error) {
        var bits = mask
        var start: Int64 = 0
        while bits != 0 {
            let skip = Int64(bits.trailingZeroBitCount)
            start += skip
            bits >>= UInt8(skip)
            let run = Int64((~bits).trailingZeroBitCount)
            try checked("F_OFD_SETLK", path.description) {
                cwinfs_ofd_setlock(fd, Int16(F_RDLCK), base + start, run, 0)
            }
            start += run
            bits = run >= 8 ? 0 : bits >> UInt8(run)
        }
    }

    /// Releases every reserved byte `fd`'s description holds.
    static func releaseAll(_ fd: Int32) {
        _ = cwinfs_ofd_setlock(fd, Int16(F_UNLCK), base, 8, 0)
    }

    /// Under the gate of `fd`'s file: fails with ERROR_ACCESS_DENIED (5) if the file is
    /// delete-pending, with ERROR_SHARING_VIOLATION (32) if a handle conflicts
    /// with (`check`, `share`), otherwise takes `holdMask` for `fd`, then runs `body` still gated.
    static func acquire<T>(
        _ fd: Int32, check: Access, share: ShareMode, holdMask: UInt8, path: WindowsPath,
        operation: StaticString, _ body: () throws(Win32Error) -> T
    ) throws(Win32Error) -> T {
        try gate(fd, path)
        defer { ungate(fd) }
        // Marked by a DeleteFile since the caller looked (see DeletePending): STATUS_DELETE_PENDING.
        if DeletePending.isMarked(fd) { throw DeletePending.error(path, operation: "\(operation)") }
        if try anyHeld(fd, conflictMask(access: check, share: share), path) {
            throw Win32Error(
                32, operation: "\(operation)", path: path.description,
                reason: "a handle (or a loaded image) conflicts with access \(check), share \(share)")
        }
        try hold(fd, holdMask, path)
        return try body()
    }
}
