/// A stress campaign as `rig stress --json` and `rig merge` write it (`"format":
/// "patchrig-campaign", "version": 1`): what the campaign page shows. Every list may be empty;
/// an empty campaign (no iteration) is valid.
public struct Campaign: Sendable {
    public static let format = "patchrig-campaign"
    public static let version = 1

    /// Duration percentiles, in nanoseconds.
    public struct Percentiles: Sendable, Equatable {
        public var p50: Int64?
        public var p90: Int64?
        public var p99: Int64?
    }

    /// One iteration: its seed (as written, exact), verdict, what failed and the seeded
    /// parameters it drew (`windowsupdate.delay` → nanoseconds), in the order written.
    public struct Run: Sendable {
        public var seed: String
        /// `pass`, `fail` or `unknown`.
        public var verdict: String
        public var durationNs: Int64?
        public var failed: [String]
        public var problems: [String]
        public var parameters: [(name: String, value: Double)]
    }

    /// A failing seed kept with its outputs (paths relative to the campaign file's directory)
    /// and the command that replays it.
    public struct Kept: Sendable {
        public var seed: String
        public var directory: String?
        public var trace: String?
        public var results: String?
        public var html: String?
        public var replay: String?
    }

    public var rig: String
    public var rigFile: String?
    public var build: String?
    /// `pct (depth 2, 150 steps)`, `free`; nil when not recorded.
    public var schedule: String?
    public var firstSeed: String?
    public var seedCount: Int64?
    /// `1 of 4`, when the campaign is one shard of several.
    public var shard: String?
    public var planned: Int64
    public var iterations: Int64
    public var passed: Int64
    public var failed: Int64
    public var unknown: Int64
    public var interrupted: Bool
    public var failureRate: Double?
    /// The interval's method, confidence and bounds.
    public var interval: (method: String, confidence: Double, low: Double, high: Double)?
    public var byExpectation: [(text: String, failures: Int64)]
    public var byProblem: [(kind: String, count: Int64)]
    public var iterationDurations: Percentiles?
    public var actorDurations: [(actor: String, percentiles: Percentiles)]
    public var runs: [Run]
    public var kept: [Kept]
    public var wallNs: Int64?
    public var iterationsPerSecond: Double?

    /// Reads a campaign from its JSON; refuses another format or version, and a missing or
    /// mistyped field, naming it.
    public init(json root: JSONValue) throws(InputError) {
        guard root["format"]?.string == Self.format else {
            throw InputError("not a campaign: its \"format\" is not \"\(Self.format)\"")
        }
        guard let version = root["version"]?.int, version == Int64(Self.version) else {
            let seen = root["version"].map(RunTimeline.spelled) ?? "none"
            throw InputError("a campaign of version \(seen); this rig reads version \(Self.version)")
        }
        let fields = Fields(root, what: "campaign")
        rig = try fields.string("rig")
        rigFile = try fields.optionalString("rig_file")
        build = try fields.optionalString("build")
        planned = try fields.integer("planned")
        iterations = try fields.integer("iterations")
        passed = try fields.integer("passed")
        failed = try fields.integer("failed")
        unknown = try fields.integer("unknown")
        interrupted = root["interrupted"]?.bool ?? false
        failureRate = root["failure_rate"]?.double
        wallNs = root["wall_ns"]?.int
        iterationsPerSecond = root["iterations_per_second"]?.double

        if let schedule = root["schedule"], !schedule.isNull {
            let strategy = schedule["strategy"]?.string ?? "?"
            var parts: [String] = []
            if let depth = schedule["depth"]?.int { parts.append("depth \(depth)") }
            if let steps = schedule["steps"]?.int { parts.append("\(steps) steps") }
            self.schedule = strategy + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
        }
        if let seeds = root["seeds"], !seeds.isNull {
            firstSeed = seeds["first"].map { if case .number(let text) = $0 { text } else { RunTimeline.spelled($0) } }
            seedCount = seeds["count"]?.int
        }
        if let shard = root["shard"], !shard.isNull, let index = shard["index"]?.int, let count = shard["count"]?.int {
            self.shard = "\(index) of \(count)"
        }
        if let interval = root["interval"], !interval.isNull {
            guard let low = interval["low"]?.double, let high = interval["high"]?.double else {
                throw InputError("a campaign whose \"interval\" has no numbers \"low\" and \"high\"")
            }
            self.interval = (interval["method"]?.string ?? "?", interval["confidence"]?.double ?? 0.95, low, high)
        }
        byExpectation = try fields.list("by_expectation", optional: true).map { item throws(InputError) in
            let entry = Fields(item, what: "by_expectation entry")
            return (try entry.string("text"), try entry.integer("failures"))
        }
        byProblem = try fields.list("by_problem", optional: true).map { item throws(InputError) in
            let entry = Fields(item, what: "by_problem entry")
            return (try entry.string("kind"), try entry.integer("count"))
        }
        if let durations = root["durations_ns"], !durations.isNull {
            iterationDurations = durations["iteration"].map(Self.percentiles)
            actorDurations = (durations["actors"]?.members ?? []).map { ($0.0, Self.percentiles($0.1)) }
        } else {
            actorDurations = []
        }
        runs = try fields.list("runs", optional: false).map { item throws(InputError) in
            let entry = Fields(item, what: "run")
            guard let seed = item["seed"], case .number(let seedText) = seed else { throw InputError("a run without a numeric \"seed\"") }
            let verdict = try entry.string("verdict")
            let parameters: [(name: String, value: Double)] = (item["parameters"]?.members ?? []).compactMap { name, value in
                value.double.map { (name, $0) }
            }
            return Run(
                seed: seedText, verdict: verdict, durationNs: item["duration_ns"]?.int,
                failed: (item["failed"]?.array ?? []).compactMap(\.string), problems: (item["problems"]?.array ?? []).compactMap(\.string),
                parameters: parameters)
        }
        kept = try fields.list("kept", optional: true).map { item throws(InputError) in
            guard let seed = item["seed"], case .number(let seedText) = seed else {
                throw InputError("a kept failure without a numeric \"seed\"")
            }
            return Kept(
                seed: seedText, directory: item["directory"]?.string, trace: item["trace"]?.string, results: item["results"]?.string,
                html: item["html"]?.string, replay: item["replay"]?.string)
        }
    }

    static func percentiles(_ value: JSONValue) -> Percentiles {
        Percentiles(p50: value["p50"]?.int, p90: value["p90"]?.int, p99: value["p99"]?.int)
    }

    /// The parameters the runs drew, in the order they first appear.
    public var parameterNames: [String] {
        var names: [String] = []
        for run in runs {
            for parameter in run.parameters where !names.contains(parameter.name) { names.append(parameter.name) }
        }
        return names
    }

    /// The first parameter (in `parameterNames` order) whose value is not the same in every run
    /// that has it; nil when none varies.
    public var firstVaryingParameter: String? {
        parameterNames.first { name in
            let values = Set(runs.compactMap { run in run.parameters.first { $0.name == name }?.value })
            return values.count > 1
        }
    }
}

/// Reads the fields of one JSON object, naming what is wrong.
private struct Fields {
    let object: JSONValue
    let what: String
    init(_ object: JSONValue, what: String) {
        self.object = object
        self.what = what
    }

    func string(_ key: String) throws(InputError) -> String {
        guard let value = object[key]?.string else { throw InputError("a \(what) without a text \"\(key)\"") }
        return value
    }

    func optionalString(_ key: String) throws(InputError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let text = value.string else { throw InputError("a \(what) whose \"\(key)\" is not a text") }
        return text
    }

    func integer(_ key: String) throws(InputError) -> Int64 {
        guard let value = object[key]?.int else { throw InputError("a \(what) without an integer \"\(key)\"") }
        return value
    }

    func list(_ key: String, optional: Bool) throws(InputError) -> [JSONValue] {
        guard let value = object[key], !value.isNull else {
            if optional { return [] }
            throw InputError("a \(what) without a list \"\(key)\"")
        }
        guard let items = value.array else { throw InputError("a \(what) whose \"\(key)\" is not a list") }
        return items
    }
}
