import ArgumentParser
import Machine
import WinFS
import WindowsModel

/// `rig fs`: Windows file operations on a machine, as a simulated process would do them.
///
/// Exit status: 0 on success; the Win32 code of a failed operation (32, 5, 2, 3, 80, 183, ...)
/// with `ERROR_NAME (N)` on stderr; 123 (ERROR_INVALID_NAME) for a path that cannot name a file
/// on the machine (`..`, another drive, NUL, a symbolic link leading out, a DOS device name such
/// as `NUL.txt`, a name ending in a dot or a space); 2 for bad usage (unknown access names,
/// missing arguments), for a missing machine directory and for one whose own entries
/// (`drive_c`, `registry.db`, `objects`, ...) are symbolic links. A code above
/// 255 exits with 255 (the full code is on stderr). Paths are case-insensitive and
/// case-preserving, as on Windows: any spelling names the file, which keeps its own case.
struct FsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fs",
        abstract: "Windows file operations on a machine (share modes, images, MoveFileEx).",
        discussion: """
            Exit status: 0 on success, else the Win32 code (e.g. 32 for ERROR_SHARING_VIOLATION), \
            123 for a path outside the machine, 2 for bad usage or a missing machine directory.
            """,
        subcommands: [FsOpenCommand.self, FsMoveCommand.self, FsDeleteCommand.self, FsPendingCommand.self]
    )
}

/// Refuses, as bad usage (exit 2), a directory that is not a machine
/// (`MachineDirectory.checkIsMachine`): the `validate()` of every command that works on a
/// machine calls this, so nothing is ever created in a directory that is not one.
func validateMachine(_ directory: String) throws {
    do { try MachineDirectory.checkIsMachine(directory) } catch { throw ValidationError(error.message) }
}

/// Opens the machine directory (checked by `validateMachine`), or fails with 2 naming it.
func openMachine(_ directory: String) throws -> MachineRoot {
    do {
        return try MachineRoot(path: directory)
    } catch {
        throw failure("machine directory '\(directory)': \(error.message)", code: 2)
    }
}

/// Parses a Windows path argument, or fails with 123 (ERROR_INVALID_NAME) saying why.
func windowsPath(_ text: String) throws -> WindowsPath {
    do {
        return try WindowsPath(text)
    } catch {
        throw failure("\(error) — \(Win32Error(error).description)", code: 123)
    }
}

/// Prints `error`'s message; the exit status is its Win32 code (255 above 255).
func win32Failure(_ error: Win32Error) -> ExitCode {
    failure(error.message, code: Int32(min(error.code, 255)))
}
