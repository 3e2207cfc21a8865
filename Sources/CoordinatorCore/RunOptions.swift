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
    /// Free running (the default) or a controlled schedule.
    public var schedule: ScheduleMode

    public init(
        seed: UInt64, workerExecutable: String, logDirectory: String, stopGraceNs: UInt64 = 500_000_000,
        machineDirectory: String? = nil, roleExists: @escaping @Sendable (String) -> Bool = { _ in true },
        schedule: ScheduleMode = .free
    ) {
        self.schedule = schedule
        self.seed = seed
        self.workerExecutable = workerExecutable
        self.logDirectory = logDirectory
        self.stopGraceNs = stopGraceNs
        self.machineDirectory = machineDirectory
        self.roleExists = roleExists
    }
}
