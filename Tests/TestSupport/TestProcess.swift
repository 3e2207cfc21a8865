import Foundation
import Glibc

/// What a finished process did: its exit status (or the signal that ended it) and its output.
public struct ProcessOutcome: Sendable, CustomStringConvertible {
    /// The exit status; -1 when a signal ended the process (so that no expected exit status can
    /// match it); 127 when it could not be started.
    public var status: Int32
    /// The signal that ended the process, if one did.
    public var signal: Int32?
    /// Everything it wrote to its standard output.
    public var stdout: String
    /// Everything it wrote to its standard error.
    public var stderr: String

    public var description: String {
        "status \(status) signal \(signal.map(String.init) ?? "-")\nstdout:\n\(stdout)\nstderr:\n\(stderr)"
    }
}

/// A process started by a test: its standard input is a pipe the test closes (`release`), its
/// standard output and error go to files, so the test can read them while it runs and a failing
/// test can print them (`outcome`, `description`). Started from the repository root. A process
/// still running when this object goes away is killed (SIGKILL) and reaped.
///
/// A holder (`rig fs open ... --hold`, or any command printing a marker once it holds what it
/// holds) is `try TestProcess(arguments, until: "held")`.
public final class TestProcess: @unchecked Sendable, CustomStringConvertible {
    /// The process id (-1 when it could not be started).
    public let pid: pid_t
    /// What was started: the executable, then its arguments.
    public let arguments: [String]
    /// Where its standard output goes.
    public let stdoutPath: String
    /// Where its standard error goes.
    public let stderrPath: String
    private let outputs = Scratch("patchrig-child")
    private var stdinWrite: Int32 = -1
    /// The wait status once reaped.
    private var ended: Int32?

    /// Starts `arguments` (the executable's path first) with `environment` added to the test
    /// process's. When it cannot be started, it counts as ended with status 127 and the reason in
    /// its stderr.
    public init(_ arguments: [String], environment: [String: String] = [:], currentDirectory: String = Repository.root) {
        self.arguments = arguments
        stdoutPath = outputs.path + "/stdout"
        stderrPath = outputs.path + "/stderr"
        var fds: [Int32] = [-1, -1]
        precondition(GNU.pipe2(&fds, O_CLOEXEC) == 0, "pipe2: errno \(errno)")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = GNU.addchdir(&actions, currentDirectory)
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var child: pid_t = -1
        let rc = posix_spawn(&child, arguments[0], &actions, nil, &argv, &envp)
        for pointer in argv + envp { free(pointer) }
        posix_spawn_file_actions_destroy(&actions)
        close(fds[0])
        if rc == 0 {
            pid = child
            stdinWrite = fds[1]
        } else {
            pid = -1
            close(fds[1])
            ended = 127 << 8
            _ = FileManager.default.createFile(
                atPath: stderrPath, contents: Data("cannot start \(arguments[0]): \(String(cString: strerror(rc)))\n".utf8))
        }
    }

    /// Starts `arguments` and waits until its stdout contains `marker` (a holder's `held`).
    /// Throws `TestProcessFailed` (with its stderr) when it ends first or `seconds` pass.
    public convenience init(
        _ arguments: [String], environment: [String: String] = [:], currentDirectory: String = Repository.root,
        until marker: String, seconds: Double = 120
    ) throws {
        self.init(arguments, environment: environment, currentDirectory: currentDirectory)
        guard waitForOutput(marker, seconds: seconds) else {
            let outcome = isRunning ? kill() : wait()
            throw TestProcessFailed(arguments: arguments, marker: marker, outcome: outcome)
        }
    }

    deinit {
        if ended == nil {
            Glibc.kill(pid, SIGKILL)
            reap(options: 0)
        }
        if stdinWrite >= 0 { close(stdinWrite) }
    }

    /// What it has written to stdout so far.
    public var stdoutSoFar: String { Self.read(stdoutPath) }

    /// What it has written to stderr so far.
    public var stderrSoFar: String { Self.read(stderrPath) }

    /// Whether it still runs (it has not ended, or ended but not yet been reaped: then it is
    /// reaped now).
    public var isRunning: Bool {
        if ended != nil { return false }
        reap(options: WNOHANG)
        return ended == nil
    }

    /// Waits until its stdout contains `text`, it ends, or `seconds` pass; true when the text
    /// appeared.
    public func waitForOutput(_ text: String, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stdoutSoFar.contains(text) { return true }
            if !isRunning { return stdoutSoFar.contains(text) }
            usleep(10_000)
        }
        return stdoutSoFar.contains(text)
    }

    /// Closes its standard input (a holder then closes what it holds and exits).
    public func closeInput() {
        if stdinWrite >= 0 { close(stdinWrite) }
        stdinWrite = -1
    }

    /// Waits until it stops (SIGSTOP) or ends; true when it stopped.
    public func waitStoppedOrEnded() -> Bool {
        if ended != nil { return false }
        var status: Int32 = 0
        while waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR {}
        if (status & 0xff) == 0x7f { return true }
        ended = status
        return false
    }

    /// Waits for it to end (draining nothing: its output goes to files) and returns what it did.
    @discardableResult
    public func wait() -> ProcessOutcome {
        reap(options: 0)
        return outcome
    }

    /// Closes its standard input, waits for it to end and returns what it did.
    @discardableResult
    public func release() -> ProcessOutcome {
        closeInput()
        return wait()
    }

    /// Sends `signal` (SIGKILL unless told) and waits for it to end.
    @discardableResult
    public func kill(_ signal: Int32 = SIGKILL) -> ProcessOutcome {
        if isRunning { Glibc.kill(pid, signal) }
        return wait()
    }

    /// Sends SIGTERM and waits up to `seconds` for it to end; then SIGKILLs it (so a test cannot
    /// hang: its outcome then says SIGKILL ended it).
    @discardableResult
    public func terminate(seconds: Double = 10) -> ProcessOutcome {
        if isRunning { Glibc.kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning { Glibc.kill(pid, SIGKILL) }
        return wait()
    }

    /// What it did so far: the status once it ended (-1 while it runs), and its output.
    public var outcome: ProcessOutcome {
        var status: Int32 = -1
        var signal: Int32?
        if let ended {
            if (ended & 0x7f) == 0 {
                status = (ended >> 8) & 0xff
            } else {
                signal = ended & 0x7f
            }
        }
        return ProcessOutcome(status: status, signal: signal, stdout: stdoutSoFar, stderr: stderrSoFar)
    }

    public var description: String { "\(arguments.joined(separator: " ")) (pid \(pid)): \(outcome)" }

    private func reap(options: Int32) {
        guard ended == nil, pid > 0 else { return }
        var status: Int32 = 0
        var rc: pid_t
        repeat { rc = waitpid(pid, &status, options) } while rc < 0 && errno == EINTR
        if rc == pid && (status & 0xff) != 0x7f { ended = status }
        if rc < 0 { ended = 0 }  // not our child any more: nothing to wait for
    }

    /// The whole content of `path` ("" if it cannot be read).
    static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// glibc's GNU extensions that Swift's Glibc module leaves out (it is imported without
/// `_GNU_SOURCE`), looked up once.
private enum GNU {
    /// `pipe2`: the stdin pipe is made close-on-exec at once, so that no process another test
    /// starts meanwhile inherits its write end (the holder would then never see its input end).
    static let pipe2 = unsafeBitCast(
        dlsym(nil, "pipe2"), to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29).
    static let addchdir = unsafeBitCast(
        dlsym(nil, "posix_spawn_file_actions_addchdir_np"),
        to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
}

/// A process started to hold something ended (or took too long) before printing its marker.
public struct TestProcessFailed: Error, CustomStringConvertible {
    /// What was started.
    public var arguments: [String]
    /// What it was to print once it held.
    public var marker: String
    /// What it did (its stderr says why).
    public var outcome: ProcessOutcome

    public var description: String { "\(arguments) ended before printing '\(marker)': \(outcome)" }
}

/// Runs `executable` with `arguments` (stdin empty, from the repository root) to the end.
@discardableResult
public func execute(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:],
    currentDirectory: String = Repository.root
) -> ProcessOutcome {
    let child = TestProcess([executable] + arguments, environment: environment, currentDirectory: currentDirectory)
    return child.release()
}

/// Runs the built `rig` with `arguments` to the end.
@discardableResult
public func runRig(_ arguments: [String], environment: [String: String] = [:]) -> ProcessOutcome {
    execute(BuiltBinaries.rig, arguments, environment: environment)
}
