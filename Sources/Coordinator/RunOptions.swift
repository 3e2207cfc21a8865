import Host

/// How `RigRunner` runs a rig.
public struct RunOptions: Sendable {
    /// The seed for start jitter (the rig's own `seed:` when `rig run` gets no `--seed`).
    public var seed: UInt64
    /// The `rig-worker` executable to spawn.
    public var workerExecutable: String
    /// Where each worker's stdout and stderr go (`<actor>.stdout`, `<actor>.stderr`).
    public var logDirectory: String
    /// How long a worker asked to stop (at a reboot) gets before SIGKILL.
    public var stopGraceNs: UInt64
    /// The machine directory the workers act on (rigs with a `machine:`), already created.
    public var machineDirectory: String?
    /// Whether `rig-worker` plays a role of that name: a boot-time program without one does not
    /// exist on the machine (CreateProcess would fail with ERROR_FILE_NOT_FOUND).
    public var roleExists: @Sendable (String) -> Bool

    public init(
        seed: UInt64, workerExecutable: String, logDirectory: String, stopGraceNs: UInt64 = 500_000_000,
        machineDirectory: String? = nil, roleExists: @escaping @Sendable (String) -> Bool = { _ in true }
    ) {
        self.seed = seed
        self.workerExecutable = workerExecutable
        self.logDirectory = logDirectory
        self.stopGraceNs = stopGraceNs
        self.machineDirectory = machineDirectory
        self.roleExists = roleExists
    }
}

extension RunOptions {
    /// The `rig-worker` to spawn: `$RIG_WORKER` when it is set and not empty, otherwise the
    /// `rig-worker` in the directory of the running executable (the build puts `rig` and
    /// `rig-worker` side by side). Throws when that one is missing or not executable.
    public static func defaultWorkerExecutable() throws(WorkerNotFound) -> String {
        if let path = CurrentProcess.environment("RIG_WORKER"), !path.isEmpty { return path }
        guard let executable = CurrentProcess.executablePath() else { throw WorkerNotFound(path: "rig-worker") }
        let directory = executable.lastIndex(of: "/").map { String(executable[..<$0]) } ?? "."
        let path = directory + "/rig-worker"
        guard HostFiles.isExecutable(path) else { throw WorkerNotFound(path: path) }
        return path
    }
}

/// `RunOptions.defaultWorkerExecutable()` found no `rig-worker` to run.
public struct WorkerNotFound: Error, Sendable, CustomStringConvertible {
    /// Where it looked.
    public var path: String
    public init(path: String) { self.path = path }
    public var description: String {
        "cannot find rig-worker beside rig (looked for \(path)); build both with `swift build`, or set RIG_WORKER"
    }
}
