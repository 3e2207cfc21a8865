import Report

/// Why a file cannot be drawn: not a trace or a campaign, another version, a field missing.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension RunTimeline {
    /// The timeline of a run, read back from its trace (`rig run --trace`, `TraceWriter`):
    /// the trace must say it is PatchRig's, of version 1 (`otherData.format`, `.version`).
    public init(trace root: JSONValue) throws(InputError) {
        guard let events = root["traceEvents"]?.array else { throw InputError("not a trace: it has no \"traceEvents\" list") }
        guard let other = root["otherData"], other["format"]?.string == TraceWriter.format else {
            throw InputError(
                "a trace without \"otherData\": {\"format\": \"\(TraceWriter.format)\"}: not written by rig, or by an older rig "
                    + "(run the rig again with --trace)")
        }
        guard let version = other["version"]?.string, version == String(TraceWriter.version) else {
            let seen = other["version"].map(Self.spelled) ?? "none"
            throw InputError("a PatchRig trace of version \(seen); this rig reads version \(TraceWriter.version)")
        }
        func text(_ key: String) throws(InputError) -> String {
            guard let value = other[key]?.string else { throw InputError("a trace whose otherData has no \"\(key)\"") }
            return value
        }
        guard let started = Int64(try text("started_ns")), let ended = Int64(try text("ended_ns")) else {
            throw InputError("a trace whose otherData.started_ns or ended_ns is not a number")
        }

        var reader = TraceEvents()
        for (position, event) in events.enumerated() {
            do throws(InputError) { try reader.take(event) } catch {
                throw InputError("trace event \(position + 1): \(error.description)")
            }
        }
        self.init(
            rig: try text("rig"), file: try text("file"), seed: try text("seed"), clock: other["clock"]?.string ?? "real",
            schedule: other["schedule"]?.string, digest: other["digest"]?.string, duration: ended &- started, lanes: [], operations: [],
            machine: reader.machine, arrows: [], expectations: reader.expectations, runProblems: reader.problems,
            passed: try text("passed") == "true")
        reader.assemble(into: &self)
    }

    /// A JSON value as a message shows it.
    static func spelled(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "\"\(text)\""
        case .number(let text): return text
        case .bool(let b): return String(b)
        case .null: return "null"
        case .array, .object: return "(not a string)"
        }
    }
}

/// The trace's events sorted into what a timeline holds, in one pass; `assemble` then orders
/// the lanes by the trace's sort index and numbers the operations' lanes.
private struct TraceEvents {
    struct Process {
        var pid: Int32
        var lane: RunTimeline.Lane
        var operations: [RunTimeline.Operation] = []
    }
    var labels: [Int32: String] = [:]
    var sortIndex: [Int32: Int64] = [:]
    var processes: [Int32: Process] = [:]
    var pendingOperations: [Int32: [RunTimeline.Operation]] = [:]
    var hellos: [Int32: Int64] = [:]
    var failures: [Int32: String] = [:]
    var neverStarted: [RunTimeline.Lane] = []
    var machine: [RunTimeline.MachineSpan] = []
    var expectations: [RunTimeline.Verdict] = []
    var problems: [String] = []
    var flowStarts: [(id: String, kind: String, pid: Int32, tid: Int32, ns: Int64, label: String)] = []
    var flowEnds: [String: (pid: Int32, ns: Int64)] = [:]

    mutating func take(_ event: JSONValue) throws(InputError) {
        guard let phase = event["ph"]?.string else { throw InputError("an event without \"ph\"") }
        let name = event["name"]?.string ?? ""
        let cat = event["cat"]?.string ?? ""
        let args = event["args"]
        guard let pidNumber = event["pid"]?.int, let pid = Int32(exactly: pidNumber) else { throw InputError("an event without a pid") }
        let tid = event["tid"]?.int.flatMap { Int32(exactly: $0) } ?? pid
        func ns(_ key: String) throws(InputError) -> Int64 {
            guard let value = event[key]?.microsecondsAsNanoseconds else {
                throw InputError("\"\(key)\" is not a time in microseconds (\(name))")
            }
            return value
        }
        func arg(_ key: String) -> String? { args?[key]?.string }

        switch (phase, cat) {
        case ("M", _):
            if name == "process_name", let label = arg("name") { labels[pid] = label }
            if name == "process_sort_index", let index = args?["sort_index"]?.int { sortIndex[pid] = index }
        case ("X", "process") where name == "process":
            let from = try ns("ts")
            let lane = RunTimeline.Lane(
                name: arg("actor") ?? "", role: arg("role") ?? "", label: "", pid: pid, from: from, hello: nil, to: from + (try ns("dur")),
                outcome: arg("outcome") ?? "", failure: nil)
            processes[pid] = Process(pid: pid, lane: lane)
        case ("X", "process") where name == "start-up":
            hellos[pid] = try ns("ts") + (try ns("dur"))
        case ("X", "machine"):
            let from = try ns("ts")
            machine.append(RunTimeline.MachineSpan(step: arg("step") ?? "", name: name, from: from, to: from + (try ns("dur"))))
        case ("X", "coordinator"):
            break
        case ("X", _):
            let from = try ns("ts")
            var fields: [RunTimeline.Field] = []
            var result = "ok"
            for (key, value) in args?.members ?? [] {
                let text = value.string ?? RunTimeline.spelled(value)
                if key == "result" { result = text } else { fields.append(RunTimeline.Field(key, text)) }
            }
            let operation = RunTimeline.Operation(
                lane: -1, from: from, to: from + (try ns("dur")), name: name, arguments: fields, result: result)
            pendingOperations[pid, default: []].append(operation)
        case ("i", "failure"):
            if name.hasPrefix("never started: "), let actor = arg("actor") {
                // Named and described as the history names and describes a process that never started.
                var record = ActorRecord(name: actor, role: arg("role") ?? "")
                record.failure = arg("failure")
                neverStarted.append(
                    RunTimeline.Lane(
                        name: actor, role: record.role, label: TraceWriter.laneName(record), pid: nil, from: nil, hello: nil, to: nil,
                        outcome: record.outcome, failure: record.failure))
            } else {
                failures[pid] = name
            }
        case ("i", "problem"):
            problems.append(name)
        case ("i", "expectation"):
            expectations.append(
                RunTimeline.Verdict(text: arg("text") ?? name, verdict: arg("verdict") ?? "unknown", detail: arg("detail") ?? ""))
        case ("s", "flow"):
            guard let id = event["id"].map(RunTimeline.spelled) else { throw InputError("a flow without an id") }
            flowStarts.append((id, name, pid, tid, try ns("ts"), arg("label") ?? ""))
        case ("f", "flow"):
            guard let id = event["id"].map(RunTimeline.spelled) else { throw InputError("a flow without an id") }
            flowEnds[id] = (pid, try ns("ts"))
        default:
            break
        }
    }

    /// Lanes in the trace's order (its sort index, then pid), then those that never started;
    /// operations lane by lane; arrows whose two ends are known.
    func assemble(into timeline: inout RunTimeline) {
        let pids = processes.keys.sorted { (sortIndex[$0] ?? Int64.max, $0) < (sortIndex[$1] ?? Int64.max, $1) }
        var laneOfPid: [Int32: Int] = [:]
        for pid in pids {
            guard var process = processes[pid] else { continue }
            let index = timeline.lanes.count
            laneOfPid[pid] = index
            process.lane.label = labels[pid] ?? process.lane.name
            process.lane.hello = hellos[pid]
            process.lane.failure = failures[pid]
            timeline.lanes.append(process.lane)
            for var operation in pendingOperations[pid] ?? [] {
                operation.lane = index
                timeline.operations.append(operation)
            }
        }
        timeline.lanes += neverStarted
        let coordinator = labels.first { $0.value == "rig (coordinator)" }?.key
        for start in flowStarts {
            guard let end = flowEnds[start.id], let to = laneOfPid[end.pid] else { continue }
            let from: Int?
            if start.pid == coordinator && start.tid == TraceWriter.machineLane {
                from = nil
            } else if let lane = laneOfPid[start.pid] {
                from = lane
            } else {
                continue
            }
            timeline.arrows.append(
                RunTimeline.Arrow(kind: start.kind, from: from, fromNs: start.ns, to: to, toNs: end.ns, label: start.label))
        }
    }
}
