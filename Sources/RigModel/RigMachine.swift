import Foundation
import WindowsModel
import Yams

/// The `machine:` section of a rig:
///
/// ```yaml
/// machine:
///   image: images/netfx11.yaml      # relative to the rig file's directory
///   profile: nt                     # nt | win9x
///   steps:
///     - reboot: {after_exit: installer, logon: admin}
///     - logon: {as: admin, after: reboot1.booted, delay: 1s}
///     - reboot: {name: second, at: 5s}
/// ```
/// The events a machine step (a reboot, a logon, a power loss) emits under its name, as an
/// actor emits its own: actors and later steps start after them, scripts wait on them.
///
/// A reboot: `down` (every process of the machine stopped), `service-<service>` (each auto-start
/// service's process started; none on `win9x`), `booted` (Session Manager done, the services
/// started), then with a logon the logon's events, then `done`. A logon: `logon` (the user has
/// logged on, before any Run/RunOnce command), `runonce` (the first RunOnce command started),
/// `RunOnce-<value>` and `Run-<value>` (that entry's command started), `done` (the list is through:
/// every RunOnce command has ended, every Run command has started).
public enum StepEvents {
    public static let down = "down"
    public static let booted = "booted"
    public static let logon = "logon"
    public static let runOnce = "runonce"
    public static let done = "done"
    /// Prefix of the event of a service's process starting.
    public static let servicePrefix = "service-"

    /// `service-<name>`: the service's process started.
    public static func service(_ name: String) -> String { servicePrefix + eventSafe(name) }

    /// `RunOnce-<value>` or `Run-<value>`: the command of that entry started (its process is named
    /// `<step>/RunOnce-<value>` too).
    public static func startup(_ kind: StartupEntry.Kind, _ name: String) -> String { "\(kind.rawValue)-" + eventSafe(name) }

    /// `name` as part of an event name: each character other than an ASCII letter, digit, `_` or
    /// `-` (a space, `!`, `.`...) becomes `_`, so every value or service name has an event.
    public static func eventSafe(_ name: String) -> String {
        String(name.map { c in c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-") ? c : "_" })
    }

    /// The events a step of `kind` emits on a `profile` machine, in the order they can come;
    /// `service-*`, `RunOnce-*` and `Run-*` stand for every event with that prefix.
    public static func events(of kind: MachineStep.Kind, profile: MachineProfile = .nt) -> [String] {
        let logonEvents = [logon, runOnce, "RunOnce-*", "Run-*"]
        switch kind {
        case .reboot(let who):
            let boot = [down] + (BootServices.start(on: profile) ? [servicePrefix + "*"] : []) + [booted]
            return boot + (who == .none ? [] : logonEvents) + [done]
        case .logon:
            return logonEvents + [done]
        }
    }

    /// Whether `event` is one of `events` (as `events(of:profile:)` gives them, with patterns).
    public static func contains(_ events: [String], _ event: String) -> Bool {
        events.contains { pattern in
            guard pattern.hasSuffix("*") else { return pattern == event }
            let prefix = pattern.dropLast()
            return event.hasPrefix(prefix) && event.count > prefix.count
        }
    }
}

extension RigDecoder {
    /// The events a machine step emits under its name (see `StepEvents`).
    static func events(of kind: MachineStep.Kind, profile: MachineProfile = .nt) -> [String] {
        StepEvents.events(of: kind, profile: profile)
    }

    func decodeMachine(_ entry: YAMLEntry, actorNames: [String: Yams.Node]) -> MachineSpec? {
        let position = reader.position(of: entry.keyNode)
        // `machine:` with nothing under it: a minimal NT machine.
        if YAMLReader.isNull(entry.value) {
            image = .minimal
            return MachineSpec(image: nil, position: position)
        }
        guard let m = reader.mapping(entry.value, what: "'machine'", keys: RigLoader.machineKeys) else { return nil }
        var valid = true

        var imagePath: String?
        image = .minimal
        if let node = m["image"] {
            image = nil
            if let text = reader.string(node, what: "the machine image") {
                let resolved = RigLoader.resolve(text, relativeToRig: file)
                imagePath = resolved
                var isDirectory: ObjCBool = false
                if !FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) || isDirectory.boolValue {
                    reader.error("no machine image file '\(text)' (looked for \(resolved))", at: node)
                    valid = false
                } else {
                    do {
                        image = try MachineImageLoader.load(file: resolved)
                    } catch {
                        // The image's own problems, at their own positions, as the loader reports them.
                        otherFileErrors += error.errors
                        valid = false
                    }
                }
            } else {
                valid = false
            }
        }

        var profile = MachineProfile.nt
        if let node = m["profile"] {
            if let text = reader.string(node, what: "the machine profile") {
                if let value = MachineProfile(rawValue: text) {
                    profile = value
                } else {
                    let known = MachineProfile.allCases.map(\.rawValue)
                    reader.error(reader.unknownMessage("profile", text, known: known), at: node)
                    valid = false
                }
            } else {
                valid = false
            }
        }

        var machineSteps: [MachineStep] = []
        if let node = m["steps"], let items = reader.list(node, what: "the machine's 'steps'") {
            var stepNodes: [String: Yams.Node] = [:]
            var counts: [String: Int] = [:]
            var rebooted = false
            for (index, item) in items.enumerated() {
                guard let decoded = decodeMachineStep(item, index: index + 1, counts: &counts) else {
                    valid = false
                    continue
                }
                if decoded.action == "logon", !rebooted {
                    reader.error("logon before a boot: the machine must be rebooted first", at: decoded.actionNode)
                }
                if decoded.action == "reboot" { rebooted = true }
                // A valid name counts even when the rest of the step is bad (as for actors).
                guard let name = decoded.name else {
                    valid = false
                    continue
                }
                if let first = stepNodes[name] {
                    let at = reader.position(of: first)
                    reader.error("duplicate step name '\(name)' (first used at \(at.line):\(at.column))", at: decoded.nameNode)
                    valid = false
                    continue
                }
                if let actor = actorNames[name] {
                    let at = reader.position(of: actor)
                    reader.error(
                        "step name '\(name)' is the name of an actor (at \(at.line):\(at.column)); actors and steps need different names",
                        at: decoded.nameNode)
                    valid = false
                    continue
                }
                stepNodes[name] = decoded.nameNode
                let events =
                    decoded.kind.map { Self.events(of: $0, profile: profile) } ?? Self.events(of: .reboot(logon: .admin), profile: profile)
                steps.append(StepInfo(name: name, index: index, events: events, node: decoded.nameNode))
                if let kind = decoded.kind, let start = decoded.start {
                    machineSteps.append(
                        MachineStep(name: name, kind: kind, start: start, position: reader.position(of: decoded.actionNode)))
                } else {
                    valid = false
                }
            }
        }
        guard valid else { return nil }
        return MachineSpec(image: imagePath, profile: profile, steps: machineSteps, position: position)
    }

    /// One machine step: `- reboot: {...}` or `- logon: {...}`; nil when not even its action can
    /// be read. The kind is nil when it is bad, the name when the name is; `nameNode` is where
    /// name problems point (the `name:` value, or the action key).
    func decodeMachineStep(
        _ node: Yams.Node, index: Int, counts: inout [String: Int]
    ) -> (action: String, kind: MachineStep.Kind?, name: String?, nameNode: Yams.Node, actionNode: Yams.Node, start: Start?)? {
        let what = "machine step \(index)"
        guard case .mapping(let raw) = node else {
            reader.error(
                "\(what) must be one action such as 'reboot: {after_exit: installer}', not \(YAMLReader.describe(node))",
                at: node)
            return nil
        }
        guard let m = reader.mapping(node, what: what, keys: RigLoader.machineStepKeys) else { return nil }
        if raw.count == 0 {
            reader.error("\(what) is empty; write one of \(RigLoader.machineStepKeys.joined(separator: ", "))", at: node)
            return nil
        }
        guard let action = m.entries.first else { return nil }
        for extra in m.entries.dropFirst() {
            reader.error(
                "\(what) has more than one action ('\(action.key)' and '\(extra.key)'); write one per step",
                at: extra.keyNode)
        }
        counts[action.key, default: 0] += 1
        let defaultName = "\(action.key)\(counts[action.key]!)"

        // `- reboot:` alone takes every default; a logon needs at least `as`.
        let body: YAMLMapping
        if YAMLReader.isNull(action.value) {
            body = YAMLMapping(node: action.value, entries: [])
        } else {
            let keys = action.key == "reboot" ? RigLoader.rebootKeys : RigLoader.logonKeys
            guard let checked = reader.mapping(action.value, what: "'\(action.key)'", keys: keys) else {
                return (action.key, nil, defaultName, action.keyNode, action.keyNode, nil)
            }
            body = checked
        }

        var name: String? = defaultName
        var nameNode = action.keyNode
        if let node = body["name"] {
            nameNode = node
            name = nil
            if let text = reader.string(node, what: "the step's name") {
                if RigLoader.isValidActorName(text) {
                    name = text
                } else {
                    reader.error("bad step name '\(text)': use a letter, then letters, digits, '_' or '-'", at: node)
                }
            }
        }

        var kind: MachineStep.Kind?
        if action.key == "reboot" {
            var logon = Logon.none
            var good = true
            if let node = body["logon"] {
                if let value = self.logon(node, what: "who logs on ('logon')", allowNone: true) { logon = value } else { good = false }
            }
            if good { kind = .reboot(logon: logon) }
        } else {
            if YAMLReader.isNull(action.value) {
                reader.error("a logon step needs 'as' (user or admin)", at: action.keyNode)
            } else if let node = reader.required("as", in: body, what: "a logon step"),
                let value = self.logon(node, what: "who logs on ('as')", allowNone: false)
            {
                kind = .logon(value)
            }
        }
        let start = startForm(in: body, owner: name)
        return (action.key, kind, name, nameNode, action.keyNode, start)
    }

    /// `none`, `user` or `admin` (`none` only where nobody logging on makes sense).
    func logon(_ node: Yams.Node, what: String, allowNone: Bool) -> Logon? {
        guard let text = reader.string(node, what: what) else { return nil }
        let known = Logon.allCases.filter { allowNone || $0 != .none }
        if let value = known.first(where: { $0.rawValue == text }) { return value }
        if text == "none", !allowNone {
            reader.error("a logon step logs someone on: 'as' is user or admin", at: node)
            return nil
        }
        reader.error(reader.unknownMessage("logon", text, known: known.map(\.rawValue)), at: node)
        return nil
    }
}
