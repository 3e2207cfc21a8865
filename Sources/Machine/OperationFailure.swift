import WinFS

/// Why an operation of the installer or of the boot failed, as its result reads: a Windows code
/// by name and number — a Win32 error (`ERROR_SHARING_VIOLATION (32)`) or a Windows Installer
/// code (`ERROR_INSTALL_ALREADY_RUNNING (1618)`) — then what went wrong, when there is more to
/// say (`ERROR_GEN_FAILURE (31): database is locked`). Hosts record it; a `rig-worker` records
/// it as the operation's failed `Wire.OperationResult` (code, name and detail, as they are here).
public struct OperationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Win32 error or Windows Installer code, e.g. 32.
    public var code: Int32
    /// Its symbolic name, e.g. `ERROR_SHARING_VIOLATION`.
    public var name: String
    /// More words, read after the name and code; empty when the code says it all.
    public var detail: String

    public init(code: Int32, name: String, detail: String = "") {
        self.code = code
        self.name = name
        self.detail = detail
    }

    /// A Win32 error by its name and code. Its operation, path and reason are for logs
    /// (`Win32Error.message`): the result reads as `Win32Error.description` does.
    public init(_ error: Win32Error) {
        self.init(code: Int32(bitPattern: error.code), name: error.name)
    }

    /// Any error: an `OperationFailure` as it is, a Win32 error as above, anything else (a
    /// registry or I/O error of the machine's own files) as ERROR_GEN_FAILURE (31) with its text.
    public init(_ error: any Error) {
        if let failure = error as? OperationFailure {
            self = failure
        } else if let win32 = error as? Win32Error {
            self.init(win32)
        } else {
            self.init(Win32Error.genFailure, detail: "\(error)")
        }
    }

    /// A Win32 error by its name and code, with `detail`.
    public init(_ error: Win32Error, detail: String) {
        self.init(code: Int32(bitPattern: error.code), name: error.name, detail: detail)
    }

    /// Runs `body`, turning whatever it throws into an `OperationFailure` (see `init(_:)`).
    public static func catching<T>(_ body: () throws -> T) throws(OperationFailure) -> T {
        do { return try body() } catch { throw OperationFailure(error) }
    }

    /// `ERROR_SHARING_VIOLATION (32)`, `ERROR_GEN_FAILURE (31): database is locked`.
    public var description: String { detail.isEmpty ? "\(name) (\(code))" : "\(name) (\(code)): \(detail)" }
}
