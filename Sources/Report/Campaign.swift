import Foundation
import Wire

/// The record of a stress campaign (`rig stress --json FILE`, `OUT/campaign.json`, and what
/// `rig merge` writes): the documented, stable format (`Rigs/README.md`, "Campaign record").
/// Everything but `wall_ns` and `iterations_per_second` follows from the runs, so shards merged
/// give what one machine would have written for the same seeds.
public struct CampaignRecord: Codable, Sendable, Equatable {
    public static let formatName = "patchrig-campaign"
    public static let currentVersion = 1

    public var format = CampaignRecord.formatName
    public var version = CampaignRecord.currentVersion
    public var rig: String
    public var rigFile: String
    /// The build that ran it (`rig 0.1.0 commit 1a2b3c4d5e6f`).
    public var build: String
    public var schedule: ScheduleSpec
    /// The seeds this record covers: iteration i ran with seed `first + i`.
    public var seeds: SeedRange
    /// The slice of a larger campaign this one ran (`--shard I/N`); absent when it ran them all.
    public var shard: Shard?
    /// How many failing seeds are kept at most (`--keep-failures`).
    public var keepFailures: Int
    /// Iterations asked for; `iterations` ran to their end.
    public var planned: Int
    public var iterations: Int
    public var passed: Int
    /// Iterations that did not pass (an expectation failed or could not be judged, or the run
    /// had a problem); `unknown` of them had no failed expectation and no problem.
    public var failed: Int
    public var unknown: Int
    /// Stopped before every planned iteration ran: by SIGINT/SIGTERM (`interrupted`) or by
    /// `--time-limit` (`stopped_by: "time limit"`).
    public var interrupted: Bool
    public var stoppedBy: String?
    /// `failed / iterations`; absent with no iterations.
    public var failureRate: Double?
    public var interval: Interval?
    public var byExpectation: [ExpectationCount]
    public var byProblem: [ProblemCount]
    public var durationsNs: Durations
    /// Every iteration that ran to its end, by seed.
    public var runs: [CampaignRun]
    /// The first `keep_failures` failing seeds, each with its files (paths relative to the
    /// directory of this record).
    public var kept: [KeptFailure]
    public var wallNs: UInt64
    public var iterationsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case format, version, rig, build, schedule, seeds, shard, planned, iterations, passed, failed, unknown, interrupted
        case interval, runs, kept
        case rigFile = "rig_file"
        case keepFailures = "keep_failures"
        case stoppedBy = "stopped_by"
        case failureRate = "failure_rate"
        case byExpectation = "by_expectation"
        case byProblem = "by_problem"
        case durationsNs = "durations_ns"
        case wallNs = "wall_ns"
        case iterationsPerSecond = "iterations_per_second"
    }

    public struct ScheduleSpec: Codable, Sendable, Equatable {
        /// `free`, `random` or `pct`.
        public var strategy: String
        public var depth: Int?
        public var steps: Int?
        public init(strategy: String, depth: Int? = nil, steps: Int? = nil) {
            self.strategy = strategy
            self.depth = depth
            self.steps = steps
        }
    }

    public struct SeedRange: Codable, Sendable, Equatable {
        public var first: UInt64
        public var count: Int
        public init(first: UInt64, count: Int) {
            self.first = first
            self.count = count
        }
        /// One past the last seed.
        public var end: UInt64 { first &+ UInt64(count) }
    }

    public struct Shard: Codable, Sendable, Equatable {
        /// From 1.
        public var index: Int
        public var count: Int
        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }
        /// The iterations (0-based, of `total`) this shard runs: the `index`-th of `count`
        /// contiguous slices, as even as they can be.
        public func slice(of total: Int) -> Range<Int> {
            (total * (index - 1) / count)..<(total * index / count)
        }
    }

    /// A Wilson score interval for the failure rate.
    public struct Interval: Codable, Sendable, Equatable {
        public var method = "wilson"
        public var confidence = 0.95
        public var low: Double
        public var high: Double
    }

    public struct ExpectationCount: Codable, Sendable, Equatable {
        public var text: String
        public var failures: Int
        public init(text: String, failures: Int) {
            self.text = text
            self.failures = failures
        }
    }

    public struct ProblemCount: Codable, Sendable, Equatable {
        public var kind: String
        public var count: Int
        public init(kind: String, count: Int) {
            self.kind = kind
            self.count = count
        }
    }

    public struct Percentiles: Codable, Sendable, Equatable {
        public var p50: UInt64
        public var p90: UInt64
        public var p99: UInt64
        public init(p50: UInt64, p90: UInt64, p99: UInt64) {
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
        }
    }

    public struct Durations: Codable, Sendable, Equatable {
        public var iteration: Percentiles?
        public var actors: [String: Percentiles]
    }
}

/// One iteration of a campaign.
public struct CampaignRun: Codable, Sendable, Equatable {
    public var seed: UInt64
    /// `pass`, `fail` or `unknown`.
    public var verdict: String
    /// The run's duration (virtual under a controlled schedule).
    public var durationNs: UInt64
    /// The expectations that did not hold.
    public var failed: [String]
    /// The kinds of the run's problems (`CampaignRun.kind(ofProblem:)`).
    public var problems: [String]
    /// Seeded values of the run, in nanoseconds: `ACTOR.start` (spawned, from the run's start)
    /// and `ACTOR.delay` (the length of its seeded `sleep`, such as Windows Update's delay).
    public var parameters: [String: UInt64]
    /// Each actor's duration, spawn to end.
    public var actorNs: [String: UInt64]
    /// The digest of the granted order under a controlled schedule.
    public var digest: String?

    enum CodingKeys: String, CodingKey {
        case seed, verdict, failed, problems, parameters, digest
        case durationNs = "duration_ns"
        case actorNs = "actor_ns"
    }

    public var passed: Bool { verdict == "pass" }

    /// The run as the record writes it (keys of the maps sorted).
    var jsonText: JSONText {
        .object([
            ("seed", .int(seed)), ("verdict", .string(verdict)), ("duration_ns", .int(durationNs)),
            ("failed", .array(failed.map { .string($0) })), ("problems", .array(problems.map { .string($0) })),
            // Seeded delays first (what a race window is plotted against), then start times.
            (
                "parameters",
                .object(
                    parameters.keys.sorted { ($0.hasSuffix(".delay") ? 0 : 1, $0) < ($1.hasSuffix(".delay") ? 0 : 1, $1) }
                        .map { ($0, .int(parameters[$0]!)) })
            ),
            ("actor_ns", .object(actorNs.keys.sorted().map { ($0, .int(actorNs[$0]!)) })), ("digest", .string(digest)),
        ])
    }

    /// The run as one line of JSON (what a `CampaignSpool` holds).
    public var jsonLine: String { jsonText.rendered() }

    public init(
        seed: UInt64, verdict: String, durationNs: UInt64, failed: [String] = [], problems: [String] = [],
        parameters: [String: UInt64] = [:], actorNs: [String: UInt64] = [:], digest: String? = nil
    ) {
        self.seed = seed
        self.verdict = verdict
        self.durationNs = durationNs
        self.failed = failed
        self.problems = problems
        self.parameters = parameters
        self.actorNs = actorNs
        self.digest = digest
    }

    /// What a campaign keeps of a run.
    public init(_ history: RunHistory) {
        let verdict = Checks.verdict(history)
        let failed = verdict.expectations.filter { !$0.passed }.map(\.text)
        self.seed = history.seed
        self.verdict = verdict.passed ? "pass" : (verdict.failedCount == 0 && verdict.problems.isEmpty ? "unknown" : "fail")
        self.durationNs = history.endNs >= history.startNs ? history.endNs - history.startNs : 0
        self.failed = failed
        self.problems = verdict.problems.map(Self.kind(ofProblem:))
        var parameters: [String: UInt64] = [:]
        var actorNs: [String: UInt64] = [:]
        for actor in history.actors {
            guard let spawn = actor.spawnNs else { continue }
            parameters[actor.name + ".start"] = spawn >= history.startNs ? spawn - history.startNs : 0
            if let end = actor.endNs, end >= spawn { actorNs[actor.name] = end - spawn }
            let sleep = actor.events.first { $0.op == "sleep" && $0.args.contains { $0.name == "duration_ns" } }
            if let value = sleep?.args.first(where: { $0.name == "duration_ns" }).flatMap({ UInt64($0.value) }) {
                parameters[actor.name + ".delay"] = value
            }
        }
        self.parameters = parameters
        self.actorNs = actorNs
        self.digest = history.schedule?.digest
    }

    /// A problem's kind, for counting: `timeout`, `interrupted`, `deadlock` (nothing could go on
    /// under a controlled schedule), `schedule` (a replay did not fit), `protocol` (a worker broke
    /// the protocol), `actor` (an actor failed), `machine` (a machine step), or `other`.
    public static func kind(ofProblem text: String) -> String {
        if text.contains("timed out") { return "timeout" }
        if text.hasPrefix("interrupted") { return "interrupted" }
        if text.hasPrefix("nothing can go on") { return "deadlock" }
        if text.contains("does not fit") { return "schedule" }
        if text.contains("broke the protocol") { return "protocol" }
        if text.hasPrefix("actor '") { return "actor" }
        if text.hasPrefix("machine step") || text.hasPrefix("reboot") || text.contains("Session Manager") { return "machine" }
        return "other"
    }
}

/// A failing seed a campaign kept: its directory (worker logs, trace, results record) and the
/// command that replays it.
public struct KeptFailure: Codable, Sendable, Equatable {
    public var seed: UInt64
    /// The expectations that did not hold, and the kinds of the run's problems.
    public var failed: [String]
    public var directory: String
    public var trace: String?
    public var results: String
    public var html: String?
    public var replay: String
    public init(
        seed: UInt64, failed: [String] = [], directory: String, trace: String?, results: String, html: String? = nil, replay: String
    ) {
        self.seed = seed
        self.failed = failed
        self.directory = directory
        self.trace = trace
        self.results = results
        self.html = html
        self.replay = replay
    }
}

/// The running totals of a campaign, kept as its iterations finish: what the record needs
/// besides the runs themselves, in a few bytes per run (the runs can go to a spool file).
public struct CampaignTally: Sendable, Equatable {
    public private(set) var iterations = 0
    public private(set) var passed = 0
    public private(set) var unknown = 0
    public var failed: Int { iterations - passed }
    /// Failed expectations by text, in the order first seen.
    private var expectationOrder: [String] = []
    private var expectations: [String: Int] = [:]
    private var problems: [String: Int] = [:]
    private var iterationNs: [UInt64] = []
    private var actorNs: [String: [UInt64]] = [:]

    public init() {}

    public mutating func add(_ run: CampaignRun) {
        iterations += 1
        if run.passed { passed += 1 }
        if run.verdict == "unknown" { unknown += 1 }
        for text in run.failed {
            if expectations[text] == nil { expectationOrder.append(text) }
            expectations[text, default: 0] += 1
        }
        for kind in Set(run.problems) { problems[kind, default: 0] += 1 }
        iterationNs.append(run.durationNs)
        for (name, ns) in run.actorNs { actorNs[name, default: []].append(ns) }
    }

    var byExpectation: [CampaignRecord.ExpectationCount] { expectationOrder.map { .init(text: $0, failures: expectations[$0]!) } }
    var byProblem: [CampaignRecord.ProblemCount] { problems.keys.sorted().map { .init(kind: $0, count: problems[$0]!) } }
    var durations: CampaignRecord.Durations {
        .init(iteration: CampaignRecord.percentiles(iterationNs), actors: actorNs.compactMapValues(CampaignRecord.percentiles))
    }
}

extension CampaignRecord {
    /// The record of `runs` (any order) of the campaign described by the other arguments: the
    /// counts, the failure rate and its interval, the failures per expectation and problem, the
    /// duration percentiles, and the first `keepFailures` of `kept` by seed.
    public init(
        rig: String, rigFile: String, build: String, schedule: ScheduleSpec, seeds: SeedRange, shard: Shard?, keepFailures: Int,
        planned: Int, runs: [CampaignRun], kept: [KeptFailure], interrupted: Bool, stoppedBy: String?, wallNs: UInt64
    ) {
        var tally = CampaignTally()
        let sorted = runs.sorted { $0.seed < $1.seed }
        for run in sorted { tally.add(run) }
        self.init(
            rig: rig, rigFile: rigFile, build: build, schedule: schedule, seeds: seeds, shard: shard, keepFailures: keepFailures,
            planned: planned, tally: tally, kept: kept, interrupted: interrupted, stoppedBy: stoppedBy, wallNs: wallNs)
        self.runs = sorted
    }

    /// The record from a campaign's `tally`, with no runs in it (`runs` is empty: a campaign's
    /// runner keeps them in a `CampaignSpool` and `write(to:runs:)` streams them into the file).
    public init(
        rig: String, rigFile: String, build: String, schedule: ScheduleSpec, seeds: SeedRange, shard: Shard?, keepFailures: Int,
        planned: Int, tally: CampaignTally, kept: [KeptFailure], interrupted: Bool, stoppedBy: String?, wallNs: UInt64
    ) {
        self.rig = rig
        self.rigFile = rigFile
        self.build = build
        self.schedule = schedule
        self.seeds = seeds
        self.shard = shard
        self.keepFailures = keepFailures
        self.planned = planned
        self.runs = []
        self.kept = Array(kept.sorted { $0.seed < $1.seed }.prefix(keepFailures))
        self.interrupted = interrupted
        self.stoppedBy = stoppedBy
        self.wallNs = wallNs
        iterations = tally.iterations
        passed = tally.passed
        failed = tally.failed
        unknown = tally.unknown
        failureRate = iterations == 0 ? nil : Double(failed) / Double(iterations)
        interval = iterations == 0 ? nil : Self.wilson(failures: failed, of: iterations)
        byExpectation = tally.byExpectation
        byProblem = tally.byProblem
        durationsNs = tally.durations
        iterationsPerSecond = wallNs == 0 ? 0 : (Double(iterations) / (Double(wallNs) / 1e9) * 100).rounded() / 100
    }

    /// The Wilson score interval at 95 % (z = 1.959964) for `failures` of `n` trials: unlike the
    /// normal approximation it stays within 0...1 and is not empty at 0 or n failures.
    public static func wilson(failures: Int, of n: Int, z: Double = 1.959964) -> Interval {
        let p = Double(failures) / Double(n)
        let n = Double(n)
        let denominator = 1 + z * z / n
        let center = (p + z * z / (2 * n)) / denominator
        let half = z * ((p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()) / denominator
        return Interval(low: max(0, center - half), high: min(1, center + half))
    }

    /// p50, p90 and p99 by nearest rank; nil for no samples.
    public static func percentiles(_ samples: [UInt64]) -> Percentiles? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        func rank(_ p: Double) -> UInt64 { sorted[max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)] }
        return Percentiles(p50: rank(50), p90: rank(90), p99: rank(99))
    }

    /// The record as JSON text (two-space indented, keys in documented order, each run on a
    /// line of its own, ending in a newline), with `runs` as they are in the record.
    public func json() -> String {
        let (before, after) = halves()
        return before + CampaignSpool.runsArray(runs.map(\.jsonLine)) + after
    }

    /// Writes the record to `path`, its runs streamed from `spool` (by seed) when given, else
    /// the record's own: a campaign of any length is written without holding its runs. The
    /// text is the same either way.
    public func write(toFile path: String, runs spool: CampaignSpool? = nil) throws(CampaignSpool.Failure) {
        guard let spool else { return try CampaignSpool.writeWhole(json(), to: path) }
        let (before, after) = halves()
        try spool.write(to: path, before: before, after: after)
    }

    /// The record's text before and after its runs array.
    private func halves() -> (String, String) {
        let marker = "\u{1}runs\u{1}"
        let text = jsonText(runs: [.string(marker)]).rendered(indent: 2) + "\n"
        var escaped = ""
        JSONText.escape(marker, into: &escaped)
        let range = text.range(of: "[" + escaped + "]")!
        return (String(text[..<range.lowerBound]), String(text[range.upperBound...]))
    }

    func jsonText(runs: [JSONText]) -> JSONText {
        func percentiles(_ p: Percentiles?) -> JSONText {
            p.map { .object([("p50", .int($0.p50)), ("p90", .int($0.p90)), ("p99", .int($0.p99))]) } ?? .null
        }
        return .object([
            ("format", .string(format)), ("version", .int(version)), ("rig", .string(rig)), ("rig_file", .string(rigFile)),
            ("build", .string(build)),
            (
                "schedule",
                .object([("strategy", .string(schedule.strategy)), ("depth", .int(schedule.depth)), ("steps", .int(schedule.steps))])
            ),
            ("seeds", .object([("first", .int(seeds.first)), ("count", .int(seeds.count))])),
            ("shard", shard.map { .object([("index", .int($0.index)), ("count", .int($0.count))]) } ?? .null),
            ("keep_failures", .int(keepFailures)), ("planned", .int(planned)), ("iterations", .int(iterations)),
            ("passed", .int(passed)), ("failed", .int(failed)), ("unknown", .int(unknown)), ("interrupted", .bool(interrupted)),
            ("stopped_by", .string(stoppedBy)), ("failure_rate", failureRate.map { .number("\($0)") } ?? .null),
            (
                "interval",
                interval.map {
                    .object([
                        ("method", .string($0.method)), ("confidence", .number("\($0.confidence)")), ("low", .number("\($0.low)")),
                        ("high", .number("\($0.high)")),
                    ])
                } ?? .null
            ),
            ("by_expectation", .array(byExpectation.map { .object([("text", .string($0.text)), ("failures", .int($0.failures))]) })),
            ("by_problem", .array(byProblem.map { .object([("kind", .string($0.kind)), ("count", .int($0.count))]) })),
            (
                "durations_ns",
                .object([
                    ("iteration", percentiles(durationsNs.iteration)),
                    ("actors", .object(durationsNs.actors.keys.sorted().map { ($0, percentiles(durationsNs.actors[$0])) })),
                ])
            ),
            (
                "kept",
                .array(
                    kept.map {
                        .object([
                            ("seed", .int($0.seed)), ("failed", .array($0.failed.map { .string($0) })),
                            ("directory", .string($0.directory)), ("trace", .string($0.trace)),
                            ("results", .string($0.results)), ("html", .string($0.html)), ("replay", .string($0.replay)),
                        ])
                    })
            ),
            ("wall_ns", .int(wallNs)), ("iterations_per_second", .number("\(iterationsPerSecond)")),
            ("runs", .array(runs)),
        ])
    }

    /// A campaign record that cannot be read: not JSON, truncated, not a campaign, or of
    /// another version.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads the campaign record at `path`.
    public static func read(_ path: String) throws(Invalid) -> CampaignRecord {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(description: "\(path): cannot read it") }
        guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Invalid(description: "\(path): not a campaign record (not a JSON object, or cut short)")
        }
        guard top["format"] as? String == formatName else {
            throw Invalid(description: "\(path): not a campaign record (its format is not \"\(formatName)\")")
        }
        guard top["version"] as? Int == currentVersion else {
            throw Invalid(
                description: "\(path): campaign record version \(top["version"] ?? "none"); this rig reads version \(currentVersion)")
        }
        do { return try JSONDecoder().decode(CampaignRecord.self, from: data) } catch {
            throw Invalid(description: "\(path): a campaign record with a missing or bad field: \(error)")
        }
    }
}
