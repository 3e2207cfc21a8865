import Glibc
import Registry
import WinFS

/// How a boot is run.
public struct BootOptions {
    /// The machine directory.
    public var machine: String
    /// Who logs on once the services are started.
    public var logon: Logon
    /// The `rig-worker` executable that plays every process.
    public var workerPath: String
    /// Whether `rig-worker` has a role of that name (a program without one does not exist).
    public var roleExists: (String) -> Bool
    /// Receives one line per thing the boot did.
    public var log: (String) -> Void
    /// Extra `key=value` parameters for Session Manager (e.g. `stopAfterStep`).
    public var sessionManagerParameters: [(name: String, value: String)]

    public init(
        machine: String, logon: Logon, workerPath: String, roleExists: @escaping (String) -> Bool,
        log: @escaping (String) -> Void, sessionManagerParameters: [(name: String, value: String)] = []
    ) {
        self.machine = machine
        self.logon = logon
        self.workerPath = workerPath
        self.roleExists = roleExists
        self.log = log
        self.sessionManagerParameters = sessionManagerParameters
    }
}

/// How a process of the boot ended.
public enum BootProcessEnd: Sendable, Equatable, CustomStringConvertible {
    /// It exited with this code.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
    /// It could not be started: the Win32 error CreateProcess would give.
    case notStarted(Win32Error)

    public var description: String {
        switch self {
        case .exited(let code): "exited \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        case .notStarted(let error): "not started: \(error.message)"
        }
    }
}

/// What a boot ran and how each process ended, in the order they were started.
public struct BootResult: Sendable {
    /// Session Manager.
    public var sessionManager: BootProcessEnd
    /// (what, how it ended): `service NAME`, `HKLM RunOnce NAME`, ...
    public var processes: [(what: String, end: BootProcessEnd)]
    /// Whether the machine came up: Session Manager finished its work.
    public var booted: Bool { sessionManager == .exited(0) }
}

/// Runs a boot as real processes: Session Manager (`rig-worker smss`), then the auto-start
/// services, then at logon the Run and RunOnce entries, by the rules in `StartupRules`. Waits
/// for every process it started before returning, so none outlives the boot.
///
/// The decisions (what runs, in which order, which entries are deleted when) are the pure
/// functions of `BootServices` and `StartupRules`; this type only spawns and waits.
public enum BootRunner {
    public static func boot(_ options: BootOptions) throws -> BootResult {
        let log = options.log
        // 1. Session Manager, alone, to the end.
        let smssEnd = run(
            options, role: "smss", parameters: [("machine", options.machine)] + options.sessionManagerParameters, wait: true
        ).end
        log("boot: smss \(smssEnd)")
        var result = BootResult(sessionManager: smssEnd, processes: [])
        guard smssEnd == .exited(0) else { return result }

        let registry = try Registry(machineDirectory: options.machine)
        var running: [(what: String, pid: pid_t)] = []

        // 2. Auto-start services: started, not waited for, with no one logged on.
        let profile = try machineProfile(of: try MachineRoot(path: options.machine))
        if !BootServices.start(on: profile) { log("boot: no services (\(profile.rawValue) has no service control manager)") }
        for service in try BootServices.autoStartServices(in: registry, profile: profile) {
            let what = "service \(service.name)"
            let started = run(options, command: service.command, what: what, wait: false)
            if let pid = started.pid {
                running.append((what, pid))
            } else {
                result.processes.append((what, started.end))
                log("boot: \(what): \(started.end)")
            }
        }

        // 3. Logon: Run and RunOnce.
        if options.logon != .none { log("boot: logon \(options.logon.rawValue)") }
        for action in StartupRules.plan(try StartupRules.entries(in: registry), logon: options.logon) {
            let entry = action.entry
            let what = "\(entry.hive.rawValue) \(entry.kind.rawValue) \(entry.name)"
            if action.deletion == .beforeRunning {
                try registry.deleteValue(action.key, entry.name)
                log("boot: \(what): value deleted before running")
            }
            let started = run(options, command: action.command, what: what, wait: action.waitForExit)
            if let pid = started.pid, !action.waitForExit {
                running.append((what, pid))
                continue
            }
            result.processes.append((what, started.end))
            log("boot: \(what): \(started.end)")
            if action.deletion == .afterSuccess, started.end == .exited(0) {
                try registry.deleteValue(action.key, entry.name)
                log("boot: \(what): value deleted after success")
            }
        }

        // 4. Everything started ends before the boot does.
        for (what, pid) in running {
            let end = waitFor(pid)
            result.processes.append((what, end))
            log("boot: \(what): \(end)")
        }
        return result
    }

    /// Starts the role that plays `command` (ERROR_FILE_NOT_FOUND when there is none).
    static func run(
        _ options: BootOptions, command: BootCommand, what: String, wait: Bool
    ) -> (pid: pid_t?, end: BootProcessEnd) {
        let role = command.role
        guard !role.isEmpty, options.roleExists(role) else {
            return (nil, .notStarted(Win32Error(2, operation: "CreateProcess", path: command.program)))
        }
        options.log("boot: \(what): \(command.commandLine)")
        return run(options, role: role, parameters: command.workerParameters(machine: options.machine), wait: wait)
    }

    /// Spawns `rig-worker ROLE key=value...` with the boot's stdout and stderr; waits if asked.
    static func run(
        _ options: BootOptions, role: String, parameters: [(name: String, value: String)], wait: Bool
    ) -> (pid: pid_t?, end: BootProcessEnd) {
        let arguments = [options.workerPath, role] + parameters.map { "\($0.name)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, options.workerPath, nil, nil, &argv, environ)
        guard rc == 0 else {
            return (nil, .notStarted(Win32Error(errno: rc, operation: "CreateProcess", path: options.workerPath)))
        }
        guard wait else { return (pid, .exited(0)) }
        return (pid, waitFor(pid))
    }

    /// Waits for `pid` to end.
    public static func waitFor(_ pid: pid_t) -> BootProcessEnd {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .notStarted(Win32Error(errno: errno, operation: "waitpid", path: nil)) }
        }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }
}
