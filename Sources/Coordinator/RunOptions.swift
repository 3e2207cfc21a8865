/// How `RigRunner` runs a rig.
public struct RunOptions: Sendable {
    /// The seed for start jitter (the rig's own `seed:` when `rig run` gets no `--seed`).
    public var seed: UInt64
    /// The `rig-worker` executable to spawn.
    public var workerExecutable: String
    /// Where each worker's stdout and stderr go (`<actor>.stdout`, `<actor>.stderr`).
    public var logDirectory: String
    /// How long a worker asked to stop (on a timeout or an interrupt) gets before SIGKILL.
    public var stopGraceNs: UInt64

    public init(seed: UInt64, workerExecutable: String, logDirectory: String, stopGraceNs: UInt64 = 500_000_000) {
        self.seed = seed
        self.workerExecutable = workerExecutable
        self.logDirectory = logDirectory
        self.stopGraceNs = stopGraceNs
    }
}
