import ArgumentParser
import Coordinator
import CoordinatorCore
import Foundation
import Host
import Pictures
import Report
import RigModel
import Roles
import WindowsModel

/// `rig stress RIG --iterations N`: a campaign of N runs of one rig, each on a fresh machine.
struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Run a rig many times, each on a fresh machine, and report its failure rate and failing seeds.",
        discussion: """
            Iteration i runs with seed S+i. The failure rate comes with a Wilson 95% interval; the \
            first failing seeds are kept under --out with their trace, results record, worker logs \
            and the command that replays each. Ctrl-C (or SIGTERM) stops the campaign and writes \
            the results of the iterations that finished. Exit status: 0 when no iteration failed, 1 \
            when one did (or one could not be run), 2 for bad usage or a bad rig, 130/143 when \
            interrupted.
            """)

    @Argument(help: "The rig file (YAML).")
    var rig: String

    @Option(help: "How many iterations the campaign has (all shards together).")
    var iterations: Int

    @OptionGroup var campaign: CampaignOptions

    func validate() throws { try campaign.check(iterations: iterations) }

    func run() throws { try campaign.runCampaign(rig: rig, iterations: iterations) }
}

/// The options `rig stress` and `rig run --repeat` share.
struct CampaignOptions: ParsableArguments {
    @Option(help: "Iterations at once (default: the number of cores; free runs mostly sleep, so more can pay).")
    var parallel: Int?

    @Option(help: "The first seed (default: the rig's `seed:`); iteration i runs with seed S+i.")
    var seed: UInt64?

    @OptionGroup var scheduling: SchedulingOptions

    @Option(help: "Run the I-th of N slices of the seeds (I from 1), e.g. 2/4: for a CI matrix; `rig merge` combines the shards.")
    var shard: String?

    @Option(help: "Where the failing seeds, traces and outputs go (default: a new temporary directory, kept only when it holds something).")
    var out: String?

    @Option(help: "Write the campaign record (JSON; fields in Rigs/README.md). It is always written to OUT/campaign.json too.")
    var json: String?

    @Option(help: "Write JUnit XML: one test case for the rig, a failure for each failing seed kept.")
    var junit: String?

    @Option(help: "Write the Markdown summary; it is also appended to $GITHUB_STEP_SUMMARY when that is set.")
    var summary: String?

    @Option(help: "Start no iteration after this long (e.g. 10m, 90s); the finished ones are reported.")
    var timeLimit: String?

    @Option(help: "How many failing seeds to keep, the lowest first (default 10).")
    var keepFailures: Int = 10

    @Option(help: "none, failures (each kept failing seed's trace; the default) or all (OUT/traces/seed-N.json for every iteration).")
    var traces: TraceChoice = .failures

    @Option(
        help:
            "Write the campaign page (HTML: the failure rate, failures per expectation, durations, each iteration plotted against a seeded parameter, links to the kept seeds' timelines)."
    )
    var html: String?

    @Option(
        help:
            "The campaign page plots each iteration against this seeded parameter, e.g. windowsupdate.delay (default: the first that varies)."
    )
    var by: String?

    func check(iterations: Int) throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be 1 or more, not \(iterations)") }
        if let parallel, parallel < 1 { throw ValidationError("--parallel must be 1 or more, not \(parallel)") }
        guard keepFailures >= 0 else { throw ValidationError("--keep-failures must be 0 or more, not \(keepFailures)") }
        _ = try parsedShard()
        _ = try timeLimitNs()
        try scheduling.check()
    }

    func parsedShard() throws -> CampaignRecord.Shard? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (1...count).contains(index) else {
            throw ValidationError("--shard must be I/N with 1 <= I <= N (e.g. 2/4), not '\(shard)'")
        }
        return .init(index: index, count: count)
    }

    func timeLimitNs() throws -> UInt64? {
        guard let timeLimit else { return nil }
        guard case .success(let ns) = DurationText.parse(timeLimit), ns > 0 else {
            throw ValidationError("--time-limit must be a duration such as 90s or 10m, not '\(timeLimit)'")
        }
        return ns
    }

    /// Runs the campaign and writes its outputs; throws the exit status.
    func runCampaign(rig path: String, iterations: Int) throws {
        try PatchRigCampaign.run(
            rig: path, iterations: iterations, firstSeed: seed, shard: try parsedShard(), parallel: parallel, choice: scheduling.choice,
            keepFailures: keepFailures, timeLimitNs: try timeLimitNs(), traces: traces,
            outputs: .init(out: out, json: json, junit: junit, summary: summary, html: html, by: by))
    }
}

/// A campaign from the command line to its outputs: `rig stress` and `rig run --repeat`.
enum PatchRigCampaign {
    struct Outputs {
        var out: String?
        var json: String?
        var junit: String?
        var summary: String?
        var html: String? = nil
        var by: String? = nil
    }

    /// Loads the rig, runs the campaign, writes its outputs and prints its summary; throws the
    /// exit status (1 when an iteration failed, 2 for a bad rig, 128+N when interrupted).
    static func run(
        rig path: String, iterations: Int, firstSeed: UInt64?, shard: CampaignRecord.Shard?, parallel: Int?, choice: ScheduleChoice,
        keepFailures: Int, timeLimitNs: UInt64?, traces: TraceChoice, outputs: Outputs
    ) throws {
        let loaded: Rig
        do { loaded = try RigLoader.load(path: path) } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let worker: String
        do { worker = try RunOptions.defaultWorkerExecutable() } catch { throw ValidationError(error.description) }
        let directory = try outputDirectory(outputs.out, kind: "stress")
        let settings = CampaignSettings(
            rig: loaded, rigPath: path, firstSeed: firstSeed ?? loaded.seed, iterations: iterations, shard: shard,
            parallel: parallel ?? ProcessInfo.processInfo.activeProcessorCount, choice: choice, keepFailures: keepFailures,
            timeLimitNs: timeLimitNs, traces: traces, out: directory, timelines: outputs.html != nil)
        let runner: CampaignRunner
        do { runner = try CampaignRunner(settings, worker: worker) } catch { throw failure(error.description, code: 1) }
        let record: CampaignRecord
        do { record = try runner.run() } catch {
            printError(error.description)
            throw ExitCode(error.isBadInput ? 2 : 1)
        }
        try writeCampaignOutputs(
            record, runs: runner.runs, directory: directory, json: outputs.json, junit: outputs.junit, summary: outputs.summary)
        try? FileManager.default.removeItem(atPath: runner.runs.path)
        if let page = outputs.html { try writeCampaignPage(record, directory: directory, to: page, by: outputs.by) }
        if outputs.out == nil {
            if record.kept.isEmpty && traces != .all {
                try? FileManager.default.removeItem(atPath: directory)
            } else {
                print("kept in \(directory)")
            }
        }
        if record.interrupted { throw ExitCode(128 + (RigRunner.pendingInterruption() ?? Signal.interrupt)) }
        // An iteration that could not be run at all (its machine could not be made) stopped it.
        if record.stoppedBy == CampaignRunner.stoppedByError { throw ExitCode(1) }
        if record.failed > 0 { throw ExitCode(1) }
    }
}

/// Writes the campaign page to `page`, its links to the kept seeds' timelines pointing into
/// `directory` (the campaign's --out) from where the page is. A `--by` no run has is a usage error.
func writeCampaignPage(_ record: CampaignRecord, directory: String, to page: String, by: String?) throws {
    let text: String
    do {
        let json = try String(contentsOfFile: directory + "/campaign.json", encoding: .utf8)
        text = try CampaignPage.html(campaignJSONText: json, by: by, linkPrefix: relativePath(from: page, to: directory))
    } catch {
        throw failure("--html \(page): \(error)")
    }
    try write(text, to: page)
}

/// The path of the directory `target` as seen from the directory of the file `file`, ending in
/// `/` (empty when they are the same); absolute when one of them is.
func relativePath(from file: String, to target: String) -> String {
    let base = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.pathComponents
    let goal = URL(fileURLWithPath: target).standardizedFileURL.pathComponents
    let common = zip(base, goal).prefix { $0 == $1 }.count
    let parts = Array(repeating: "..", count: base.count - common) + goal[common...]
    return parts.isEmpty ? "" : parts.joined(separator: "/") + "/"
}

/// Writes a campaign's record to `directory/campaign.json` (and `json`), its JUnit and Markdown
/// summary when asked (the summary also to `$GITHUB_STEP_SUMMARY`), and prints its summary.
func writeCampaignOutputs(
    _ record: CampaignRecord, runs: CampaignSpool? = nil, directory: String, json: String?, junit: String?, summary: String?
) throws {
    for path in [directory + "/campaign.json", json].compactMap({ $0 }) {
        do { try record.write(toFile: path, runs: runs) } catch { throw failure(error.description) }
    }
    try write(record.junit(), to: junit)
    let markdown = record.markdown()
    try write(markdown, to: summary)
    try appendToStepSummary(markdown)
    print(record.text(), terminator: "")
}
