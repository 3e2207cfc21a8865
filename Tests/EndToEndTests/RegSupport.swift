import Glibc
import Synchronization
import Testing

/// Runs the built `rig` and `rig-worker` for the registry and boot end-to-end tests.
enum RegE2E {
    /// The directory holding the built executables: the test bundle's own directory.
    static let binDirectory: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        var parts = exe.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/")
    }()

    static var rig: String { binDirectory + "/rig" }
    static var rigWorker: String { binDirectory + "/rig-worker" }

    /// A finished process: exit status (or the signal that ended it) and its output.
    struct Outcome: CustomStringConvertible {
        var status: Int32
        var signal: Int32?
        var stdout: String
        var stderr: String
        var description: String { "status \(status) signal \(signal.map(String.init) ?? "-")\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// A started process whose stdout and stderr go to files in `scratch`.
    final class Child {
        let pid: pid_t
        let stdoutPath: String
        let stderrPath: String

        init(_ arguments: [String], scratch: String) {
            let tag = "\(getpid())-\(RegE2E.nextTag())"
            stdoutPath = "\(scratch)/out-\(tag)"
            stderrPath = "\(scratch)/err-\(tag)"
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            var child: pid_t = 0
            let rc = posix_spawn(&child, arguments[0], &actions, nil, &argv, environ)
            for pointer in argv { free(pointer) }
            posix_spawn_file_actions_destroy(&actions)
            precondition(rc == 0, "posix_spawn \(arguments[0]) failed: \(String(cString: strerror(rc)))")
            pid = child
        }

        /// What the process has written to stdout so far.
        var stdoutSoFar: String { RegE2E.read(stdoutPath) }

        /// Waits until the process stops (SIGSTOP) or ends; true when it stopped.
        func waitStoppedOrEnded() -> Bool {
            var status: Int32 = 0
            while waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR {}
            if (status & 0xff) == 0x7f { return true }
            ended = status
            return false
        }

        /// The wait status if `waitStoppedOrEnded` already reaped the process.
        private var ended: Int32?

        /// Waits for the process to end.
        func wait() -> Outcome {
            var status: Int32 = ended ?? 0
            if ended == nil { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
            let signalled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
            return Outcome(
                status: signalled ? -1 : (status >> 8) & 0xff, signal: signalled ? status & 0x7f : nil,
                stdout: RegE2E.read(stdoutPath), stderr: RegE2E.read(stderrPath))
        }
    }

    private static let counter = Atomic<Int>(0)
    static func nextTag() -> Int { counter.add(1, ordering: .relaxed).newValue }

    /// Runs `arguments` to completion.
    static func run(_ arguments: [String], scratch: String) -> Outcome {
        Child(arguments, scratch: scratch).wait()
    }

    /// The whole content of `path` ("" if missing).
    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text` to `path`, creating parents.
    static func write(_ path: String, _ text: String) {
        makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]))
        let file = fopen(path, "w")
        fputs(text, file)
        fclose(file)
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            mkdir(prefix, 0o755)
        }
    }

    /// A fresh directory, removed on deinit.
    final class Scratch {
        let path: String
        init() {
            let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
            var template = Array("\(base)/rig-e2e-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed") }
            path = String(cString: made)
        }
        deinit { _ = system("rm -rf '\(path)'") }

        /// A new empty machine directory (drive_c, a profile and an empty registry) inside the
        /// scratch directory.
        func machine(_ name: String = "machine", profile: String = "nt") -> String {
            let dir = "\(path)/\(name)"
            RegE2E.makeDirectories(dir + "/drive_c/Windows")
            RegE2E.write(dir + "/profile", profile + "\n")
            RegE2E.write(dir + "/registry.db", "")
            return dir
        }
    }

    /// Every file below `directory` with its content, sorted, as `path: content` lines
    /// (directories as `path/`), for comparing two machines.
    static func tree(_ directory: String) -> String {
        var lines: [String] = []
        func walk(_ relative: String) {
            guard let dir = opendir(directory + "/" + relative) else { return }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names.sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                lstat(directory + "/" + path, &info)
                if (info.st_mode & S_IFMT) == S_IFDIR {
                    lines.append(path + "/")
                    walk(path)
                } else {
                    lines.append(path + ": " + read(directory + "/" + path))
                }
            }
        }
        walk("")
        return lines.joined(separator: "\n")
    }
}
