import Foundation
import WindowsModel
import Yams

/// Reads a rig file (`Rigs/*.yaml`) into a `Rig`, validating all of it first.
///
/// Every problem found is reported, each as `file:line:column: error: ...` at the node it is
/// about, sorted by position: malformed YAML, unknown keys, wrong types, unknown roles and
/// parameters, bad parameter values, bad durations, bad or duplicate actor and step names,
/// references to unknown actors and machine steps, an actor starting after or waiting on itself,
/// start cycles (through actors and machine steps), exit codes out of range, a rig without actors,
/// a `machine:` section that is wrong (bad image or profile, a logon before any boot), machine
/// roles or machine expectations without a `machine:`. Problems inside the machine image (and, as
/// they land, inside patch files) are reported at their own file's positions, after the rig's.
/// `Rigs/README.md` is the format reference.
///
/// New features add keys to the lists below; an unknown key stays an error, so a typo is never
/// silently ignored and a rig written for a later version is refused clearly by an older one.
public enum RigLoader {
    /// Keys of the top-level mapping.
    public static let rigKeys = ["rig", "description", "seed", "timeout", "max_events", "machine", "actors", "faults", "expect"]
    /// Keys of an actor.
    public static let actorKeys = ["name", "role", "start", "timeout", "params", "steps"]
    /// Keys of a `start:` mapping.
    public static let startKeys = ["at", "after", "after_exit", "delay", "jitter"]
    /// Actions a script step may take (each step has exactly one).
    public static let stepKeys = ["sleep", "emit", "wait", "exit"]
    /// Kinds of expectation under `expect:`.
    public static let expectKeys = [
        "exit", "files", "native_images", "pending_renames", "loaded", "services", "run", "runonce",
        "registry", "exactly_one", "operations",
    ]
    /// Expectations about the machine's state: a rig with one of them needs a `machine:`.
    public static let machineExpectKeys: Set<String> = [
        "files", "native_images", "pending_renames", "services", "run", "runonce", "registry",
    ]
    /// Keys of an `exactly_one` item: the processes and the codes.
    public static let exactlyOneKeys = ["of", "exits"]
    /// Keys of an `operations` item: what the operation must look like, and how many.
    public static let operationKeys = ["process", "op", "args", "result", "count"]
    /// Keys of the `machine:` section.
    public static let machineKeys = ["image", "profile", "steps"]
    /// Actions a machine step may take (each step has exactly one).
    public static let machineStepKeys = ["reboot", "logon"]
    /// Keys of a `reboot:` step: a name, a start form, who logs on after the boot.
    public static let rebootKeys = ["name", "at", "after", "after_exit", "delay", "jitter", "logon"]
    /// Keys of a `logon:` step: a name, who logs on (`as`), a start form.
    public static let logonKeys = ["name", "as", "at", "after", "after_exit", "delay", "jitter"]
    /// Roles that work without a machine; every other role needs `machine:`.
    public static let machineFreeRoles: Set<String> = ["script"]

    /// An actor's time limit when it gives none.
    public static let defaultActorTimeout = RigDuration.seconds(30)
    /// The whole run's time limit when the rig gives none.
    public static let defaultRigTimeout = RigDuration.seconds(60)
    /// The codes an `exit:` step may name: a Windows exit code (3010, 1603, ...). The worker
    /// exits with its low 8 bits and reports the whole code in its exit frame.
    public static let processExitCodes: ClosedRange<Int32> = 0...Int32.max
    /// The codes an expectation may name: Windows exit codes such as 3010 are reported by the
    /// worker in its exit frame (the kernel only keeps the low 8 bits).
    public static let expectedExitCodes: ClosedRange<Int32> = 0...Int32.max

    /// Reads and validates the rig at `path`. Errors name `path` as given.
    public static func load(path: String) throws(RigErrors) -> Rig {
        try parse(yaml: YAMLSupport.readText(file: path, what: "rig"), file: path)
    }

    /// Validates the rig written in `yaml`; `file` names it in errors and gives the default name.
    public static func parse(yaml: String, file: String) throws(RigErrors) -> Rig {
        let reader = YAMLReader(file: file)
        let root: Yams.Node?
        do {
            root = try YAMLSupport.compose(yaml, file: file)
        } catch {
            throw RigErrors([error])
        }
        let decoder = RigDecoder(reader: reader, file: file)
        let rig = decoder.decode(root)
        // Errors in other files (the machine image, patches) follow the rig's own, each file's
        // errors in that file's order.
        if !reader.errors.isEmpty || !decoder.otherFileErrors.isEmpty || rig == nil {
            throw RigErrors(reader.sortedErrors + decoder.otherFileErrors)
        }
        return rig!
    }

    /// The rig's default name: the file name without its directory and extension.
    public static func defaultName(forFile file: String) -> String {
        let base = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return base.isEmpty ? "rig" : base
    }

    /// Whether `name` can name an actor: a letter, then letters, digits, `_` and `-`.
    public static func isValidActorName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == "-" }
    }

    /// The directory a rig file's relative paths (`image:`, `patch:`) are resolved against.
    public static func directory(ofRig file: String) -> String {
        let dir = (file as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    /// `path` resolved against the rig file's directory (an absolute path stays as it is).
    public static func resolve(_ path: String, relativeToRig file: String) -> String {
        if path.hasPrefix("/") { return path }
        let dir = (file as NSString).deletingLastPathComponent
        return dir.isEmpty ? path : (dir as NSString).appendingPathComponent(path)
    }

    /// Whether `label` can be one part after the first of a process name another process or the
    /// boot started (`setup/msiexec`, `reboot1/RunOnce-NetFxUpdate_NDP1.1sp1-KB867460`,
    /// `sp1/ngen-System.Web`): the tool builds these from labels, Run/RunOnce value names, service
    /// and assembly names, so any text but an empty one, one with a control character or one
    /// with surrounding spaces is accepted.
    public static func isValidProcessLabel(_ label: some StringProtocol) -> Bool {
        guard let first = label.first, let last = label.last, first != " ", last != " " else { return false }
        return !label.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
    }

    /// Whether `name` can name an event: letters, digits, `_` and `-`.
    public static func isValidEventName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == "-" }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// One pass over the tree; references between actors and machine steps are checked once every
/// name is known. The machine section, role parameters and expectations are decoded in
/// `RigMachine.swift`, `RigParameters.swift` and `RigExpectations.swift`.
final class RigDecoder {
    let reader: YAMLReader
    let file: String

    init(reader: YAMLReader, file: String) {
        self.reader = reader
        self.file = file
    }

    /// A use of an actor's or a machine step's name somewhere else, checked at the end.
    struct Reference {
        /// The actor or step that refers (nil for `expect`).
        var from: String?
        var to: String
        /// The event named (`after`, `wait`, `until`); nil for `after_exit` and `expect`, which
        /// name a process.
        var event: String?
        var node: Yams.Node
        /// Where it is used: "start", "wait", "until", "expect.exit", "expect.loaded".
        var context: String
    }

    /// Something that can start after something else: an actor or a machine step.
    struct Starter {
        var name: String
        var start: Start
        var position: SourcePosition
        var isStep: Bool
    }

    /// A machine step as far as references need it: its name, its events, its place in the list.
    struct StepInfo {
        var name: String
        var index: Int
        var events: [String]
        var node: Yams.Node
    }

    /// An actor's `params:` entries, checked once the machine (and so its image) is known.
    struct ParameterUse {
        var actor: String?
        var role: String
        var entry: YAMLEntry
        /// The actor's place in `actors:` (1-based), and the parameter's in its `parameters`.
        var actorIndex: Int
        var index: Int
    }

    var references: [Reference] = []
    var steps: [StepInfo] = []
    var parameterUses: [ParameterUse] = []
    /// Each actor's parameters, for `checkParameterCombination` once the whole rig is read.
    var combinations: [(role: String, label: String, parameters: [Parameter], node: Yams.Node)] = []
    /// Actors whose role needs a machine: the role's node, to point at when there is none.
    var machineRoleNodes: [(actor: String, role: String, node: Yams.Node)] = []
    /// Errors found in other files (the image, patches), kept apart so they follow the rig's.
    var otherFileErrors: [RigError] = []
    /// The machine image when `machine:` names one that loaded (or the minimal machine).
    var image: MachineImage?

    func decode(_ root: Yams.Node?) -> Rig? {
        guard let root else {
            reader.error("the rig is empty; it needs at least 'actors'", at: SourcePosition(file: file, line: 1, column: 1))
            return nil
        }
        guard let top = reader.mapping(root, what: "the rig", keys: RigLoader.rigKeys) else { return nil }

        var name = RigLoader.defaultName(forFile: file)
        if let node = top["rig"], let value = reader.string(node, what: "the rig name ('rig')") { name = value }
        var description = ""
        if let node = top["description"], let value = reader.string(node, what: "'description'") {
            description = value
        }
        var seed: UInt64 = 1
        if let node = top["seed"], let value = reader.integer(node, what: "the seed", as: UInt64.self) { seed = value }
        var timeout = RigLoader.defaultRigTimeout
        if let node = top["timeout"], let value = positiveDuration(node, what: "the rig's timeout") { timeout = value }

        var maxEvents = RigLoader.defaultMaxEvents
        if let node = top["max_events"], let value = reader.int(node, what: "'max_events'", in: 1...Int(Int32.max)) {
            maxEvents = value
        }

        var actors: [Actor] = []
        var actorAt: [Int: Int] = [:]  // place in `actors:` → index in `actors`
        var nameNodes: [String: Yams.Node] = [:]
        if let actorsNode = top["actors"] {
            if let items = reader.list(actorsNode, what: "'actors'") {
                if items.isEmpty { reader.error("the rig has no actors; 'actors' needs at least one", at: actorsNode) }
                for (index, item) in items.enumerated() {
                    let decoded = decodeActor(item, index: index + 1)
                    // A valid name counts even when the rest of the actor is bad, so references
                    // to it are not reported as unknown actors on top of the real problem.
                    guard let name = decoded.name, let nameNode = decoded.nameNode else { continue }
                    if let first = nameNodes[name] {
                        let at = reader.position(of: first)
                        reader.error("duplicate actor name '\(name)' (first used at \(at.line):\(at.column))", at: nameNode)
                        continue
                    }
                    nameNodes[name] = nameNode
                    if let actor = decoded.actor {
                        actorAt[index + 1] = actors.count
                        actors.append(actor)
                    }
                }
            }
        } else {
            reader.error("the rig has no actors; add 'actors:' with at least one", at: root)
        }

        var machine: MachineSpec?
        if let entry = top.entry("machine") {
            machine = decodeMachine(entry, actorNames: nameNodes)
        } else {
            for use in machineRoleNodes {
                reader.error(
                    "actor '\(use.actor)' plays '\(use.role)', which works on a machine; add a 'machine:' section",
                    at: use.node)
            }
        }

        checkParameters(&actors, at: actorAt)
        // Parameter combinations a role refuses at run time; not for a rig whose machine roles
        // cannot run at all for want of a machine (reported above).
        if top.has("machine") {
            for c in combinations { checkParameterCombination(role: c.role, label: c.label, c.parameters, at: c.node) }
        }

        var expectations: [Expectation] = []
        if let entry = top.entry("expect") { expectations = decodeExpect(entry.value, hasMachine: top.has("machine")) }

        var faults: [Fault] = []
        if let node = top["faults"] {
            faults = decodeFaults(node, hasMachine: top.has("machine"), actorNames: Set(nameNodes.keys))
        }

        checkReferences(actors: actors, nameNodes: nameNodes)
        var starters = actors.map { Starter(name: $0.name, start: $0.start, position: $0.position, isStep: false) }
        starters += (machine?.steps ?? []).map { Starter(name: $0.name, start: $0.start, position: $0.position, isStep: true) }
        checkStartCycles(starters)

        return Rig(
            name: name, description: description, seed: seed, timeout: timeout, file: file, actors: actors,
            expectations: expectations, machine: machine, faults: faults, maxEvents: maxEvents)
    }

    // MARK: - Actors

    /// The actor when all of it is valid; its name (and the name's node) whenever the name is.
    func decodeActor(_ node: Yams.Node, index: Int) -> (actor: Actor?, name: String?, nameNode: Yams.Node?) {
        let what = "actor \(index)"
        guard let m = reader.mapping(node, what: what, keys: RigLoader.actorKeys) else { return (nil, nil, nil) }

        var name: String?
        let nameNode = reader.required("name", in: m, what: what)
        if let nameNode, let value = reader.string(nameNode, what: "the actor's name") {
            if RigLoader.isValidActorName(value) {
                name = value
            } else {
                reader.error(
                    "bad actor name '\(value)': use a letter, then letters, digits, '_' or '-'", at: nameNode)
            }
        }
        let label = name.map { "actor '\($0)'" } ?? what

        var role: String?
        if let roleNode = reader.required("role", in: m, what: label), let value = reader.string(roleNode, what: "the role") {
            if Role.known[value] != nil {
                role = value
                if !RigLoader.machineFreeRoles.contains(value), let name {
                    machineRoleNodes.append((name, value, roleNode))
                }
            } else {
                let known = Role.known.keys.sorted()
                var message = "unknown role '\(value)'"
                if let suggestion = YAMLSupport.suggestion(for: value, among: known) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                message += "; known roles: \(known.joined(separator: ", "))"
                reader.error(message, at: roleNode)
            }
        }

        var start = Start.at(.zero, jitter: .zero)
        if let startNode = m["start"], let value = decodeStart(startNode, actor: name) {
            start = value
        }
        var timeout = RigLoader.defaultActorTimeout
        if let node = m["timeout"], let value = positiveDuration(node, what: "the timeout of \(label)") {
            timeout = value
        }

        var parameters: [Parameter] = []
        if let paramsNode = m["params"], let params = reader.openMapping(paramsNode, what: "'params'") {
            let accepted = role.flatMap { Role.known[$0] }
            for entry in params.entries {
                if let accepted, let role, !accepted.contains(entry.key) {
                    let known = accepted.sorted()
                    var message = "unknown parameter '\(entry.key)' for role '\(role)'"
                    if known.isEmpty {
                        message += " (it takes none)"
                    } else {
                        if let suggestion = YAMLSupport.suggestion(for: entry.key, among: known) {
                            message += " (did you mean '\(suggestion)'?)"
                        }
                        message += "; its parameters: \(known.joined(separator: ", "))"
                    }
                    reader.error(message, at: entry.keyNode)
                    continue
                }
                guard let value = parameterText(entry) else { continue }
                if let role {
                    parameterUses.append(
                        ParameterUse(actor: name, role: role, entry: entry, actorIndex: index, index: parameters.count))
                }
                parameters.append(Parameter(name: entry.key, value: value, position: reader.position(of: entry.keyNode)))
            }
        }

        // Checked once the rig is read (see `decode`); an actor whose role takes no steps but has
        // some is reported for that alone.
        if let role, let roleNode = m["role"], role == "script" || !m.has("steps") {
            combinations.append((role, label, parameters, m["params"] ?? roleNode))
        }

        var steps: [Step] = []
        if let stepsEntry = m.entry("steps") {
            if let role, role != "script" {
                reader.error("only script actors take 'steps'; \(label) plays '\(role)'", at: stepsEntry.keyNode)
            } else if let items = reader.list(stepsEntry.value, what: "'steps'") {
                for (i, item) in items.enumerated() {
                    if let step = decodeStep(item, index: i + 1, actor: name) {
                        steps.append(step)
                    }
                }
            }
        }

        guard let name, let nameNode else { return (nil, nil, nil) }
        guard let role else { return (nil, name, nameNode) }
        let actor = Actor(
            name: name, role: role, start: start, timeout: timeout, parameters: parameters, steps: steps,
            position: reader.position(of: nameNode))
        return (actor, name, nameNode)
    }

    func positiveDuration(_ node: Yams.Node, what: String) -> RigDuration? {
        guard let value = reader.duration(node, what: what) else { return nil }
        if value == .zero {
            reader.error("\(what) must be longer than 0", at: node)
            return nil
        }
        return value
    }

    // MARK: - Start

    func decodeStart(_ node: Yams.Node, actor: String?) -> Start? {
        if case .scalar = node {
            guard let at = reader.duration(node, what: "the start time") else { return nil }
            return .at(at, jitter: .zero)
        }
        guard case .mapping = node else {
            reader.error(
                "start must be a time such as 100ms or a mapping such as {after: other.ready}, not \(YAMLReader.describe(node))",
                at: node)
            return nil
        }
        guard let m = reader.mapping(node, what: "start", keys: RigLoader.startKeys) else { return nil }
        if !m.entries.contains(where: { ["at", "after", "after_exit"].contains($0.key) }) {
            if m.entries.count == m.node.mapping?.count ?? 0 {
                reader.error("start needs one of 'at', 'after' or 'after_exit'", at: node)
            }
            return nil
        }
        return startForm(in: m, owner: actor)
    }

    /// The start written in `m` (an actor's `start:` mapping, or a machine step's own mapping):
    /// `at`, `after` or `after_exit`, with `delay` and `jitter`. Without a form: at 0ms.
    /// `owner` is the actor or step that starts (for self and cycle checks).
    func startForm(in m: YAMLMapping, owner: String?) -> Start? {
        let forms = m.entries.filter { ["at", "after", "after_exit"].contains($0.key) }
        for extra in forms.dropFirst() {
            reader.error(
                "start takes one of 'at', 'after' or 'after_exit', not both '\(forms[0].key)' and '\(extra.key)'",
                at: extra.keyNode)
        }
        var jitter = RigDuration.zero
        if let j = m["jitter"], let value = reader.duration(j, what: "the jitter") { jitter = value }
        var delay = RigDuration.zero
        if let d = m.entry("delay") {
            if forms.first?.key ?? "at" == "at" {
                reader.error("'delay' goes with 'after' or 'after_exit'; with 'at', write the time in 'at'", at: d.keyNode)
            } else if let value = reader.duration(d.value, what: "the delay") {
                delay = value
            }
        }
        guard let form = forms.first else { return .at(.zero, jitter: jitter) }
        switch form.key {
        case "at":
            guard let at = reader.duration(form.value, what: "the start time ('at')") else { return nil }
            return .at(at, jitter: jitter)
        case "after":
            guard let (other, event) = actorEvent(form.value, what: "'after'") else { return nil }
            references.append(Reference(from: owner, to: other, event: event, node: form.value, context: "start"))
            return .afterEvent(actor: other, event: event, delay: delay, jitter: jitter)
        default:  // after_exit
            guard let other = reader.string(form.value, what: "'after_exit'") else { return nil }
            references.append(Reference(from: owner, to: other, event: nil, node: form.value, context: "start"))
            return .afterExit(actor: other, delay: delay, jitter: jitter)
        }
    }

    /// `actor.event`, split at the first dot.
    func actorEvent(_ node: Yams.Node, what: String) -> (String, String)? {
        guard let text = reader.string(node, what: what) else { return nil }
        guard let dot = text.firstIndex(of: "."), dot != text.startIndex, text.index(after: dot) != text.endIndex else {
            reader.error("\(what) needs actor.event, e.g. installer.ready, not '\(text)'", at: node)
            return nil
        }
        let event = String(text[text.index(after: dot)...])
        guard RigLoader.isValidEventName(event) else {
            reader.error("bad event name '\(event)' in \(what): use letters, digits, '_' or '-'", at: node)
            return nil
        }
        return (String(text[..<dot]), event)
    }

    // MARK: - Steps

    func decodeStep(_ node: Yams.Node, index: Int, actor: String?) -> Step? {
        let what = "step \(index)"
        guard case .mapping(let raw) = node else {
            reader.error("\(what) must be one action such as 'sleep: 20ms', not \(YAMLReader.describe(node))", at: node)
            return nil
        }
        guard let m = reader.mapping(node, what: what, keys: RigLoader.stepKeys) else { return nil }
        if raw.count == 0 {
            reader.error("\(what) is empty; write one of \(RigLoader.stepKeys.joined(separator: ", "))", at: node)
            return nil
        }
        guard let action = m.entries.first else { return nil }  // only unknown keys: already reported
        for extra in m.entries.dropFirst() {
            reader.error("\(what) has more than one action ('\(action.key)' and '\(extra.key)'); write one per step", at: extra.keyNode)
        }
        let position = reader.position(of: action.keyNode)
        switch action.key {
        case "sleep":
            guard let d = reader.duration(action.value, what: "sleep") else { return nil }
            return Step(.sleep(d), at: position)
        case "emit":
            guard let event = reader.string(action.value, what: "the event of 'emit'") else { return nil }
            guard RigLoader.isValidEventName(event) else {
                reader.error("bad event name '\(event)': use letters, digits, '_' or '-'", at: action.value)
                return nil
            }
            return Step(.emit(event), at: position)
        case "wait":
            guard let (other, event) = actorEvent(action.value, what: "'wait'") else { return nil }
            references.append(Reference(from: actor, to: other, event: event, node: action.value, context: "wait"))
            return Step(.wait(actor: other, event: event), at: position)
        default:  // exit
            let range = RigLoader.processExitCodes
            guard let code = reader.integer(action.value, what: "the exit code", as: Int32.self, in: range) else {
                return nil
            }
            return Step(.exit(code), at: position)
        }
    }

    // MARK: - Cross-checks

    /// Every reference names a known actor or machine step, in a way that one can be named there:
    /// a step has no process (no `after_exit`, no `expect.exit`) and only its own events; a step
    /// starts after earlier steps only; nothing starts after or waits on itself. `expect` may name
    /// a process another started, `parent/label` (e.g. `setup/msiexec`, `reboot1/smss`), by its root.
    func checkReferences(actors: [Actor], nameNodes: [String: Yams.Node]) {
        let actorNames = actors.map(\.name)
        let actorsByName = Dictionary(actors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let stepNames = steps.map(\.name)
        let stepsByName = Dictionary(steps.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for reference in references {
            if let from = reference.from, from == reference.to {
                let noun = stepsByName[from] != nil ? "step" : "actor"
                let verb: String
                switch reference.context {
                case "wait": verb = "wait on itself"
                case "until": verb = "run until its own event"
                default: verb = "start after itself"
                }
                reader.error("\(noun) '\(from)' cannot \(verb)", at: reference.node)
                continue
            }
            // `expect` and `faults` name processes, which may be ones another started.
            let isExpect = reference.context.hasPrefix("expect.") || reference.context == "faults"
            var target = reference.to
            if isExpect, let slash = target.firstIndex(of: "/") {
                let labels = target[target.index(after: slash)...].split(separator: "/", omittingEmptySubsequences: false)
                target = String(target[..<slash])
                if labels.contains(where: { !RigLoader.isValidProcessLabel($0) }) {
                    reader.error(
                        "bad process name '\(reference.to)' in \(reference.context): write actor/label, e.g. setup/msiexec",
                        at: reference.node)
                    continue
                }
                // A child or a boot process: its root is an actor or a step; either may start processes.
                if nameNodes[target] != nil || stepsByName[target] != nil { continue }
            }
            if nameNodes[target] != nil {
                // An actor's events are its role's (a script's: its `emit` steps); an actor that
                // is itself bad (its role unknown) is reported for that alone.
                if let event = reference.event, let actor = actorsByName[target] {
                    checkEvent(event, of: actor, reference)
                }
                continue
            }
            if let step = stepsByName[target] {
                // The operations of the processes a step started (`reboot1/smss`, ...).
                if reference.context == "expect.operations" { continue }
                guard let event = reference.event else {
                    if isExpect {
                        reader.error(
                            "'\(target)' is a machine step, not a process, in \(reference.context)", at: reference.node)
                    } else {
                        reader.error(
                            "'\(target)' is a machine step, not a process: start after one of its events instead, e.g. after: \(target).done",
                            at: reference.node)
                    }
                    continue
                }
                if !StepEvents.contains(step.events, event) {
                    var message = "machine step '\(target)' has no event '\(event)'"
                    // Patterns (`RunOnce-*`) are no names to suggest.
                    if let suggestion = YAMLSupport.suggestion(for: event, among: step.events.filter { !$0.hasSuffix("*") }) {
                        message += " (did you mean '\(suggestion)'?)"
                    }
                    reader.error("\(message) (its events: \(step.events.joined(separator: ", ")))", at: reference.node)
                    continue
                }
                if let from = reference.from, let fromStep = stepsByName[from], fromStep.index < step.index {
                    reader.error(
                        "step '\(from)' cannot start after a later step ('\(target)'); steps start after earlier steps",
                        at: reference.node)
                }
                continue
            }
            let what = stepNames.isEmpty ? "actor" : "actor or machine step"
            var message = "unknown \(what) '\(target)' in \(reference.context)"
            let candidates = actorNames + stepNames
            if let suggestion = YAMLSupport.suggestion(for: target, among: candidates) {
                message += " (did you mean '\(suggestion)'?)"
            } else if !candidates.isEmpty {
                message += " (actors: \(actorNames.joined(separator: ", "))"
                message += stepNames.isEmpty ? ")" : "; steps: \(stepNames.joined(separator: ", ")))"
            }
            reader.error(message, at: reference.node)
        }
    }

    /// `event` must be one `actor` emits (`Role.events(of:)`), else the run would wait for it
    /// until its timeout.
    func checkEvent(_ event: String, of actor: Actor, _ reference: Reference) {
        let events = Role.events(of: actor)
        if events.contains(event) { return }
        var message = "actor '\(actor.name)' (role '\(actor.role)') never emits '\(event)'"
        if events.isEmpty {
            message +=
                actor.role == "script"
                ? "; it emits no events (give it an 'emit' step)"
                : "; it emits no events (use after_exit: \(actor.name) to start after its exit)"
        } else {
            if let suggestion = YAMLSupport.suggestion(for: event, among: events) {
                message += " (did you mean '\(suggestion)'?)"
            }
            message += "; its events: \(events.joined(separator: ", "))"
        }
        reader.error(message, at: reference.node)
    }

    /// Each actor and machine step starts after at most one other, so following `dependency`
    /// from any of them either ends or enters a cycle. Each cycle is reported once, from its
    /// first member in file order, at that member's position. Self-starts are reported by
    /// `checkReferences`.
    func checkStartCycles(_ starters: [Starter]) {
        let ordered = starters.enumerated().sorted { l, r in
            let a = l.element.position
            let b = r.element.position
            return (a.line, a.column, l.offset) < (b.line, b.column, r.offset)
        }.map(\.element)
        var byName: [String: Starter] = [:]
        for starter in ordered where byName[starter.name] == nil { byName[starter.name] = starter }
        var reported: Set<String> = []
        for starter in ordered where !reported.contains(starter.name) {
            var path: [String] = [starter.name]
            var current = starter
            while let next = current.start.dependency, next != current.name, let nextStarter = byName[next] {
                if let index = path.firstIndex(of: next) {
                    let cycle = Array(path[index...])
                    // Reported only when the walk began on the cycle: file order makes that its
                    // first member; a walk that merely runs into a cycle leaves it for that one.
                    if index == 0 {
                        let text = (cycle + [cycle[0]]).joined(separator: " → ")
                        let who = cycle.contains { byName[$0]?.isStep == true } ? "actors and machine steps" : "actors"
                        reader.error("\(who) start after each other in a cycle, so none can start: \(text)", at: starter.position)
                        reported.formUnion(cycle)
                    }
                    break
                }
                path.append(next)
                current = nextStarter
            }
        }
    }
}
