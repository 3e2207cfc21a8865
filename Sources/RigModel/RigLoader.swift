import Foundation
import Yams

/// Reads a rig file (`Rigs/*.yaml`) into a `Rig`, validating all of it first.
///
/// Every problem found is reported, each as `file:line:column: error: ...` at the node it is
/// about, sorted by position: malformed YAML, unknown keys, wrong types, unknown roles and
/// parameters, bad durations, bad or duplicate actor names, references to unknown actors, an actor
/// starting after or waiting on itself, start cycles, exit codes out of range, a rig without
/// actors. `Rigs/README.md` is the format reference.
///
/// New features add keys to the lists below; an unknown key stays an error, so a typo is never
/// silently ignored and a rig written for a later version is refused clearly by an older one.
public enum RigLoader {
    /// Keys of the top-level mapping.
    public static let rigKeys = ["rig", "description", "seed", "timeout", "actors", "expect"]
    /// Keys of an actor.
    public static let actorKeys = ["name", "role", "start", "timeout", "params", "steps"]
    /// Keys of a `start:` mapping.
    public static let startKeys = ["at", "after", "after_exit", "delay", "jitter"]
    /// Actions a script step may take (each step has exactly one).
    public static let stepKeys = ["sleep", "emit", "wait", "exit"]
    /// Kinds of expectation under `expect:`.
    public static let expectKeys = ["exit"]

    /// An actor's time limit when it gives none.
    public static let defaultActorTimeout = RigDuration.seconds(30)
    /// The whole run's time limit when the rig gives none.
    public static let defaultRigTimeout = RigDuration.seconds(60)
    /// The codes a process can exit with on POSIX (`exit:` steps).
    public static let processExitCodes: ClosedRange<Int32> = 0...255
    /// The codes an expectation may name: Windows exit codes such as 3010 are reported by the
    /// worker in its exit frame (the kernel only keeps the low 8 bits).
    public static let expectedExitCodes: ClosedRange<Int32> = 0...Int32.max

    /// Reads and validates the rig at `path`. Errors name `path` as given.
    public static func load(path: String) throws(RigErrors) -> Rig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason: String
            if !FileManager.default.fileExists(atPath: path) {
                reason = "no such file"
            } else {
                reason = "cannot be read as UTF-8 text"
            }
            throw RigErrors([RigError("cannot read the rig: \(reason)", at: SourcePosition(file: path, line: 1, column: 1))])
        }
        return try parse(yaml: text, file: path)
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
        let rig = RigDecoder(reader: reader, file: file).decode(root)
        if !reader.errors.isEmpty || rig == nil { throw RigErrors(reader.sortedErrors) }
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

    /// Whether `name` can name an event: letters, digits, `_` and `-`.
    public static func isValidEventName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == "-" }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// One pass over the tree; references between actors are checked once every name is known.
private struct RigDecoder {
    let reader: YAMLReader
    let file: String

    /// A use of an actor's name somewhere else (start, wait, expect), checked at the end.
    struct Reference {
        var from: String?  // the actor that refers (nil for expect)
        var to: String
        var node: Yams.Node
        var context: String  // "start", "wait", "expect.exit"
    }

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

        var actors: [Actor] = []
        var references: [Reference] = []
        var nameNodes: [String: Yams.Node] = [:]
        if let actorsNode = top["actors"] {
            if let items = reader.list(actorsNode, what: "'actors'") {
                if items.isEmpty { reader.error("the rig has no actors; 'actors' needs at least one", at: actorsNode) }
                for (index, item) in items.enumerated() {
                    let decoded = decodeActor(item, index: index + 1, references: &references)
                    // A valid name counts even when the rest of the actor is bad, so references
                    // to it are not reported as unknown actors on top of the real problem.
                    guard let name = decoded.name, let nameNode = decoded.nameNode else { continue }
                    if let first = nameNodes[name] {
                        let at = reader.position(of: first)
                        reader.error("duplicate actor name '\(name)' (first used at \(at.line):\(at.column))", at: nameNode)
                        continue
                    }
                    nameNodes[name] = nameNode
                    if let actor = decoded.actor { actors.append(actor) }
                }
            }
        } else {
            reader.error("the rig has no actors; add 'actors:' with at least one", at: root)
        }

        var expectations: [Expectation] = []
        if let node = top["expect"] { expectations = decodeExpect(node, references: &references) }

        checkReferences(references, known: actors.map(\.name), nameNodes: nameNodes)
        checkStartCycles(actors)

        return Rig(
            name: name, description: description, seed: seed, timeout: timeout, file: file, actors: actors,
            expectations: expectations)
    }

    // MARK: - Actors

    /// The actor when all of it is valid; its name (and the name's node) whenever the name is.
    func decodeActor(
        _ node: Yams.Node, index: Int, references: inout [Reference]
    ) -> (actor: Actor?, name: String?, nameNode: Yams.Node?) {
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
        if let startNode = m["start"], let value = decodeStart(startNode, actor: name, references: &references) {
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
                guard case .scalar(let scalar) = entry.value, !YAMLReader.isNull(entry.value) else {
                    reader.error(
                        "parameter '\(entry.key)' must be a single value, not \(YAMLReader.describe(entry.value))",
                        at: entry.value)
                    continue
                }
                parameters.append(
                    Parameter(name: entry.key, value: scalar.string, position: reader.position(of: entry.keyNode)))
            }
        }

        var steps: [Step] = []
        if let stepsEntry = m.entry("steps") {
            if let role, role != "script" {
                reader.error("only script actors take 'steps'; \(label) plays '\(role)'", at: stepsEntry.keyNode)
            } else if let items = reader.list(stepsEntry.value, what: "'steps'") {
                for (i, item) in items.enumerated() {
                    if let step = decodeStep(item, index: i + 1, actor: name, references: &references) {
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

    func decodeStart(_ node: Yams.Node, actor: String?, references: inout [Reference]) -> Start? {
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
        let forms = m.entries.filter { ["at", "after", "after_exit"].contains($0.key) }
        guard let form = forms.first else {
            if m.entries.count == m.node.mapping?.count ?? 0 {
                reader.error("start needs one of 'at', 'after' or 'after_exit'", at: node)
            }
            return nil
        }
        for extra in forms.dropFirst() {
            reader.error("start takes one of 'at', 'after' or 'after_exit', not both '\(form.key)' and '\(extra.key)'", at: extra.keyNode)
        }
        var jitter = RigDuration.zero
        if let j = m["jitter"], let value = reader.duration(j, what: "the jitter") { jitter = value }
        var delay = RigDuration.zero
        if let d = m.entry("delay") {
            if form.key == "at" {
                reader.error("'delay' goes with 'after' or 'after_exit'; with 'at', write the time in 'at'", at: d.keyNode)
            } else if let value = reader.duration(d.value, what: "the delay") {
                delay = value
            }
        }
        switch form.key {
        case "at":
            guard let at = reader.duration(form.value, what: "the start time ('at')") else { return nil }
            return .at(at, jitter: jitter)
        case "after":
            guard let (other, event) = actorEvent(form.value, what: "'after'") else { return nil }
            references.append(Reference(from: actor, to: other, node: form.value, context: "start"))
            return .afterEvent(actor: other, event: event, delay: delay, jitter: jitter)
        default:  // after_exit
            guard let other = reader.string(form.value, what: "'after_exit'") else { return nil }
            references.append(Reference(from: actor, to: other, node: form.value, context: "start"))
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

    func decodeStep(_ node: Yams.Node, index: Int, actor: String?, references: inout [Reference]) -> Step? {
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
            references.append(Reference(from: actor, to: other, node: action.value, context: "wait"))
            return Step(.wait(actor: other, event: event), at: position)
        default:  // exit
            let range = RigLoader.processExitCodes
            guard let code = reader.integer(action.value, what: "the exit code", as: Int32.self, in: range) else {
                return nil
            }
            return Step(.exit(code), at: position)
        }
    }

    // MARK: - Expect

    func decodeExpect(_ node: Yams.Node, references: inout [Reference]) -> [Expectation] {
        guard let m = reader.mapping(node, what: "'expect'", keys: RigLoader.expectKeys) else { return [] }
        var expectations: [Expectation] = []
        if let exitNode = m["exit"], let exits = reader.openMapping(exitNode, what: "'expect.exit'") {
            for entry in exits.entries {
                references.append(Reference(from: nil, to: entry.key, node: entry.keyNode, context: "expect.exit"))
                let what = "the expected exit code of '\(entry.key)'"
                let range = RigLoader.expectedExitCodes
                var codes: [Int32] = []
                if case .sequence(let list) = entry.value {
                    if list.count == 0 { reader.error("\(what): give at least one code", at: entry.value) }
                    for item in list {
                        if let code = reader.integer(item, what: what, as: Int32.self, in: range) { codes.append(code) }
                    }
                    if codes.count != list.count { continue }
                } else if let code = reader.integer(entry.value, what: what, as: Int32.self, in: range) {
                    codes = [code]
                }
                if codes.isEmpty { continue }
                expectations.append(
                    Expectation(.exitCode(actor: entry.key, anyOf: codes), at: reader.position(of: entry.keyNode)))
            }
        }
        return expectations
    }

    // MARK: - Cross-checks

    func checkReferences(_ references: [Reference], known: [String], nameNodes: [String: Yams.Node]) {
        for reference in references {
            if let from = reference.from, from == reference.to {
                let verb = reference.context == "wait" ? "wait on itself" : "start after itself"
                reader.error("actor '\(from)' cannot \(verb)", at: reference.node)
                continue
            }
            if nameNodes[reference.to] == nil {
                var message = "unknown actor '\(reference.to)' in \(reference.context)"
                if let suggestion = YAMLSupport.suggestion(for: reference.to, among: known) {
                    message += " (did you mean '\(suggestion)'?)"
                } else if !known.isEmpty {
                    message += " (actors: \(known.joined(separator: ", ")))"
                }
                reader.error(message, at: reference.node)
            }
        }
    }

    /// Each actor starts after at most one other, so following `dependency` from any actor either
    /// ends or enters a cycle. Each cycle is reported once, from its first actor in file order, at
    /// that actor's name. Self-starts are reported by `checkReferences`.
    func checkStartCycles(_ actors: [Actor]) {
        var byName: [String: Actor] = [:]
        for actor in actors { byName[actor.name] = actor }
        var reported: Set<String> = []
        for actor in actors where !reported.contains(actor.name) {
            var path: [String] = [actor.name]
            var current = actor
            while let next = current.start.dependency, next != current.name, let nextActor = byName[next] {
                if let index = path.firstIndex(of: next) {
                    let cycle = Array(path[index...])
                    // Reported only when the walk began on the cycle: file order makes that its
                    // first actor; a walk that merely runs into a cycle leaves it for that one.
                    if index == 0 {
                        let text = (cycle + [cycle[0]]).joined(separator: " → ")
                        reader.error("actors start after each other in a cycle, so none can start: \(text)", at: actor.position)
                        reported.formUnion(cycle)
                    }
                    break
                }
                path.append(next)
                current = nextActor
            }
        }
    }
}
