// WinFS benchmarks: each Windows operation beside the bare POSIX call it is built on, measured
// in the same run on the same files.
import Glibc
import WinFS
import WindowsModel

/// Runs `body` `iterations` times (after a warm-up) and returns nanoseconds per iteration.
private func nanosecondsPerOperation(_ iterations: Int, _ body: () -> Void) -> Double {
    for _ in 0..<min(iterations / 10, 1000) { body() }
    var start = timespec()
    var end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    for _ in 0..<iterations { body() }
    clock_gettime(CLOCK_MONOTONIC, &end)
    let elapsed = Double(end.tv_sec - start.tv_sec) * 1e9 + Double(end.tv_nsec - start.tv_nsec)
    return elapsed / Double(iterations)
}

/// Share-checked open/close vs open(2)/close(2), MoveFileEx vs rename(2), and an open through
/// another case of the name.
func runWinFSBenchmarks(_ figures: Figures, quick: Bool) {
    func report(_ key: String, _ name: String, _ measured: Double, _ baselineName: String, _ baseline: Double) {
        figures.record(key, "winfs \(name)", value: measured, unit: "ns/op", baseline: baseline, baselineName: baselineName)
    }
    var template = Array("/tmp/rig-bench-winfs-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
        print("winfs: cannot create a temporary machine directory")
        return
    }
    let directory = String(cString: made)
    defer {
        for name in [
            "drive_c/Windows/System32/a.dll", "drive_c/Windows/System32/b.dll",
            "drive_c/Windows/System32/c.dll", "drive_c/Windows/System32/d.dll",
        ] {
            unlink(directory + "/" + name)
        }
        for name in ["drive_c/Windows/System32", "drive_c/Windows", "drive_c", ""] { rmdir(directory + "/" + name) }
    }
    do {
        let root = try MachineRoot(path: directory)
        let system32 = try WindowsPath("C:\\Windows\\System32")
        try root.createDirectories(system32)
        let a = system32.appending("a.dll")
        let b = system32.appending("b.dll")
        try root.writeFile(a, Array(repeating: 0x90, count: 4096))
        try root.writeFile(system32.appending("c.dll"), Array(repeating: 0x90, count: 4096))
        let hostA = directory + "/drive_c/Windows/System32/a.dll"
        let hostC = directory + "/drive_c/Windows/System32/c.dll"
        let hostD = directory + "/drive_c/Windows/System32/d.dll"
        // Another handle sharing read, so every checked open really tests a lock.
        let other = try root.open(a, access: .read, share: [.read, .delete])
        defer { other.close() }

        let iterations = quick ? 20_000 : 200_000
        let checked = nanosecondsPerOperation(iterations) {
            if let file = try? root.open(a, access: .read, share: [.read, .delete]) { file.close() }
        }
        let bare = nanosecondsPerOperation(iterations) {
            let fd = open(hostA, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { close(fd) }
        }
        report("winfs_open_read", "open+close read/share read,delete (share-checked)", checked, "open(2)+close(2)", bare)

        let checkedWrite = nanosecondsPerOperation(iterations) {
            if let file = try? root.open(system32.appending("c.dll"), access: [.read, .write], share: .none) { file.close() }
        }
        let bareWrite = nanosecondsPerOperation(iterations) {
            let fd = open(hostC, O_RDWR | O_CLOEXEC)
            if fd >= 0 { close(fd) }
        }
        report("winfs_open_write", "open+close read,write/share none (share-checked)", checkedWrite, "open(2) O_RDWR+close(2)", bareWrite)

        // Moves back and forth (a is held by `other`, sharing delete: the soft-lock rename).
        var flip = false
        let moves = nanosecondsPerOperation(iterations / 2) {
            flip.toggle()
            _ = try? root.moveFile(flip ? a : b, to: flip ? b : a)
        }
        if flip { try root.moveFile(b, to: a) }
        var flipBare = false
        let renames = nanosecondsPerOperation(iterations / 2) {
            flipBare.toggle()
            rename(flipBare ? hostC : hostD, flipBare ? hostD : hostC)
        }
        if flipBare { rename(hostD, hostC) }
        report("winfs_move", "MoveFileEx (share-checked)", moves, "rename(2)", renames)

        // Windows names ignore case: a spelling that is not the one on disk costs a scan of the
        // directories whose names differ (here System32 holds a few files; the exact name above
        // is the usual case and costs nothing more).
        let otherCase = try WindowsPath("C:\\WINDOWS\\system32\\A.DLL")
        let variant = nanosecondsPerOperation(iterations / 10) {
            if let file = try? root.open(otherCase, access: .read, share: [.read, .delete]) { file.close() }
        }
        report("winfs_open_other_case", "open+close read another case (share-checked)", variant, "open(2)+close(2)", bare)
    } catch {
        print("winfs: \((error as? Win32Error)?.message ?? "\(error)")")
    }
}
