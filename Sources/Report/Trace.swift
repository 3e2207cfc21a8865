import RigModel
import Wire

/// A run as Chrome Trace Event JSON (`{"traceEvents": [...], "displayTimeUnit": "ms"}`), which
/// opens in Perfetto (ui.perfetto.dev) and chrome://tracing. `Rigs/README.md` ("Trace") describes it.
///
/// * One lane (trace process) per worker pid, named `<actor> (<role>)`, and one for the
///   coordinator named `rig (coordinator)`; lanes are sorted coordinator first, then actors in
///   rig order, each followed by the processes it started (`setup/msiexec (installer)`), then
///   the processes machine steps started (`reboot1/smss`). See `laneName`.
/// * On a worker's lane: an `X` slice `process` for its lifetime (spawn → end), inside it a
///   `start-up` slice (spawn → hello) and one `X` slice per operation the worker reported, named
///   by the operation, with its arguments and `result` as `args`.
/// * On the coordinator's lane: its own operations as `X` slices; the `run` slice spans the run.
/// * On the machine lane (a thread `machine` of the coordinator's process): each machine step
///   (and power loss) as spans — the step, and inside a reboot `shutdown` (until `NAME.down`),
///   `Session Manager` (its smss process), `services` (until `NAME.booted`) and `logon` (from
///   `NAME.logon` to `NAME.done`); a logon step's `logon`.
/// * Instants (`i`): an operation whose result is not a plain `ok` (e.g.
///   `ERROR_SHARING_VIOLATION (32)`, cat `conflict`; an unknown outcome, cat `unknown`) at its
///   end, an actor's failure where it ended, an actor that never started and each run problem at
///   the end of the run.
///
/// Times are microseconds since `history.startNs` (exact, three decimals); pids are real pids.
public enum TraceWriter {
    /// The trace as JSON text.
    public static func json(_ history: RunHistory) -> String {
        JSONText.object([
            ("traceEvents", .array(events(history))),
            ("displayTimeUnit", .string("ms")),
            (
                "otherData",
                .object(
                    [
                        ("rig", .string(history.rig.name)), ("file", .string(history.rig.file)),
                        ("seed", .string(String(history.seed))),
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
                var args: [(String, JSONText)] = [("actor", .string(actor.name))]
                if let failure = actor.failure { args.append(("failure", .string(failure))) }
                instant("never started: \(actor.name)", cat: "failure", pid: coordinator, at: history.endNs, scope: "p", args: args)
                continue
            }
            let spawn = actor.spawnNs ?? actor.helloNs ?? actor.events.first?.startNs ?? history.startNs
            let end = actor.endNs ?? history.endNs
            var lifeArgs: [(String, JSONText)] = [("actor", .string(actor.name)), ("pid", .int(pid))]
            lifeArgs.append(("outcome", .string(actor.outcome)))
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
        return out
    }

    /// The machine lane's thread id within the coordinator's process (no real thread has it).
    static let machineLane: Int32 = 1

    /// The spans of the machine lane, from the coordinator's notes of each step (`step`, or the
    /// `fault` of a power loss), the events steps emitted and the boot's smss process.
    static func machinePhases(_ history: RunHistory) -> [(step: String, name: String, from: UInt64, to: UInt64)] {
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
            } else if events["\(step).logon"] != nil {
                phases.append((step, "logon", start, done))
            }
        }
        return phases
    }

    /// A lane's name: `<actor> (<role>)`, e.g. `installer (installer)`, `setup/msiexec (installer)`;
    /// a process named after its role, as the boot names what it starts, shows its name alone
    /// (`reboot1/smss`, `reboot1/netfxupdate`).
    static func laneName(_ actor: ActorRecord) -> String {
        let last = actor.name.split(separator: "/").last.map(String.init) ?? actor.name
        if actor.name.contains("/"), last == actor.role { return actor.name }
        return "\(actor.name) (\(actor.role))"
    }

    /// Actors in the rig's order, each followed by the processes it started (`setup/msiexec`,
    /// named `<parent>/<label>`); then the processes the machine steps started (`reboot1/smss`),
    /// in step order; then any other, in history order. Ties keep history order.
    static func orderedActors(_ history: RunHistory) -> [ActorRecord] {
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
