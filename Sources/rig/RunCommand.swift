import ArgumentParser
import Coordinator
import CoordinatorCore
import Foundation
import Host
import Machine
import Pictures
import Report
import RigModel
import Roles
import Servicing
import WinFS

/// `RigSession.prepare`, failing as a command does: the reason on stderr, exit status 2 for a bad
/// image or patch, 1 when the host could not write the machine.
func prepare(_ rig: Rig, in directory: String) throws -> PreparedRig {
    do { return try RigSession.prepare(rig, in: directory) } catch {
        printError(error.description)
        throw ExitCode(error.isBadInput ? 2 : 1)
    }
}

/// `rig run RIG`: runs a rig and checks its expectations.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a rig: spawn its actors as rig-worker processes and check its expectations.",
        discussion: """
            Exit status: 0 when every expectation held, 1 when one failed or the run had a problem \
            (a worker timed out, broke the protocol, ...), 2 for a bad rig or bad usage, 130/143 when \
            interrupted by SIGINT/SIGTERM. A failed run prints the tail of each worker's log and the \
            command that replays it.
            """)

    @Argument(help: "The rig file (YAML), e.g. Rigs/smoke.yaml.")
    var rig: String

    @Option(help: "Seed for start jitter and the workers' seeded delays (default: the rig's `seed:`); a seed replays a run.")
    var seed: UInt64?

    @Option(help: "Write a Chrome Trace Event JSON file (opens in Perfetto).")
    var trace: String?

    @Option(help: "Write the results record (JSON; fields in Rigs/README.md).")
    var json: String?

    @Option(help: "Write the run's timeline as one self-contained HTML page (as rig report draws a trace).")
    var html: String?

    @Option(help: "Write JUnit XML, one test case per expectation.")
    var junit: String?

    @Option(
        help:
            "Write the Markdown summary (verdict, expectations, problems, stale images, pending renames, actors); it is also appended to $GITHUB_STEP_SUMMARY when that is set."
    )
    var summary: String?

    @Option(
        help: "Keep the run's directory here: each worker's stdout and stderr (<actor>.stdout, .stderr) and the machine sandbox (machine/)."
    )
    var out: String?

    @OptionGroup var scheduling: SchedulingOptions

    @Option(help: "Save the run's schedule (under --schedule random|pct) to FILE, for --replay.")
    var saveSchedule: String?

    @Option(help: "Replay a saved schedule (--save-schedule, or the file `rig explore` writes): the same seed and the same grants.")
    var replay: String?

    @Flag(
        help:
            "Keep the run's temporary directory (worker logs, machine sandbox) even when the run passes; a failed run keeps its worker logs but not its machine without it."
    )
    var keep = false

    @Option(
        help:
            "Run the rig N times (seeds S...S+N-1, each on a fresh machine, as many at once as there are cores) and print the failure rate: a short `rig stress`. --json, --junit and --summary then write the campaign's."
    )
    var `repeat`: Int?

    func validate() throws {
        if let count = `repeat` {
            guard count >= 1 else { throw ValidationError("--repeat must be 1 or more, not \(count)") }
            guard trace == nil, replay == nil, saveSchedule == nil, !keep else {
                throw ValidationError(
                    "--repeat runs a campaign: --trace, --replay, --save-schedule and --keep are for one run (see rig stress)")
            }
        }
        if replay != nil {
            guard seed == nil, scheduling.schedule == .free else {
                throw ValidationError("--replay takes its seed and schedule from the file: drop --seed and --schedule")
            }
        } else {
            try scheduling.check()
            if saveSchedule != nil && scheduling.schedule == .free {
                throw ValidationError("--save-schedule needs a controlled schedule: add --schedule random or --schedule pct")
            }
        }
    }

    func run() throws {
        // SIGINT/SIGTERM wait (pending) until the run's watchers exist, and again while the
        // outputs are written: an interrupted run always ends with its outputs and 130/143.
        // (`rig` holds them from its first instruction; this covers a caller that did not.)
        RigRunner.holdInterruptions()
        if let count = `repeat` {
            return try PatchRigCampaign.run(
                rig: rig, iterations: count, firstSeed: seed, shard: nil, parallel: nil, choice: scheduling.choice, keepFailures: 10,
                timeLimitNs: nil, traces: .failures, outputs: .init(out: out, json: json, junit: junit, summary: summary, html: html))
        }
        let loaded: Rig
        do { loaded = try RigLoader.load(path: rig) } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let worker = try workerExecutable()
        let logDirectory = try makeLogDirectory()
        let saved = try replay.map { try loadSchedule($0, for: loaded) }
        let seed = saved?.seed ?? self.seed ?? loaded.seed
        let mode = saved.map { ScheduleMode.replay($0.deviations) } ?? scheduling.choice.mode

        let prepared = try prepare(loaded, in: logDirectory)
        let machine = prepared.machine
        let runner = try RigRunner(
            rig: prepared.rig,
            options: RunOptions(
                seed: seed, workerExecutable: worker, logDirectory: logDirectory, machineDirectory: machine,
                roleExists: { RoleTable.roles[$0] != nil }, schedule: mode))
        var history = runner.run()
        let verdict = Checks.verdict(history)
        let keepLogs = out != nil || keep || !verdict.passed
        if out == nil && !keep, let machine {
            // A failed run keeps what explains it (the worker logs), not a 20 MB machine copy.
            try? FileManager.default.removeItem(atPath: machine)
        }
        if !keepLogs {
            // The logs go with the temporary directory: the record must not point at them.
            for i in history.actors.indices {
                history.actors[i].stdoutPath = nil
                history.actors[i].stderrPath = nil
            }
        }

        try write(TraceWriter.json(history), to: trace)
        if let html { try write(TimelinePage.html(history), to: html) }
        try write(ResultsWriter.json(history), to: json)
        try write(JUnitWriter.xml(history), to: junit)
        if summary != nil || stepSummaryPath != nil {
            let markdown = SummaryWriter.markdown(history)
            try write(markdown, to: summary)
            try appendToStepSummary(markdown)
        }
        print(SummaryWriter.text(history), terminator: "")
        if let schedule = history.schedule {
            print(scheduleLine(schedule))
            if let saved, schedule.mismatch == nil, schedule.digest != saved.digest {
                print("the replay took another path than the saved run: digest \(schedule.digest), saved \(saved.digest)")
            }
            if let path = saveSchedule {
                let file = ScheduleFile(rig: loaded.name, rigFile: rig, seed: seed, schedule: schedule)
                try write(file.json(), to: path)
            }
        }

        if !verdict.passed {
            printLogTails(history)
            // The command, then the build that ran it (a seed replays a run of the same commit).
            let again = replay.map { "--replay \(shellQuoted($0))" } ?? "--seed \(seed)\(scheduling.choice.arguments)"
            print("replay: rig run \(shellQuoted(rig)) \(again)   (\(BuildInfo.line))")
        }
        if out == nil {
            if keepLogs {
                RunDirectories.markKept(logDirectory)
                print("worker logs kept in \(logDirectory)\(keep ? "" : " (the machine is not kept without --keep)")")
            } else {
                try? FileManager.default.removeItem(atPath: logDirectory)
            }
        }
        if let signal = runner.interruptedBy ?? RigRunner.pendingInterruption() {
            throw ExitCode(128 + signal)
        }
        if let mismatch = history.schedule?.mismatch {
            printError("rig: \(replay ?? "the schedule") does not fit \(rig): \(mismatch)")
            throw ExitCode(2)
        }
        if !verdict.passed { throw ExitCode(1) }
    }

    /// The rig-worker to spawn (RunOptions.defaultWorkerExecutable: RIG_WORKER, or beside rig).
    private func workerExecutable() throws -> String {
        do { return try RunOptions.defaultWorkerExecutable() } catch { throw ValidationError(error.description) }
    }

    private func makeLogDirectory() throws -> String {
        if let out {
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            } catch {
                throw ValidationError("--out \(out): cannot create the directory: \(error.localizedDescription)")
            }
            return out
        }
        RunDirectories.removeStale()
        guard let path = RunDirectories.make() else { throw ValidationError("cannot create a temporary directory") }
        return path
    }

    /// The last lines of each worker's logs, so a failure can be understood without digging.
    private func printLogTails(_ history: RunHistory, lines: Int = 10) {
        for actor in history.actors {
            for path in [actor.stdoutPath, actor.stderrPath].compactMap({ $0 }) {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { continue }
                let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
                print("--- \(actor.name) (\(actor.role)) \(URL(fileURLWithPath: path).lastPathComponent), last lines:")
                print(tail.joined(separator: "\n"), terminator: text.hasSuffix("\n") ? "" : "\n")
            }
        }
    }
}
