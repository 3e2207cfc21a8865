import RigModel
import Wire

/// A run as Chrome Trace Event JSON (`{"traceEvents": [...], "displayTimeUnit": "ms"}`), which
/// opens in Perfetto (ui.perfetto.dev) and chrome://tracing. `Rigs/README.md` ("Trace") describes it.
///
/// * One lane (trace process) per worker pid, named `<actor> (<role>)`, and one for the
///   coordinator named `rig (coordinator)`; lanes are sorted coordinator first, then actors in
///   rig order, each followed by the processes it started (`setup/msiexec (installer)`), then
///   the processes machine steps started (`reboot1/smss`). See `laneName`.
/// * On a worker's lane: an `X` slice `process` for its lifetime (spawn → end; `args`: actor,
///   pid, role, outcome), inside it a `start-up` slice (spawn → hello) and one `X` slice per
///   operation the worker reported, named by the operation, with its arguments and `result` as
///   `args`.
/// * On the coordinator's lane: its own operations as `X` slices; the `run` slice spans the run.
/// * On the machine lane (a thread `machine` of the coordinator's process): each machine step
///   (and power loss) as spans — the step, and inside a reboot `shutdown` (until `NAME.down`),
///   `Session Manager` (its smss process), `services` (until `NAME.booted`), `logon` (from
///   `NAME.logon` to `NAME.done`) and `RunOnce` (from the first RunOnce command's start to the
///   end of the last); a logon step's `logon`.
/// * Instants (`i`): an operation whose result is not a plain `ok` (e.g.
///   `ERROR_SHARING_VIOLATION (32)`, cat `conflict`; an unknown outcome, cat `unknown`) at its
///   end, an actor's failure where it ended, an actor that never started and each run problem at
///   the end of the run; each expectation's verdict at the end of the run (cat `expectation`).
/// * Flows (`s`, `t`, `f`, cat `flow`; see `RunFlows`): from the process (or machine step) whose
///   event released a waiter, through the coordinator's `release`, to the waiter; from a parent
///   (or the machine lane) through the coordinator's `spawn` to the child it started; from the
///   event or exit an actor started after to its start.
///
/// Times are microseconds since `history.startNs` (exact, three decimals); pids are real pids.
/// `otherData` names the format (`patchrig-trace`, version `1`), so `rig report` can read a
/// trace back and refuse one of another version.
public enum TraceWriter {
    /// What `otherData.format` says: the trace is PatchRig's.
    public static let format = "patchrig-trace"
    /// What `otherData.version` says; a reader refuses another.
    public static let version = 1

    /// The trace as JSON text.
    public static func json(_ history: RunHistory) -> String {
        JSONText.object([
            ("traceEvents", .array(events(history))),
            ("displayTimeUnit", .string("ms")),
            (
                "otherData",
                .object(
                    [
                        ("format", .string(format)), ("version", .string(String(version))),
                        ("rig", .string(history.rig.name)), ("file", .string(history.rig.file)),
                        ("seed", .string(String(history.seed))), ("started_ns", .string(String(history.startNs))),
                        ("ended_ns", .string(String(history.endNs))), ("passed", .string(String(Checks.verdict(history).passed))),
                    ] + scheduleData(history))
            ),
        ]).rendered(indent: 1)
    }

    /// Under a controlled schedule: `clock: virtual` (times are the virtual clock's), the
    /// strategy and the schedule's digest.
    static func scheduleData(_ history: RunHistory) -> [(String, JSONText)] {
        guard let schedule = history.schedule else { return [] }
        return [("clock", .string("virtual")), ("schedule", .string(schedule.strategy)), ("digest", .string(schedule.digest))]
    }

    static func events(_ history: RunHistory) -> [JSONText] {
        let origin = history.startNs
        let coordinator = history.coordinatorPid
        var out: [JSONText] = []

        func metadata(_ name: String, pid: Int32, args: [(String, JSONText)]) {
            out.append(
                .object([
                    ("name", .string(name)), ("ph", .string("M")), ("pid", .int(pid)), ("tid", .int(pid)),
                    ("args", .object(args)),
                ]))
        }
        func slice(
            _ name: String, cat: String, pid: Int32, tid: Int32? = nil, from: UInt64, to: UInt64, args: [(String, JSONText)]
        ) {
            out.append(
                .object([
                    ("name", .string(name)), ("cat", .string(cat)), ("ph", .string("X")),
                    ("ts", .micros(from, since: origin)), ("dur", .micros(max(to, from), since: from)),
                    ("pid", .int(pid)), ("tid", .int(tid ?? pid)), ("args", .object(args)),
                ]))
        }
        func instant(_ name: String, cat: String, pid: Int32, at ns: UInt64, scope: String, args: [(String, JSONText)]) {
            out.append(
                .object([
                    ("name", .string(name)), ("cat", .string(cat)), ("ph", .string("i")),
                    ("ts", .micros(ns, since: origin)), ("pid", .int(pid)), ("tid", .int(pid)),
                    ("s", .string(scope)), ("args", .object(args)),
                ]))
        }
        func eventArgs(_ event: Wire.Event) -> [(String, JSONText)] {
            event.args.map { ($0.name, JSONText.string($0.value)) } + [("result", .string(event.result.description))]
        }
        /// An instant for an operation whose result is not a plain `ok`, where it ended.
        func resultInstant(_ event: Wire.Event, pid: Int32) {
            let cat: String
            switch event.result {
            case .ok(nil): return
            case .unknown: cat = "unknown"
            case .ok, .failed: cat = "conflict"
            }
            instant(event.result.description, cat: cat, pid: pid, at: event.endNs, scope: "t", args: eventArgs(event))
        }

        metadata("process_name", pid: coordinator, args: [("name", .string("rig (coordinator)"))])
        metadata("process_sort_index", pid: coordinator, args: [("sort_index", .int(0))])
        for (index, actor) in orderedActors(history).enumerated() {
            guard let pid = actor.pid else { continue }
            metadata("process_name", pid: pid, args: [("name", .string(laneName(actor)))])
            metadata("process_sort_index", pid: pid, args: [("sort_index", .int(index + 1))])
        }

        for event in history.coordinatorEvents {
            slice(event.op, cat: "coordinator", pid: coordinator, from: event.startNs, to: event.endNs, args: eventArgs(event))
            resultInstant(event, pid: coordinator)
        }

        let phases = machinePhases(history)
        if !phases.isEmpty {
            out.append(
                .object([
                    ("name", .string("thread_name")), ("ph", .string("M")), ("pid", .int(coordinator)),
                    ("tid", .int(machineLane)), ("args", .object([("name", .string("machine"))])),
                ]))
            for phase in phases {
                slice(
                    phase.name, cat: "machine", pid: coordinator, tid: machineLane, from: phase.from, to: phase.to,
                    args: [("step", .string(phase.step))])
            }
        }

        for actor in orderedActors(history) {
            guard let pid = actor.pid else {
                var args: [(String, JSONText)] = [("actor", .string(actor.name)), ("role", .string(actor.role))]
                if let failure = actor.failure { args.append(("failure", .string(failure))) }
                instant("never started: \(actor.name)", cat: "failure", pid: coordinator, at: history.endNs, scope: "p", args: args)
                continue
            }
            let (spawn, end) = lifetime(of: actor, in: history)
            let lifeArgs: [(String, JSONText)] = [
                ("actor", .string(actor.name)), ("pid", .int(pid)), ("role", .string(actor.role)), ("outcome", .string(actor.outcome)),
            ]
            slice("process", cat: "process", pid: pid, from: spawn, to: end, args: lifeArgs)
            if let hello = actor.helloNs {
                slice("start-up", cat: "process", pid: pid, from: spawn, to: hello, args: [])
            }
            for event in actor.events {
                slice(event.op, cat: actor.role, pid: pid, from: event.startNs, to: event.endNs, args: eventArgs(event))
                resultInstant(event, pid: pid)
            }
            if let failure = actor.failure {
                instant(failure, cat: "failure", pid: pid, at: end, scope: "p", args: [("outcome", .string(actor.outcome))])
            }
        }

        for problem in history.problems {
            instant(problem, cat: "problem", pid: coordinator, at: history.endNs, scope: "g", args: [])
        }
        for result in Checks.evaluate(history) {
            instant(
                "\(result.verdict.name.uppercased())  \(result.text)", cat: "expectation", pid: coordinator, at: history.endNs, scope: "g",
                args: [("text", .string(result.text)), ("verdict", .string(result.verdict.name)), ("detail", .string(result.detail))])
        }
        out += flowEvents(history)
        return out
    }

    /// The flows of `RunFlows`, numbered from 1: `s` where the arrow begins (a worker's lane or the
    /// machine lane), `t` on the coordinator when it relayed it, `f` (binding to the enclosing
    /// slice) on the lane it points at.
    static func flowEvents(_ history: RunHistory) -> [JSONText] {
        let origin = history.startNs
        let coordinator = history.coordinatorPid
        var out: [JSONText] = []
        func flow(_ phase: String, _ kind: RunFlow.Kind, id: Int, pid: Int32, tid: Int32, at ns: UInt64, extra: [(String, JSONText)]) {
            out.append(
                .object(
                    [
                        ("name", .string(kind.rawValue)), ("cat", .string("flow")), ("ph", .string(phase)), ("id", .int(id)),
                        ("ts", .micros(ns, since: origin)), ("pid", .int(pid)), ("tid", .int(tid)),
                    ] + extra))
        }
        for (index, arrow) in RunFlows.of(history).enumerated() {
            guard let to = history.actors[arrow.to].pid else { continue }
            let id = index + 1
            switch arrow.from {
            case .machine:
                flow(
                    "s", arrow.kind, id: id, pid: coordinator, tid: machineLane, at: arrow.fromNs,
                    extra: [("args", .object([("label", .string(arrow.label))]))])
            case .process(let source):
                guard let pid = history.actors[source].pid else { continue }
                flow(
                    "s", arrow.kind, id: id, pid: pid, tid: pid, at: arrow.fromNs,
                    extra: [("args", .object([("label", .string(arrow.label))]))])
            }
            if let via = arrow.viaNs { flow("t", arrow.kind, id: id, pid: coordinator, tid: coordinator, at: via, extra: []) }
            flow("f", arrow.kind, id: id, pid: to, tid: to, at: arrow.toNs, extra: [("bp", .string("e"))])
        }
        return out
    }

    /// Where a process's lane begins and ends: its spawn (or, failing that, its hello or first
    /// operation, or the run's start) to its end (or the end of the run, if it outlived it).
    package static func lifetime(of actor: ActorRecord, in history: RunHistory) -> (from: UInt64, to: UInt64) {
        let spawn = actor.spawnNs ?? actor.helloNs ?? actor.events.first?.startNs ?? history.startNs
        return (spawn, max(actor.endNs ?? history.endNs, spawn))
    }

    /// The machine lane's thread id within the coordinator's process (no real thread has it).
    package static let machineLane: Int32 = 1

    /// The spans of the machine lane, from the coordinator's notes of each step (`step`, or the
    /// `fault` of a power loss), the events steps emitted and the boot's smss process.
    package static func machinePhases(_ history: RunHistory) -> [(step: String, name: String, from: UInt64, to: UInt64)] {
        var starts: [(name: String, ns: UInt64)] = []
        var events: [String: UInt64] = [:]
        for event in history.coordinatorEvents {
            switch event.op {
            case "step":
                if let step = event.argument("step") { starts.append((step, event.startNs)) }
            case "fault" where event.argument("missed") == nil:
                if let fault = event.argument("fault") { starts.append((fault, event.startNs)) }
            case "event":
                if let step = event.argument("step"), let name = event.argument("event") { events["\(step).\(name)"] = event.startNs }
            default: break
            }
        }
        var phases: [(step: String, name: String, from: UInt64, to: UInt64)] = []
        for (step, start) in starts {
            // A kill or a pause emits no step events: it is no machine step.
            guard events.keys.contains(where: { $0.hasPrefix(step + ".") }) else { continue }
            let done = events["\(step).done"] ?? history.endNs
            phases.append((step, step, start, done))
            if let down = events["\(step).down"] {
                phases.append((step, "shutdown", start, down))
                let smss = history.actors.first { $0.name == "\(step)/smss" }
                if let smss, let spawn = smss.spawnNs {
                    let end = smss.endNs ?? history.endNs
                    phases.append((step, "Session Manager", spawn, end))
                    if let booted = events["\(step).booted"] { phases.append((step, "services", end, booted)) }
                }
                if let logon = events["\(step).logon"] { phases.append((step, "logon", logon, done)) }
                if let runOnce = events["\(step).runonce"] { phases.append((step, "RunOnce", runOnce, runOnceEnd(step, history) ?? done)) }
            } else if events["\(step).logon"] != nil {
                phases.append((step, "logon", start, done))
            }
        }
        return phases
    }

    /// When the last RunOnce command a step started (`STEP/RunOnce-NAME`) ended, if one did.
    static func runOnceEnd(_ step: String, _ history: RunHistory) -> UInt64? {
        // The commands and what they started (which ends before them, or is stopped with them).
        let commands = history.actors.filter { $0.name.hasPrefix("\(step)/RunOnce-") && $0.spawnNs != nil }
        guard !commands.isEmpty else { return nil }
        return commands.map { $0.endNs ?? history.endNs }.max()
    }

    /// A lane's name: `<actor> (<role>)`, e.g. `installer (installer)`, `setup/msiexec (installer)`;
    /// a process named after its role, as the boot names what it starts, shows its name alone
    /// (`reboot1/smss`, `reboot1/netfxupdate`).
    package static func laneName(_ actor: ActorRecord) -> String {
        let last = actor.name.split(separator: "/").last.map(String.init) ?? actor.name
        if actor.name.contains("/"), last == actor.role { return actor.name }
        return "\(actor.name) (\(actor.role))"
    }

    /// Actors in the rig's order, each followed by the processes it started (`setup/msiexec`,
    /// named `<parent>/<label>`); then the processes the machine steps started (`reboot1/smss`),
    /// in step order; then any other, in history order. Ties keep history order.
    package static func orderedActors(_ history: RunHistory) -> [ActorRecord] {
        var roots = history.rig.actors.map(\.name)
        roots += history.rig.machine?.steps.map(\.name) ?? []
        let order = Dictionary(roots.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func rank(_ name: String) -> Int {
            let root = name.split(separator: "/", maxSplits: 1).first.map(String.init) ?? name
            return order[root] ?? Int.max
        }
        return history.actors.enumerated().sorted { l, r in
            let a = rank(l.element.name)
            let b = rank(r.element.name)
            if a != b { return a < b }
            // The actor itself before the processes it started.
            let ca = l.element.name.contains("/")
            let cb = r.element.name.contains("/")
            if ca != cb { return !ca }
            return l.offset < r.offset
        }.map(\.element)
    }
}
