import Foundation
import Host
import WinFS

/// The temporary directories of runs without `--out` (`$TMPDIR/patchrig-run-<pid>-XXXXXX`). A
/// run removes its own unless it keeps it (then it leaves a `.kept` mark); a coordinator that was
/// killed cannot, so each run first removes the unmarked directories of coordinators that are
/// no longer alive.
enum RunDirectories {
    static let prefix = "patchrig-run-"
    static let keptMark = ".kept"

    /// A new directory named after this process, in `parent` (default: the temporary directory).
    static func make(in parent: String = NSTemporaryDirectory()) -> String? {
        var template = Array((parent + "/" + prefix + "\(getpid())-XXXXXX").utf8CString)
        guard let path = mkdtemp(&template) else { return nil }
        return String(cString: path)
    }

    /// Where a campaign's machines live while its iterations run: `/dev/shm`, a file system in
    /// memory, when it is one this process can write, it carries the delete-pending mark (user
    /// extended attributes; Linux 6.6 or later for tmpfs) and it has room for `machines`
    /// machines of `bytes` each; nil otherwise (the machines then live under the campaign's
    /// --out). A machine is scratch: the host's own durability buys it nothing (a power loss is
    /// `WriteCache`'s model), and in memory a campaign runs about a quarter faster.
    ///
    /// First, once per process, `/dev/shm` becomes a tmpfs of the campaign's own with huge pages
    /// (`PrivateMemoryFileSystem`: about a third faster again, and freed by the kernel however the
    /// campaign ends) unless `PATCHRIG_PRIVATE_TMPFS=0` is set or the host refuses; then the
    /// host's `/dev/shm` serves as before. Call it before the process starts a thread.
    static func memoryDirectory(machines: Int, bytes: UInt64) -> String? {
        let shm = "/dev/shm"
        _ = privateMemory
        guard HostFiles.kind(of: shm, followingLinks: true) == .directory,
            let free = HostFiles.availableBytes(at: shm), free / 2 > UInt64(machines) * bytes,
            let directory = make(in: shm)
        else { return nil }
        guard MachineRoot.carriesDeletePending(directory: directory) else {
            try? FileManager.default.removeItem(atPath: directory)
            return nil
        }
        return directory
    }

    /// Whether `/dev/shm` is this process's own tmpfs (mounted on first use; see
    /// `memoryDirectory`).
    static let privateMemory: Bool = {
        guard CurrentProcess.environment("PATCHRIG_PRIVATE_TMPFS") != "0",
            HostFiles.kind(of: "/dev/shm", followingLinks: true) == .directory
        else { return false }
        return PrivateMemoryFileSystem.mount(over: "/dev/shm") == nil
    }()

    /// Marks a directory the run keeps on purpose (a failed run's logs, `--keep`).
    static func markKept(_ directory: String) {
        _ = FileManager.default.createFile(atPath: directory + "/" + keptMark, contents: Data())
    }

    /// Removes the unmarked directories of coordinators that have died (in the temporary
    /// directory, and a campaign's machines in `/dev/shm`).
    static func removeStale() {
        let fm = FileManager.default
        for temporary in [NSTemporaryDirectory(), "/dev/shm"] {
            for name in (try? fm.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(prefix) {
                let rest = name.dropFirst(prefix.count)
                guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
                let path = temporary + "/" + name
                // kill(pid, 0) fails with ESRCH only when no such process exists.
                guard kill(pid, 0) != 0 && errno == ESRCH, !fm.fileExists(atPath: path + "/" + keptMark) else { continue }
                var info = stat()
                guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else { continue }
                try? fm.removeItem(atPath: path)
            }
        }
    }
}
