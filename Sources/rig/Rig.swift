import ArgumentParser
import Coordinator
import Host

/// `rig`: the PatchRig coordinator and the machine tools.
@main
struct RigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rig",
        abstract: "Reproduce Windows servicing races with real processes on a sandboxed machine.",
        discussion: """
            Exit status: 0 when everything held, 1 when an expectation failed, 2 for a bad rig or \
            bad usage. `rig fs` commands exit with the Win32 error code of a failed operation.
            """,
        version: BuildInfo.line,
        subcommands: [
            RunCommand.self, ExploreCommand.self, StressCommand.self, MergeCommand.self, ReportCommand.self, MachineCommand.self,
            FsCommand.self, RegCommand.self,
        ]
    )

    /// Usage errors (a `ValidationError` from `validate()` or `run()`, a bad flag) exit with
    /// status 2, ArgumentParser's default being 64; a command's other failures print their
    /// message and throw the `ExitCode` to end with (see `failure`).
    static func main() {
        // A run's outputs are written even when it is interrupted at once: SIGINT and SIGTERM
        // stay pending until `rig run` has its watchers (see `RigRunner.holdInterruptions`).
        // Every other command keeps the default action.
        RigRunner.holdInterruptions()
        do {
            var command = try parseAsRoot()
            if !(command is RunCommand || command is ExploreCommand || command is StressCommand) { RigRunner.releaseInterruptions() }
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = fullMessage(for: error)
                if !message.isEmpty { printError(message) }
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}

/// Prints `rig: message` to stderr and returns the exit status a command then throws:
/// `throw failure("cannot read ...", code: 1)`. `main` exits with it and prints nothing more.
func failure(_ message: String, code: Int32 = 2) -> ExitCode {
    printError("rig: \(message)")
    return ExitCode(code)
}

/// Writes a line to standard error (unbuffered, so it is never lost on exit).
func printError(_ line: String) {
    HostFiles.write(line.hasSuffix("\n") ? line : line + "\n", to: 2)
}
