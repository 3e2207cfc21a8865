import Report

/// A run as the page's script reads it: compact JSON, operations as columns of numbers with
/// their texts (names, results, arguments) numbered in one table of strings, so that 20,000
/// operations stay around a megabyte.
///
///     {"rig", "file", "seed", "clock", "schedule", "digest", "passed", "duration",
///      "outcomes": [{"name", "color"}], "arrowKinds": [{"kind", "color"}],
///      "lanes": [{"label", "short", "name", "role", "pid", "from", "hello", "to", "outcome", "failure",
///                 "boot", "depth"}],
///      "boots": [{"name", "from"}],
///      "strings": [...],
///      "ops": {"lane": [], "from": [], "to": [], "name": [], "result": [], "args": [], "outcome": []},
///      "machine": [{"step", "name", "from", "to", "row"}],
///      "arrows": [{"kind", "from", "fromNs", "to", "toNs", "label"}],
///      "expectations": [{"text", "verdict", "detail", "ops": []}], "problems": [...]}
///
/// Times are nanoseconds since the run began; `ops.name`, `.result` and `.args` index `strings`
/// (`args` is `name=value` lines); `ops.outcome` indexes `outcomes`; a lane's `boot` indexes
/// `boots` (null: never started); an arrow's `from` is a lane, or -1 for the machine lane.
enum TimelineData {
    /// Arrow kinds: name, colour, the legend's words.
    static let arrowKinds: [(String, String, String)] = [
        ("release", "#1f5fbf", "released a waiter (event)"),
        ("child", "#555555", "started a process"),
        ("start", "#2a9d4b", "started an actor (after)"),
    ]

    /// The machine lane's rows: the step, its phases, the RunOnce commands.
    static func machineRow(_ name: String, step: String) -> Int {
        if name == step { return 0 }
        return name == "RunOnce" ? 2 : 1
    }

    static func json(_ timeline: RunTimeline, explained: [[Int]]) -> String {
        var strings: [String] = []
        var numbers: [String: Int] = [:]
        func number(_ text: String) -> JSONText {
            if let known = numbers[text] { return .int(known) }
            numbers[text] = strings.count
            strings.append(text)
            return .int(strings.count - 1)
        }
        let outcomes = OperationOutcome.allCases
        let outcomeIndex = Dictionary(uniqueKeysWithValues: outcomes.enumerated().map { ($1, $0) })
        var lane: [JSONText] = []
        var from: [JSONText] = []
        var to: [JSONText] = []
        var name: [JSONText] = []
        var result: [JSONText] = []
        var args: [JSONText] = []
        var outcome: [JSONText] = []
        for op in timeline.operations {
            lane.append(.int(op.lane))
            from.append(.int(op.from))
            to.append(.int(op.to))
            name.append(number(op.name))
            result.append(number(op.result))
            args.append(number(op.arguments.map { "\($0.name)=\($0.value)" }.joined(separator: "\n")))
            outcome.append(.int(outcomeIndex[op.outcome] ?? 0))
        }

        // A child is drawn under its parent, indented: its depth in the tree of child arrows.
        var parent: [Int: Int] = [:]
        var bootStarted: Set<Int> = []
        for arrow in timeline.arrows where arrow.kind == RunFlow.Kind.child.rawValue {
            if let from = arrow.from {
                if from != arrow.to { parent[arrow.to] = from }
            } else {
                bootStarted.insert(arrow.to)
            }
        }
        /// The lane's name where it is drawn: under its parent, or under its boot's heading, the
        /// name's last part is enough (`ngen-mscorlib (ngen)`, `smss`); the whole one is its title.
        func shortLabel(_ index: Int) -> String {
            let lane = timeline.lanes[index]
            var short = lane.name
            if let up = parent[index], lane.name.hasPrefix(timeline.lanes[up].name + "/") {
                short = String(lane.name.dropFirst(timeline.lanes[up].name.count + 1))
            } else if bootStarted.contains(index), let slash = lane.name.firstIndex(of: "/") {
                short = String(lane.name[lane.name.index(after: slash)...])
            } else {
                return lane.label
            }
            return short.split(separator: "/").last.map(String.init) == lane.role ? short : "\(short) (\(lane.role))"
        }
        func depth(_ lane: Int) -> Int {
            var depth = 0
            var at = lane
            while let up = parent[at], depth < 16 {
                depth += 1
                at = up
            }
            return depth
        }
        let lanes: [JSONText] = timeline.lanes.enumerated().map { index, l in
            .object([
                ("label", .string(l.label)), ("short", .string(shortLabel(index))), ("name", .string(l.name)), ("role", .string(l.role)),
                ("pid", .int(l.pid)),
                ("from", .int(l.from)), ("hello", .int(l.hello)), ("to", .int(l.to)), ("outcome", .string(l.outcome)),
                ("failure", .string(l.failure)), ("boot", .int(timeline.boot(of: index))), ("depth", .int(depth(index))),
            ])
        }
        let boots: [JSONText] = timeline.boots.map { .object([("name", .string($0.name)), ("from", .int(max($0.from, 0)))]) }
        let machine: [JSONText] = timeline.machine.map {
            .object([
                ("step", .string($0.step)), ("name", .string($0.name)), ("from", .int($0.from)), ("to", .int($0.to)),
                ("row", .int(machineRow($0.name, step: $0.step))),
            ])
        }
        let arrows: [JSONText] = timeline.arrows.map {
            .object([
                ("kind", .string($0.kind)), ("from", .int($0.from ?? -1)), ("fromNs", .int($0.fromNs)), ("to", .int($0.to)),
                ("toNs", .int($0.toNs)), ("label", .string($0.label)),
            ])
        }
        let expectations: [JSONText] = timeline.expectations.enumerated().map { i, v in
            .object([
                ("text", .string(v.text)), ("verdict", .string(v.verdict)), ("detail", .string(v.detail)),
                ("ops", .array(explained[i].map { .int($0) })),
            ])
        }
        return JSONText.object([
            ("rig", .string(timeline.rig)), ("file", .string(timeline.file)), ("seed", .string(timeline.seed)),
            ("clock", .string(timeline.clock)), ("schedule", .string(timeline.schedule)), ("digest", .string(timeline.digest)),
            ("passed", .bool(timeline.passed)), ("duration", .int(timeline.duration)),
            ("outcomes", .array(outcomes.map { .object([("name", .string($0.rawValue)), ("color", .string($0.color))]) })),
            ("arrowKinds", .array(arrowKinds.map { .object([("kind", .string($0.0)), ("color", .string($0.1))]) })),
            ("lanes", .array(lanes)), ("boots", .array(boots)), ("strings", .array(strings.map { .string($0) })),
            (
                "ops",
                .object([
                    ("lane", .array(lane)), ("from", .array(from)), ("to", .array(to)), ("name", .array(name)), ("result", .array(result)),
                    ("args", .array(args)), ("outcome", .array(outcome)),
                ])
            ),
            ("machine", .array(machine)), ("arrows", .array(arrows)), ("expectations", .array(expectations)),
            ("problems", .array(timeline.problems.map { .string($0) })),
        ]).rendered()
    }
}
