import CoordinatorCore
import Host

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
