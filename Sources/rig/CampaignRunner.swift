import ArgumentParser
import Coordinator
import CoordinatorCore
import Foundation
import Host
import LibUV
import Pictures
import Report
import RigModel
import Roles

/// Which iterations of a campaign leave a trace (`--traces`).
enum TraceChoice: String, ExpressibleByArgument, CaseIterable {
    case none, failures, all
}

/// What a campaign runs: `rig stress` and `rig run --repeat` fill it in.
struct CampaignSettings {
    var rig: Rig
    /// The rig file as the user named it (for the replay commands).
    var rigPath: String
    var firstSeed: UInt64
    /// Iterations of the whole campaign; a shard runs its slice.
    var iterations: Int
    var shard: CampaignRecord.Shard?
    var parallel: Int
    var choice: ScheduleChoice
    var keepFailures: Int
    var timeLimitNs: UInt64?
    var traces: TraceChoice
    /// Where the kept failures, the work directories and the outputs go.
    var out: String
    /// Whether each kept failing seed gets its timeline page (`timeline.html`).
    var timelines = false
}

/// Runs a campaign: iteration i on a fresh machine (cloned from one made once for the
/// campaign) with seed S+i, `parallel` at a time, each in a thread of its own with its own
/// runner and event loop. Keeps the first failing seeds' directories, shows progress, and stops
/// cleanly on SIGINT/SIGTERM or at the time limit with the record of the iterations that finished.
final class CampaignRunner: @unchecked Sendable {
    let settings: CampaignSettings
    let worker: String
    private let lock = NSLock()
    // Under `lock`:
    private var next: Int
    private var tally = CampaignTally()
    private let spool: CampaignSpool
    private var kept: [KeptFailure] = []
    private var stopReason: String?
    private var interrupted = false
    private var problems: [String] = []
    /// The iterations (0-based, of the whole campaign) this one runs: its shard's slice.
    private let slice: Range<Int>

    /// The runs of the campaign, spooled as they finish (remove it once the record is written).
    var runs: CampaignSpool { spool }

    init(_ settings: CampaignSettings, worker: String) throws(CampaignSpool.Failure) {
        self.settings = settings
        self.worker = worker
        spool = try CampaignSpool(path: settings.out + "/.runs.jsonl")
        slice = settings.shard?.slice(of: settings.iterations) ?? 0..<settings.iterations
        next = slice.lowerBound
    }

    var seeds: CampaignRecord.SeedRange {
        .init(first: settings.firstSeed &+ UInt64(slice.lowerBound), count: slice.count)
    }

    /// `stopped_by` of a campaign an error stopped (its reason is printed on stderr).
    static let stoppedByError = "an error"

    /// Runs every iteration of the slice (or until stopped) and returns the record.
    func run() throws(SessionError) -> CampaignRecord {
        let started = MonotonicClock.now()
        RunDirectories.removeStale()
        let slots = min(settings.parallel, max(seeds.count, 1))
        // The machines live in memory when the host allows, else under --out.
        let memory = RunDirectories.memoryDirectory(machines: slots + 1, bytes: 64 << 20)
        let work = memory ?? (settings.out + "/work")
        // Under --out, what a campaign that was killed left there goes first.
        if memory == nil { try? FileManager.default.removeItem(atPath: work) }
        try? FileManager.default.createDirectory(atPath: work + "/template", withIntermediateDirectories: true)
        // One machine for the campaign, cloned for each iteration.
        let template = try RigSession.prepare(settings.rig, in: work + "/template")
        let group = DispatchGroup()
        for slot in 0..<slots {
            group.enter()
            let thread = Thread { [self] in
                runIterations(template: template, directory: work + "/slot-\(slot)", slot: slot)
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        let progress = Progress(total: seeds.count)
        while group.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
            let elapsed = MonotonicClock.now() - started
            lock.lock()
            if let limit = settings.timeLimitNs, elapsed >= limit, stopReason == nil { stopReason = "time limit" }
            let (done, failed) = (tally.iterations, tally.failed)
            lock.unlock()
            progress.show(done: done, failed: failed, elapsedNs: elapsed)
        }
        progress.finish()
        try? FileManager.default.removeItem(atPath: work)
        for problem in problems { printError("rig: \(problem)") }
        return CampaignRecord(
            rig: settings.rig.name, rigFile: settings.rigPath, build: BuildInfo.line, schedule: scheduleSpec, seeds: seeds,
            shard: settings.shard, keepFailures: settings.keepFailures, planned: seeds.count, tally: tally, kept: kept,
            interrupted: interrupted, stoppedBy: stopReason, wallNs: MonotonicClock.now() - started)
    }

    var scheduleSpec: CampaignRecord.ScheduleSpec {
        let mode = settings.choice.mode
        if case .pct(let depth, let steps) = mode { return .init(strategy: "pct", depth: depth, steps: steps) }
        return .init(strategy: settings.choice.name.rawValue)
    }

    /// One thread: takes the next iteration until there is none or the campaign stops.
    private func runIterations(template: PreparedRig, directory: String, slot: Int) {
        // Under a controlled schedule each slot keeps to a CPU of its own for the whole campaign:
        // its runs stay on it (`RigRunner.run`), and its clones and removals are done there too,
        // so a machine's pages are written where they are read.
        if settings.choice.mode.isControlled, let cpus = CPUAffinity.current(), !cpus.isEmpty {
            CPUAffinity.set([cpus[slot % cpus.count]])
        }
        while let i = take() {
            let seed = settings.firstSeed &+ UInt64(i)
            try? FileManager.default.removeItem(atPath: directory)
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let prepared = try RigSession.clone(template, in: directory)
                let (history, interruptedBy) = try RigSession.run(
                    prepared, seed: seed, schedule: settings.choice.mode, worker: worker, logDirectory: directory,
                    roleExists: { RoleTable.roles[$0] != nil })
                if interruptedBy != nil {
                    stop(interrupted: true)
                } else {
                    finish(history, in: directory)
                }
            } catch {
                stop(problem: "iteration with seed \(seed): \(error)")
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard stopReason == nil, next < slice.upperBound else { return nil }
        next += 1
        return next - 1
    }

    private func stop(interrupted: Bool = false, problem: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        if interrupted {
            self.interrupted = true
            stopReason = stopReason ?? "an interruption (SIGINT or SIGTERM)"
        }
        if let problem {
            problems.append(problem)
            stopReason = stopReason ?? Self.stoppedByError
        }
    }

    /// Records a finished iteration; keeps its directory when it is among the first failing
    /// seeds (and drops the one it displaces), writes its trace when asked.
    private func finish(_ history: RunHistory, in directory: String) {
        let run = CampaignRun(history)
        lock.lock()
        tally.add(run)
        do { try spool.append(run) } catch { problems.append(error.description) }
        let keep = !run.passed && (kept.count < settings.keepFailures || run.seed < (kept.map(\.seed).max() ?? 0))
        lock.unlock()
        // The trace is rendered once, for the traces directory and a kept failure alike.
        let trace = settings.traces == .all || (keep && settings.traces == .failures) ? TraceWriter.json(history) : nil
        if settings.traces == .all, let trace {
            try? FileManager.default.createDirectory(atPath: settings.out + "/traces", withIntermediateDirectories: true)
            try? trace.write(toFile: settings.out + "/traces/seed-\(run.seed).json", atomically: false, encoding: .utf8)
        }
        guard keep else { return }
        let failure = keepFailure(history, run, trace: trace, from: directory)
        lock.lock()
        kept.append(failure)
        kept.sort { $0.seed < $1.seed }
        let dropped = kept.count > settings.keepFailures ? kept.removeLast() : nil
        lock.unlock()
        if let dropped { try? FileManager.default.removeItem(atPath: settings.out + "/" + dropped.directory) }
    }

    /// Moves an iteration's directory (its worker logs; not its machine) to
    /// `failures/seed-N` and writes its results record and trace there.
    private func keepFailure(_ history: RunHistory, _ run: CampaignRun, trace text: String?, from directory: String) -> KeptFailure {
        let relative = "failures/seed-\(history.seed)"
        let target = settings.out + "/" + relative
        try? FileManager.default.removeItem(atPath: directory + "/machine")
        try? FileManager.default.createDirectory(atPath: settings.out + "/failures", withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: target)
        try? FileManager.default.moveItem(atPath: directory, toPath: target)
        var history = history
        func moved(_ path: String?) -> String? { path.map { $0.hasPrefix(directory) ? target + $0.dropFirst(directory.count) : $0 } }
        for i in history.actors.indices {
            history.actors[i].stdoutPath = moved(history.actors[i].stdoutPath)
            history.actors[i].stderrPath = moved(history.actors[i].stderrPath)
        }
        try? ResultsWriter.json(history).write(toFile: target + "/results.json", atomically: false, encoding: .utf8)
        var trace: String?
        if let text {
            try? text.write(toFile: target + "/trace.json", atomically: false, encoding: .utf8)
            trace = relative + "/trace.json"
        }
        var html: String?
        if settings.timelines {
            try? TimelinePage.html(history).write(toFile: target + "/timeline.html", atomically: false, encoding: .utf8)
            html = relative + "/timeline.html"
        }
        let replay = "rig run \(shellQuoted(settings.rigPath)) --seed \(history.seed)\(settings.choice.arguments)"
        return KeptFailure(
            seed: history.seed, failed: run.failed + run.problems.map { "problem: \($0)" }, directory: relative, trace: trace,
            results: relative + "/results.json", html: html, replay: replay)
    }
}

/// The progress of a campaign: on a terminal a bar redrawn in place; otherwise (a CI log) a
/// plain line every 10 seconds.
final class Progress {
    let total: Int
    let terminal = isatty(1) != 0
    private var lastLineNs: UInt64 = 0
    private var drawn = false

    init(total: Int) { self.total = total }

    func show(done: Int, failed: Int, elapsedNs: UInt64) {
        let seconds = Double(elapsedNs) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let left = rate > 0 ? Int((Double(total - done) / rate).rounded()) : nil
        let failures = "\(failed) failed" + (done > 0 ? String(format: " (%.1f%%)", Double(failed) * 100 / Double(done)) : "")
        let status = "\(done)/\(total), \(failures), \(String(format: "%.1f", rate))/s" + (left.map { ", \($0)s left" } ?? "")
        if terminal {
            let width = 30
            let filled = total == 0 ? width : width * done / total
            print(
                "\r[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + status + "   ",
                terminator: "")
            fflush(nil)
            drawn = true
        } else if elapsedNs >= lastLineNs + 10_000_000_000 {
            lastLineNs = elapsedNs
            print("stress: " + status)
            fflush(nil)
        }
    }

    func finish() {
        if drawn { print("") }
    }
}
