// `rig explore` and `rig stress` as a user runs them (the release `rig` binary), each beside a
// floor or a second run measured now.
import Foundation
import Glibc
import Host

/// What a `rig` run left: its exit status, stdout, peak RSS (KiB) and the peak disk use of `watch`.
struct RigOutcome {
    var status: Int32
    var stdout: String
    var maxRSSKiB: Int
    var peakDiskBytes: UInt64
    var wallNs: UInt64
}

/// Runs `rig ARGUMENTS` (stdout to a file), watching the disk use of `watch` every 50 ms.
func runRigBinary(_ rig: String, _ arguments: [String], root: String, watch: String? = nil) -> RigOutcome {
    let output = scratchDirectory("out") + "/stdout"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([rig] + arguments).map { strdup($0) } + [nil]
    var pid: pid_t = 0
    let start = MonotonicClock.now()
    let spawned = posix_spawn(&pid, rig, &actions, nil, argv, environ)
    for pointer in argv { free(pointer) }
    posix_spawn_file_actions_destroy(&actions)
    guard spawned == 0 else { return RigOutcome(status: 127, stdout: "", maxRSSKiB: 0, peakDiskBytes: 0, wallNs: 0) }
    var status: Int32 = 0
    var usage = rusage()
    var peak: UInt64 = 0
    while wait4(pid, &status, WNOHANG, &usage) == 0 {
        if let watch {
            // The campaign's directory, and its machines in memory (`/dev/shm/patchrig-run-PID-*`,
            // in the /dev/shm the campaign sees: its own tmpfs, or the host's).
            let shm = "/proc/\(pid)/root/dev/shm"
            let memory = ((try? HostFiles.entries(ofDirectory: shm)) ?? []).filter { $0.hasPrefix("patchrig-run-\(pid)-") }
            peak = max(peak, diskUse(watch) + memory.map { diskUse(shm + "/" + $0) }.reduce(0, +))
        }
        usleep(50_000)
    }
    let wall = MonotonicClock.now() - start
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    removeTree((output as NSString).deletingLastPathComponent)
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return RigOutcome(status: code, stdout: text, maxRSSKiB: usage.ru_maxrss, peakDiskBytes: peak, wallNs: wall)
}

/// Bytes allocated to the files under `path`.
func diskUse(_ path: String) -> UInt64 {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    var total = UInt64(info.st_blocks) * 512
    if info.st_mode & S_IFMT == S_IFDIR {
        for name in (try? HostFiles.entries(ofDirectory: path)) ?? [] { total += diskUse(path + "/" + name) }
    }
    return total
}

/// A campaign record's numbers.
func campaignNumbers(_ path: String) -> [String: Any] {
    guard let data = FileManager.default.contents(atPath: path),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
}

func runCampaignBenchmarks(_ figures: Figures, rig: String, root: String, quick: Bool) {
    let race = root + "/Rigs/sp1-hotfix-race.yaml"
    let cores = ProcessInfo.processInfo.activeProcessorCount
    guard let floor = figures.all.first(where: { $0.key == "controlled_race_run" })?.baseline else {
        print("campaign benchmarks need the controlled run's floor")
        return
    }

    // explore: schedules per second (seeds 1... pass under pct until 28).
    let budget = quick ? 5 : 20
    let explore = scratchDirectory("explore")
    let explored = runRigBinary(rig, ["explore", race, "--budget", "\(budget)", "--seed", "1", "--out", explore], root: root)
    removeTree(explore)
    let perSecond = Double(explored.stdout.split(separator: " ").reversed().first { Double($0) != nil }.flatMap { Double($0) } ?? 0)
    figures.record(
        "explore_schedules_per_second", "rig explore of the race rig (pct, \(budget) schedules, one at a time)", value: perSecond,
        unit: "schedules/s", baseline: 1e9 / floor, baselineName: "1 / the controlled run's floor", higherIsBetter: true)

    // stress, controlled: iterations per second with one iteration per core.
    let iterations = quick ? 20 : 200
    func stress(_ extra: [String], watch: Bool = false) -> (RigOutcome, [String: Any]) {
        let out = scratchDirectory("stress")
        let outcome = runRigBinary(
            rig, ["stress", race, "--iterations", "\(iterations)", "--seed", "1", "--out", out] + extra, root: root,
            watch: watch ? out : nil)
        let numbers = campaignNumbers(out + "/campaign.json")
        removeTree(out)
        return (outcome, numbers)
    }
    // The disk it holds is watched in a run of its own: walking its directories every 50 ms
    // takes CPU from the campaign.
    let (controlled, _) = stress(["--schedule", "pct", "--traces", "none"], watch: true)

    // The disk a campaign holds at most: the template, and one machine per parallel iteration
    // as large as a machine grows by the end of a run (backups, new files, images).
    func extra(_ key: String, _ name: String) -> Double { figures.all.first { $0.key == key }?.extra.first { $0.0 == name }?.1 ?? 0 }
    let template = extra("machine_clone", "machine_bytes")
    let grown = extra("controlled_race_run", "machine_bytes_after_run")
    figures.record(
        "stress_disk_peak", "peak disk (and /dev/shm) use of the controlled campaign's directories",
        value: Double(controlled.peakDiskBytes),
        unit: "bytes",
        baseline: template + Double(cores) * grown, baselineName: "the template + parallel machines at their end-of-run size")

    // Tracing every iteration vs none, the same campaign, alternated (the medians of 3 pairs;
    // one pair with --quick): a shared machine's speed drifts by more than the difference.
    // The untraced runs give the campaign's rate too (their median).
    var tracedWalls: [UInt64] = []
    var untracedWalls: [UInt64] = []
    var rates: [Double] = []
    for _ in 0..<(quick ? 1 : 3) {
        tracedWalls.append(UInt64(stress(["--schedule", "pct", "--traces", "all"]).1["wall_ns"] as? Int ?? 0))
        let untraced = stress(["--schedule", "pct", "--traces", "none"]).1
        untracedWalls.append(UInt64(untraced["wall_ns"] as? Int ?? 0))
        rates.append(untraced["iterations_per_second"] as? Double ?? 0)
    }
    let rate = rates.sorted()[rates.count / 2]
    // The same campaign with its machines in the host's /dev/shm (4 KB pages) instead of a tmpfs
    // of its own: what the private memory file system gives, alternated with a run that has it.
    var hostRates: [Double] = []
    var ownRates: [Double] = []
    for _ in 0..<(quick ? 1 : 2) {
        setenv("PATCHRIG_PRIVATE_TMPFS", "0", 1)
        hostRates.append(stress(["--schedule", "pct", "--traces", "none"]).1["iterations_per_second"] as? Double ?? 0)
        unsetenv("PATCHRIG_PRIVATE_TMPFS")
        ownRates.append(stress(["--schedule", "pct", "--traces", "none"]).1["iterations_per_second"] as? Double ?? 0)
    }
    figures.record(
        "stress_private_tmpfs",
        "the controlled campaign in a tmpfs of its own (huge=within_size) vs the host's /dev/shm (mean of \(ownRates.count) alternated pairs)",
        value: ownRates.reduce(0, +) / Double(ownRates.count), unit: "iterations/s",
        baseline: hostRates.reduce(0, +) / Double(hostRates.count), baselineName: "the host's /dev/shm", higherIsBetter: true)
    figures.record(
        "stress_controlled", "rig stress of the race rig, pct, \(iterations) iterations, parallel \(cores) (median of \(rates.count))",
        value: rate, unit: "iterations/s", baseline: Double(cores) * 1e9 / floor, baselineName: "cores / the controlled run's floor",
        higherIsBetter: true, extra: [("target_iterations_per_second", 20)])
    figures.record(
        "stress_tracing", "the controlled campaign tracing every iteration vs none (median of \(tracedWalls.count) alternated pairs)",
        value: Double(median(tracedWalls)), unit: "ns", baseline: Double(median(untracedWalls)), baselineName: "no traces", target: 1.05)

    // Free: as fast as the rig's own delays allow, with more iterations at once than cores.
    let parallel = 4 * cores
    let freeIterations = quick ? 2 * parallel : 8 * parallel
    let freeOut = scratchDirectory("free")
    _ = runRigBinary(
        rig, ["stress", race, "--iterations", "\(freeIterations)", "--parallel", "\(parallel)", "--out", freeOut, "--traces", "none"],
        root: root)
    let free = campaignNumbers(freeOut + "/campaign.json")
    removeTree(freeOut)
    let freeRate = free["iterations_per_second"] as? Double ?? 0
    let runs = free["runs"] as? [[String: Any]] ?? []
    let meanRun = runs.compactMap { $0["duration_ns"] as? Int }.reduce(0, +) / max(runs.count, 1)
    figures.record(
        "stress_free", "rig stress of the race rig, free, \(freeIterations) iterations, parallel \(parallel)", value: freeRate,
        unit: "iterations/s", baseline: Double(parallel) * 1e9 / Double(max(meanRun, 1)),
        baselineName: "parallel / the mean run's own length", higherIsBetter: true)

    // The coordinator's memory over a long campaign of a quick rig.
    if !quick {
        let smoke = root + "/Rigs/smoke.yaml"
        func peak(_ n: Int) -> Int {
            let out = scratchDirectory("rss")
            let outcome = runRigBinary(rig, ["stress", smoke, "--iterations", "\(n)", "--out", out, "--traces", "none"], root: root)
            removeTree(out)
            return outcome.maxRSSKiB
        }
        let small = peak(100)
        let large = peak(10_000)
        figures.record(
            "stress_rss", "rig stress peak RSS, 10,000 iterations of smoke vs 100", value: Double(large), unit: "KiB",
            baseline: Double(small), baselineName: "100 iterations", target: 1.1)
    }
}
