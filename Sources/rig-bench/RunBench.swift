// One controlled run of the race rig beside its floor, and machine creation beside a clone.
import Coordinator
import CoordinatorCore
import Glibc
import Host
import LibUV
import Machine
import Report
import RigModel
import Wire

/// A new temporary directory.
func scratchDirectory(_ name: String) -> String {
    var template = Array("/tmp/rig-bench-\(name)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("cannot create a temporary directory") }
    return String(cString: made)
}

/// Removes a tree (rm -rf).
func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        for name in (try? HostFiles.entries(ofDirectory: path)) ?? [] { removeTree(path + "/" + name) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// The file work of a run done bare: each successful file operation of its processes as the
/// system calls it stands for, on a fresh clone of the run's machine. A replace or write of N
/// bytes is a pwrite of N bytes (a replace writes the first half; the `write` that follows it the
/// rest); a backup is a sendfile copy and an fsync; a verify reads the file and fsyncs it; a load
/// or a package opened reads the whole file; an ngen compile reads each file the image is built
/// from (the assembly, its references and the engine); a GAC install is a sendfile copy; a rename
/// aside, a committed image and Session Manager's renames are renames; a delete is an unlink.
/// Registry work and waits are left out (they count against PatchRig). Returns the nanoseconds it
/// took.
func bareFileWork(_ history: RunHistory, machine: String) -> UInt64 {
    func host(_ windows: String?) -> String? {
        guard let windows, windows.count > 3, windows.uppercased().hasPrefix("C:\\") else { return nil }
        return machine + "/drive_c/" + windows.dropFirst(3).split(separator: "\\").joined(separator: "/")
    }
    var buffer = [UInt8](repeating: 0x5A, count: 4 << 20)
    let events = history.actors.flatMap(\.events).filter { $0.result.isOK }.sorted { $0.startNs < $1.startNs }
    // What ngen reads to compile an assembly: the assembly, its references and the engine.
    let catalog = try? MachineDirectory(opening: machine).catalog()
    func readWhole(_ path: String, flush: Bool = false) {
        let fd = open(path, flush ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = buffer.withUnsafeMutableBytes { raw in
            while read(fd, raw.baseAddress!, raw.count) > 0 {}
        }
        if flush { fsync(fd) }
        close(fd)
    }
    let start = MonotonicClock.now()
    for event in events {
        func arg(_ name: String) -> String? { event.args.first { $0.name == name }?.value }
        let size = arg("size").flatMap(Int.init) ?? 0
        switch event.op {
        case "replace", "write", "write_image", "create_file":
            guard let path = host(arg("file") ?? arg("path")), size > 0 else { continue }
            let count = min(event.op == "replace" ? size / 2 : size, buffer.count)
            let offset = arg("offset").flatMap(Int.init) ?? 0
            let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { continue }
            _ = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress!, count, off_t(offset)) }
            close(fd)
        case "backup":
            guard let from = host(arg("file")), let to = host(arg("to")) else { continue }
            let input = open(from, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { continue }
            let output = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            var info = stat()
            fstat(input, &info)
            if output >= 0 {
                _ = sendfile(output, input, nil, Int(info.st_size))
                fsync(output)
                close(output)
            }
            close(input)
        case "verify", "load", "open_package":
            guard let path = host(arg("file") ?? arg("path")) else { continue }
            readWhole(path, flush: event.op == "verify")
        case "ngen":
            guard let assembly = arg("assembly"), let inputs = try? catalog?.nativeImageInputs(for: assembly) else { continue }
            for input in inputs {
                if let path = host(input.description) { readWhole(path) }
            }
        case "gac":
            guard let from = host(arg("path")), let to = host(arg("destination")) else { continue }
            let input = open(from, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { continue }
            var info = stat()
            fstat(input, &info)
            let output = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if output >= 0 {
                _ = sendfile(output, input, nil, Int(info.st_size))
                close(output)
            }
            close(input)
        case "rename_aside":
            guard let path = host(arg("file")) else { continue }
            rename(path, path + ".~bare")
        case "commit_image":
            guard let from = host(arg("from")), let to = host(arg("path")) else { continue }
            rename(from, to)
        case "delete", "DeleteFile":
            guard let path = host(arg("path") ?? arg("source")) else { continue }
            unlink(path)
        default:
            continue
        }
    }
    return MonotonicClock.now() - start
}

/// Runs the race rig under PCT `rounds` times on clones of one machine: each run's wall time
/// (the run only: the machine exists already) beside its floor, the processes it spawned times a
/// C child's spawn→hello (measured now) plus its file work done bare.
func runControlledRunBenchmark(_ figures: Figures, root: String, worker: String, helloBaseline: String, rounds: Int) {
    let directory = scratchDirectory("run")
    defer { removeTree(directory) }
    do {
        let rig = try RigLoader.load(path: root + "/Rigs/sp1-hotfix-race.yaml")
        mkdir(directory + "/template", 0o755)
        let template = try RigSession.prepare(rig, in: directory + "/template")
        let loop = try EventLoop()
        var runs: [UInt64] = []
        var floors: [UInt64] = []
        var processes = 0
        var bare: [UInt64] = []
        var cHellos: [UInt64] = []
        var machineAfterRun: UInt64 = 0
        for round in 0..<rounds {
            let runDirectory = directory + "/run-\(round)"
            mkdir(runDirectory, 0o755)
            let prepared = try RigSession.clone(template, in: runDirectory)
            let start = MonotonicClock.now()
            let (history, _) = try RigSession.run(
                prepared, seed: UInt64(round + 1), schedule: .pct(depth: ScheduleMode.defaultPCTDepth, steps: ScheduleMode.defaultPCTSteps),
                worker: worker, logDirectory: runDirectory, roleExists: { _ in true })
            runs.append(MonotonicClock.now() - start)
            machineAfterRun = max(machineAfterRun, diskUse(prepared.machine!))
            let bareDirectory = directory + "/bare-\(round)"
            mkdir(bareDirectory, 0o755)
            let fresh = try RigSession.clone(template, in: bareDirectory)
            let fileWork = bareFileWork(history, machine: fresh.machine!)
            var hellos: [UInt64] = []
            for _ in 0..<max(history.actors.count, 5) { hellos.append(try spawnToHello(loop, helloBaseline)) }
            let hello = median(hellos)
            processes = history.actors.count
            bare.append(fileWork)
            cHellos.append(hello)
            floors.append(UInt64(history.actors.count) * hello + fileWork)
            removeTree(runDirectory)
            removeTree(bareDirectory)
        }
        loop.close()
        figures.record(
            "controlled_race_run", "one controlled run of the race rig (pct, median of \(rounds))", value: Double(median(runs)), unit: "ns",
            baseline: Double(median(floors)), baselineName: "floor: processes x C spawn->hello + its file work bare", target: 3.0,
            extra: [
                ("processes", Double(processes)), ("c_hello_ns", Double(median(cHellos))), ("bare_file_work_ns", Double(median(bare))),
                ("machine_bytes_after_run", Double(machineAfterRun)),
            ])
    } catch {
        print("controlled run benchmark failed: \(error)")
        exit(1)
    }
}

/// Making a machine from the race rig's image (with its patches staged) beside cloning one.
func runMachineBenchmark(_ figures: Figures, root: String, rounds: Int) {
    let directory = scratchDirectory("machine")
    defer { removeTree(directory) }
    do {
        let rig = try RigLoader.load(path: root + "/Rigs/sp1-hotfix-race.yaml")
        var made: [UInt64] = []
        var cloned: [UInt64] = []
        mkdir(directory + "/template", 0o755)
        let template = try RigSession.prepare(rig, in: directory + "/template")
        for round in 0..<rounds {
            let a = directory + "/made-\(round)"
            let b = directory + "/cloned-\(round)"
            mkdir(a, 0o755)
            mkdir(b, 0o755)
            var start = MonotonicClock.now()
            _ = try RigSession.prepare(rig, in: a)
            made.append(MonotonicClock.now() - start)
            start = MonotonicClock.now()
            _ = try RigSession.clone(template, in: b)
            cloned.append(MonotonicClock.now() - start)
            removeTree(a)
            removeTree(b)
        }
        figures.record(
            "machine_clone", "a fresh machine for the race rig: cloned vs made from its image (median of \(rounds))",
            value: Double(median(cloned)), unit: "ns", baseline: Double(median(made)), baselineName: "made from the image",
            extra: [("machine_bytes", Double(diskUse(template.machine!)))])
    } catch {
        print("machine benchmark failed: \(error)")
        exit(1)
    }
}
