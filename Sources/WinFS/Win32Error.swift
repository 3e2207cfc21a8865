import Glibc
import WindowsModel

/// A Win32 error code (what `GetLastError()` would return), with what was being done when it
/// happened. `description` is the name and number, e.g. `ERROR_SHARING_VIOLATION (32)`;
/// `message` adds the operation and the path.
///
/// Two errors are equal when their codes are equal: the context is for people, the code is what
/// programs (and `rig fs` exit statuses) act on.
public struct Win32Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// The Win32 code, e.g. 32 for ERROR_SHARING_VIOLATION.
    public let code: UInt32
    /// What was being done, e.g. `open` or `MoveFileEx`; empty when unknown.
    public var operation: String
    /// The path it was done on (Windows or host spelling); nil when none.
    public var path: String?
    /// Why, in words, when the code alone does not say it (e.g. "a symlink leads outside the machine").
    public var reason: String?
    /// The POSIX errno this was mapped from, 0 when it did not come from a system call.
    public var posixErrno: Int32

    /// An error with `code` and optional context.
    public init(
        _ code: UInt32, operation: String = "", path: String? = nil, reason: String? = nil,
        posixErrno: Int32 = 0
    ) {
        self.code = code
        self.operation = operation
        self.path = path
        self.reason = reason
        self.posixErrno = posixErrno
    }

    /// The error a POSIX `errno` maps to (see `Win32Error.code(forErrno:)`).
    public init(errno value: Int32, operation: String, path: String?) {
        self.init(
            Win32Error.code(forErrno: value), operation: operation, path: path, posixErrno: value)
    }

    /// A path that cannot name a file on the machine: ERROR_INVALID_NAME (123).
    public init(_ pathError: PathError, operation: String = "") {
        self.init(123, operation: operation, path: pathError.path, reason: pathError.reason)
    }

    /// The symbolic name, e.g. `ERROR_SHARING_VIOLATION`; `ERROR_<code>` for a code not in the table.
    public var name: String { Win32Error.names[code] ?? "ERROR_\(code)" }

    /// `ERROR_SHARING_VIOLATION (32)`.
    public var description: String { "\(name) (\(code))" }

    /// `open C:\Windows\x.dll: ERROR_SHARING_VIOLATION (32)`, with the reason when there is one.
    public var message: String {
        var text = ""
        if !operation.isEmpty { text += operation }
        if let path { text += text.isEmpty ? path : " \(path)" }
        if !text.isEmpty { text += ": " }
        text += description
        if let reason { text += " — \(reason)" }
        return text
    }

    /// Equal codes are equal errors, whatever the context.
    public static func == (lhs: Win32Error, rhs: Win32Error) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only (consistent with `==`).
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// ERROR_FILE_NOT_FOUND (2)
    public static let fileNotFound = Win32Error(2)
    /// ERROR_PATH_NOT_FOUND (3)
    public static let pathNotFound = Win32Error(3)
    /// ERROR_TOO_MANY_OPEN_FILES (4)
    public static let tooManyOpenFiles = Win32Error(4)
    /// ERROR_ACCESS_DENIED (5)
    public static let accessDenied = Win32Error(5)
    /// ERROR_INVALID_HANDLE (6)
    public static let invalidHandle = Win32Error(6)
    /// ERROR_NOT_ENOUGH_MEMORY (8)
    public static let notEnoughMemory = Win32Error(8)
    /// ERROR_NOT_SAME_DEVICE (17)
    public static let notSameDevice = Win32Error(17)
    /// ERROR_GEN_FAILURE (31)
    public static let genFailure = Win32Error(31)
    /// ERROR_SHARING_VIOLATION (32)
    public static let sharingViolation = Win32Error(32)
    /// ERROR_LOCK_VIOLATION (33)
    public static let lockViolation = Win32Error(33)
    /// ERROR_HANDLE_EOF (38)
    public static let handleEOF = Win32Error(38)
    /// ERROR_FILE_EXISTS (80)
    public static let fileExists = Win32Error(80)
    /// ERROR_INVALID_PARAMETER (87)
    public static let invalidParameter = Win32Error(87)
    /// ERROR_DISK_FULL (112)
    public static let diskFull = Win32Error(112)
    /// ERROR_INVALID_NAME (123)
    public static let invalidName = Win32Error(123)
    /// ERROR_DIR_NOT_EMPTY (145)
    public static let dirNotEmpty = Win32Error(145)
    /// ERROR_ALREADY_EXISTS (183)
    public static let alreadyExists = Win32Error(183)
    /// ERROR_BAD_EXE_FORMAT (193)
    public static let badExeFormat = Win32Error(193)
    /// ERROR_FILENAME_EXCED_RANGE (206)
    public static let filenameExcedRange = Win32Error(206)
    /// ERROR_DIRECTORY (267): the directory name is invalid (a file where a directory was expected).
    public static let directory = Win32Error(267)

    /// The names of the codes WinFS produces.
    public static let names: [UInt32: String] = [
        2: "ERROR_FILE_NOT_FOUND", 3: "ERROR_PATH_NOT_FOUND", 4: "ERROR_TOO_MANY_OPEN_FILES",
        5: "ERROR_ACCESS_DENIED", 6: "ERROR_INVALID_HANDLE", 8: "ERROR_NOT_ENOUGH_MEMORY",
        17: "ERROR_NOT_SAME_DEVICE", 31: "ERROR_GEN_FAILURE", 32: "ERROR_SHARING_VIOLATION",
        33: "ERROR_LOCK_VIOLATION", 38: "ERROR_HANDLE_EOF", 80: "ERROR_FILE_EXISTS",
        87: "ERROR_INVALID_PARAMETER", 112: "ERROR_DISK_FULL", 123: "ERROR_INVALID_NAME",
        145: "ERROR_DIR_NOT_EMPTY", 183: "ERROR_ALREADY_EXISTS", 193: "ERROR_BAD_EXE_FORMAT",
        206: "ERROR_FILENAME_EXCED_RANGE", 267: "ERROR_DIRECTORY",
    ]

    /// The Win32 code for a POSIX errno, the way Wine's server maps them (file.c/fd.c
    /// `file_set_error`): ENOENT is ERROR_FILE_NOT_FOUND here; callers that know a directory on
    /// the way was missing report ERROR_PATH_NOT_FOUND instead.
    public static func code(forErrno value: Int32) -> UInt32 {
        switch value {
        case ENOENT: return 2
        case ENOTDIR: return 3
        case EMFILE, ENFILE: return 4
        case EACCES, EPERM, EISDIR, EROFS: return 5
        case EBADF: return 6
        case ENOMEM: return 8
        case EXDEV: return 17
        case EAGAIN: return 33
        case EEXIST: return 80
        case EINVAL: return 87
        case ENOSPC, EDQUOT: return 112
        case ELOOP: return 123
        case ENOTEMPTY: return 145
        case ENAMETOOLONG: return 206
        default: return 31
        }
    }
}

/// The one checked-call helper for system calls whose failure is a Win32 error (WinFS and the
/// machine's own files): runs `body` (a system call returning -1 and setting errno on failure;
/// `Int32` or `Int`) again on EINTR, and turns any other failure into a `Win32Error` naming the
/// operation (a `StaticString` or a `String`) and the path. The context is only built on failure.
@inline(__always)
@discardableResult
public func checked<Result: BinaryInteger>(
    _ operation: some CustomStringConvertible, _ path: @autoclosure () -> String? = nil,
    _ body: () -> Result
) throws(Win32Error) -> Result {
    while true {
        let result = body()
        if result >= 0 { return result }
        let value = errno
        if value == EINTR { continue }
        throw Win32Error(errno: value, operation: "\(operation)", path: path())
    }
}
