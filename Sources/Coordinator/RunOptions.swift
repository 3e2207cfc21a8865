import CoordinatorCore
#if canImport(Glibc)
import Glibc
#endif

extension RunOptions {
    /// The `rig-worker` to spawn: `$RIG_WORKER` when it is set and not empty, otherwise the
    /// `rig-worker` in the directory of the running executable (the build puts `rig` and
    /// `rig-worker` side by side). Throws when that one is missing or not executable.
    public static func defaultWorkerExecutable() throws(WorkerNotFound) -> String {
        if let path = getenv("RIG_WORKER").map({ String(cString: $0) }), !path.isEmpty { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw WorkerNotFound(path: "rig-worker") }
        let executable = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = executable.lastIndex(of: "/").map { String(executable[..<$0]) } ?? "."
        let path = directory + "/rig-worker"
        guard access(path, X_OK) == 0 else { throw WorkerNotFound(path: path) }
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
