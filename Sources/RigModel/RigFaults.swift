import WindowsModel
import Yams

/// A fault the rig injects on purpose (`faults:`): a real signal sent to a real process at a
/// chosen point, so the seeds' crash cases are reproduced like their races. What the fault does
/// to the machine (a half-written file, a patch half applied) is whatever the killed process
/// had done by then; no fault decides an outcome.
///
/// ```yaml
/// faults:
///   - kill: installer        # SIGKILL the process (its process group)
///     op: replace            # just before its 2nd `replace` operation
///     nth: 2
///   - pause: app             # SIGSTOP, then SIGCONT after `for`
///     after: installer.installed
///     delay: 5ms
///     for: 200ms
///   - power_loss: installer  # every process of the machine killed at once, unflushed
///     op: record             # writes lost, then the machine boots
///     logon: admin
/// ```
public struct Fault: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// `kill: PROCESS` — SIGKILL its process group.
        case kill
        /// `pause: PROCESS` with `for: DURATION` — SIGSTOP its process group, SIGCONT after.
        case pause(RigDuration)
        /// `power_loss: PROCESS` (or `machine` with a time trigger) — every process of the
        /// machine SIGKILLed at once, the writes not yet on disk lost (`WriteCache`), then the
        /// machine boots, and `logon` logs on. The fault's name is then a step's: it emits
        /// `NAME.down`, `NAME.booted`, `NAME.logon` (with a logon) and `NAME.done`.
        case powerLoss(logon: Logon)
    }

    /// The process name a power loss by time takes: the whole machine, not one process.
    public static let machineTarget = "machine"

    public enum Trigger: Sendable, Equatable {
        /// `at`, `after`, `after_exit` (with `delay`, `jitter`): the same forms as an actor's start.
        case time(Start)
        /// `op: KIND, nth: N`: just before the process's Nth operation of that kind (`any`: its
        /// Nth operation), where the worker stops and waits for the fault.
        case operation(op: String, nth: UInt32)
    }

    /// `name:` (default `fault1`, `fault2`, ... in list order).
    public var name: String
    public var action: Action
    /// The process: an actor, or a process one started (`windowsupdate/hotfix`).
    public var process: String
    public var trigger: Trigger
    public var position: SourcePosition

    public init(name: String, action: Action, process: String, trigger: Trigger, position: SourcePosition) {
        self.name = name
        self.action = action
        self.process = process
        self.trigger = trigger
        self.position = position
    }

    /// How the fault reads in reports: `kill installer before its replace #2`.
    public var text: String {
        var line: String
        switch action {
        case .kill: line = "kill \(process)"
        case .pause(let d): line = "pause \(process) for \(d)"
        case .powerLoss: line = process == Fault.machineTarget ? "power loss" : "power loss at \(process)"
        }
        switch trigger {
        case .operation(let op, let nth):
            line += op == "any" ? " before its operation #\(nth)" : " before its \(op) #\(nth)"
        case .time(.at(let at, let jitter)):
            line += " at \(at)" + (jitter == .zero ? "" : " (+ up to \(jitter))")
        case .time(.afterEvent(let actor, let event, let delay, let jitter)):
            line += " \(delay == .zero ? "" : "\(delay) ")after \(actor).\(event)" + (jitter == .zero ? "" : " (+ up to \(jitter))")
        case .time(.afterExit(let actor, let delay, let jitter)):
            line += " \(delay == .zero ? "" : "\(delay) ")after \(actor) exits" + (jitter == .zero ? "" : " (+ up to \(jitter))")
        }
        return line
    }
}

extension RigLoader {
    /// Keys of a fault: one action, its process, and when.
    public static let faultKeys = [
        "kill", "pause", "power_loss", "name", "for", "logon", "op", "nth", "at", "after", "after_exit", "delay", "jitter",
    ]
    /// The actions a fault may take (each fault has exactly one).
    public static let faultActions = ["kill", "pause", "power_loss"]
    /// A worker's events are capped per process (`max_events:`, default): a worker reporting
    /// more is killed, so the coordinator's memory stays bounded.
    public static let defaultMaxEvents = 10_000
}

extension RigDecoder {
    /// The events a power loss emits under its name, as a reboot step does.
    static func powerLossEvents(logon: Logon) -> [String] { events(of: .reboot(logon: logon)) }

    func decodeFaults(_ node: Yams.Node, hasMachine: Bool, actorNames: Set<String>) -> [Fault] {
        guard let items = reader.list(node, what: "'faults'") else { return [] }
        var faults: [Fault] = []
        var operationFaults: [String: Yams.Node] = [:]
        for (index, item) in items.enumerated() {
            let what = "fault \(index + 1)"
            guard let m = reader.mapping(item, what: what, keys: RigLoader.faultKeys) else { continue }
            let actions = m.entries.filter { RigLoader.faultActions.contains($0.key) }
            guard let actionEntry = actions.first else {
                reader.error("\(what) needs an action: 'kill: PROCESS', 'pause: PROCESS' or 'power_loss: PROCESS'", at: item)
                continue
            }
            if let extra = actions.dropFirst().first {
                reader.error("\(what) has more than one action ('\(actionEntry.key)' and '\(extra.key)')", at: extra.keyNode)
                continue
            }
            var valid = true
            var name = "fault\(index + 1)"
            if let n = m["name"] {
                if let text = reader.string(n, what: "the fault's name"), RigLoader.isValidActorName(text) {
                    name = text
                } else {
                    reader.error("a fault's name is a letter, then letters, digits, '_' or '-'", at: n)
                    valid = false
                }
            }
            guard let process = reader.string(actionEntry.value, what: "the process of '\(actionEntry.key)'") else { continue }
            let wholeMachine = actionEntry.key == "power_loss" && process == Fault.machineTarget
            if !wholeMachine {
                references.append(Reference(from: nil, to: process, event: nil, node: actionEntry.value, context: "faults"))
            }

            var action = Fault.Action.kill
            if actionEntry.key != "power_loss", let logonEntry = m.entry("logon") {
                reader.error("'logon' goes with 'power_loss': who logs on after the boot", at: logonEntry.keyNode)
                valid = false
            }
            if actionEntry.key == "power_loss" {
                if !hasMachine {
                    reader.error("a power loss needs a machine; add a 'machine:' section", at: actionEntry.keyNode)
                    valid = false
                }
                if actionNameClash(name, actorNames: actorNames, at: m["name"] ?? actionEntry.keyNode) { valid = false }
                var logon = Logon.none
                if let node = m["logon"] {
                    if let value = self.logon(node, what: "who logs on ('logon')", allowNone: true) { logon = value } else { valid = false }
                }
                action = .powerLoss(logon: logon)
                if let forEntry = m.entry("for") {
                    reader.error("'for' goes with 'pause'; a power loss has no duration", at: forEntry.keyNode)
                    valid = false
                }
                // Its name is an owner of events, as a reboot step's is.
                steps.append(
                    StepInfo(name: name, index: -1, events: Self.powerLossEvents(logon: logon), node: m["name"] ?? actionEntry.keyNode))
            } else if actionEntry.key == "pause" {
                guard let forNode = m["for"] else {
                    reader.error("'pause' needs 'for: DURATION', how long the process stays stopped", at: actionEntry.keyNode)
                    continue
                }
                guard let d = reader.duration(forNode, what: "'for'") else { continue }
                action = .pause(d)
            } else if let forEntry = m.entry("for") {
                reader.error("'for' goes with 'pause'; a kill has no duration", at: forEntry.keyNode)
                valid = false
            }

            let timeForms = m.entries.filter { ["at", "after", "after_exit"].contains($0.key) }
            let trigger: Fault.Trigger
            if let opNode = m["op"] {
                if wholeMachine {
                    reader.error(
                        "a power loss at an operation names the process whose operation it is, not 'machine'", at: actionEntry.value)
                    valid = false
                }
                for extra in timeForms + m.entries.filter({ ["delay", "jitter"].contains($0.key) }) {
                    reader.error("'\(extra.key)' is a time trigger; a fault at an operation ('op') takes only 'nth'", at: extra.keyNode)
                    valid = false
                }
                guard let op = reader.string(opNode, what: "'op'") else { continue }
                guard RigLoader.isValidEventName(op) else {
                    reader.error(
                        "'op' names an operation as workers report it (e.g. replace, record, load) or 'any', not '\(op)'", at: opNode)
                    continue
                }
                var nth: UInt32 = 1
                if let nthNode = m["nth"] {
                    guard let n = reader.integer(nthNode, what: "'nth'", as: UInt32.self, in: 1...UInt32.max) else { continue }
                    nth = n
                }
                if let first = operationFaults[process] {
                    let at = reader.position(of: first)
                    reader.error(
                        "\(process) already has a fault at an operation (at \(at.line):\(at.column)); one per process",
                        at: actionEntry.value)
                    valid = false
                }
                operationFaults[process] = actionEntry.value
                trigger = .operation(op: op, nth: nth)
            } else {
                if let nthEntry = m.entry("nth") {
                    reader.error("'nth' goes with 'op'", at: nthEntry.keyNode)
                    valid = false
                }
                if timeForms.isEmpty {
                    reader.error("\(what) needs a time: 'at', 'after', 'after_exit' or 'op'", at: item)
                    continue
                }
                guard let start = startForm(in: m, owner: nil) else { continue }
                trigger = .time(start)
            }
            if valid {
                faults.append(
                    Fault(
                        name: name, action: action, process: process, trigger: trigger, position: reader.position(of: actionEntry.keyNode)))
            }
        }
        return faults
    }

    /// Whether a power loss's name is already an actor's or a machine step's (its events would
    /// be ambiguous); reports it.
    private func actionNameClash(_ name: String, actorNames: Set<String>, at node: Yams.Node) -> Bool {
        guard actorNames.contains(name) || steps.contains(where: { $0.name == name }) else { return false }
        reader.error("the fault's name '\(name)' is already an actor's or a step's; name it with 'name:'", at: node)
        return true
    }
}
