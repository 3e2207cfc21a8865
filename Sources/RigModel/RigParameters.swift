import Foundation
import WindowsModel
import Yams

/// The values of role parameters (`params:`), checked where the role's meaning is clear:
/// durations, choices, `actor.event` references, Windows paths, and patch files relative to the
/// rig file. Other parameters (`assemblies`, `work`) are passed on as written.
extension RigLoader {
    /// Parameters whose value is a duration, e.g. `retry_limit: 5s`.
    public static let durationParameters: Set<String> = ["retry_limit", "run_for", "delay", "jitter"]

    /// Role → parameter → the values it accepts.
    public static let parameterChoices: [String: [String: [String]]] = [
        "installer": ["files_in_use": ["retry", "exit", "ignore"], "era": ["runonce", "service"]],
        "setup": [
            "files_in_use": ["retry", "exit", "ignore"], "era": ["runonce", "service"], "mode": ["bootstrapper"],
        ],
        "ngen": ["action": ["install", "update"], "install_mutex": ["hold"]],
        "netfxupdate": ["mode": ["runonce", "service"]],
        // Passed on to the hotfix installer, which refuses anything else (1639).
        "windowsupdate": ["files_in_use": ["retry", "exit", "ignore"], "era": ["runonce", "service"]],
    ]

    /// Parameters naming patch files (`patches/x.yaml`, relative to the rig file). `packages`
    /// names several: a YAML list, or one text with the paths separated by commas. The rig
    /// model keeps them resolved against the rig file's directory (several joined by `,`).
    public static let patchParameters: Set<String> = ["patch", "packages"]

    /// Parameters naming Windows paths on the machine; `load` names several, separated by commas.
    public static let windowsPathParameters: Set<String> = ["load", "hold"]

    /// Checks the patch file at `path` (already resolved against the rig file) for a parameter
    /// written at `position`: it must exist and decode, and fit the machine `image` (files it
    /// replaces exist, assemblies are in the image's catalog; nil when the rig's image could not
    /// be loaded: then only the patch itself is checked). Its errors are at the patch's positions.
    static func validatePatch(path: String, image: MachineImage?, at position: SourcePosition) -> [RigError] {
        // A binary, non-UTF-8 or huge file is refused by the patch loader, at the patch file.
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return [RigError("no patch file \(path)", at: position)]
        }
        do {
            let document = try PatchLoader.loadDocument(file: path)
            return image.map { PatchLoader.check(document, against: $0) } ?? []
        } catch {
            return error.errors
        }
    }
}

extension RigDecoder {
    /// The text of a parameter: a single value; `packages` may also be a list of single values.
    func parameterText(_ entry: YAMLEntry) -> String? {
        if entry.key == "packages", case .sequence(let items) = entry.value {
            var texts: [String] = []
            if items.count == 0 { reader.error("parameter 'packages' needs at least one patch file", at: entry.value) }
            for item in items {
                guard case .scalar(let scalar) = item, !YAMLReader.isNull(item) else {
                    reader.error("each of 'packages' must be a path, not \(YAMLReader.describe(item))", at: item)
                    return nil
                }
                texts.append(scalar.string)
            }
            return texts.isEmpty ? nil : texts.joined(separator: ",")
        }
        guard case .scalar(let scalar) = entry.value, !YAMLReader.isNull(entry.value) else {
            reader.error(
                "parameter '\(entry.key)' must be a single value, not \(YAMLReader.describe(entry.value))", at: entry.value)
            return nil
        }
        return scalar.string
    }

    /// Checks every parameter value (see `RigLoader.durationParameters` and friends) and keeps
    /// patch paths resolved against the rig file in `actors`.
    func checkParameters(_ actors: inout [Actor], at actorAt: [Int: Int]) {
        for use in parameterUses {
            let key = use.entry.key
            let node = use.entry.value
            let what = "parameter '\(key)'"
            if RigLoader.durationParameters.contains(key) {
                _ = reader.duration(node, what: what)
            } else if let choices = RigLoader.parameterChoices[use.role]?[key] {
                guard let text = reader.string(node, what: what) else { continue }
                if !choices.contains(text) {
                    var message = "\(what) of role '\(use.role)' must be \(Self.oneOf(choices)), not '\(text)'"
                    if let suggestion = YAMLSupport.suggestion(for: text, among: choices) {
                        message += " (did you mean '\(suggestion)'?)"
                    }
                    reader.error(message, at: node)
                }
            } else if key == "until" {
                guard let (other, event) = actorEvent(node, what: "'until'") else { continue }
                references.append(Reference(from: use.actor, to: other, event: event, node: node, context: "until"))
            } else if RigLoader.windowsPathParameters.contains(key) {
                guard let text = reader.string(node, what: what) else { continue }
                let paths = key == "load" ? text.split(separator: ",").map(\.trimmed) : [text]
                for path in paths {
                    do {
                        _ = try WindowsPath(path)
                    } catch {
                        reader.error("\(what): \(error)", at: node)
                    }
                }
            } else if RigLoader.patchParameters.contains(key) {
                let resolved = checkPatches(use.entry)
                if let i = actorAt[use.actorIndex], use.index < actors[i].parameters.count,
                    actors[i].parameters[use.index].name == key, let resolved
                {
                    actors[i].parameters[use.index].value = resolved.joined(separator: ",")
                }
            }
        }
    }

    /// Resolves and checks each patch file a `patch`/`packages` parameter names; the resolved
    /// paths, or nil when the value could not be read.
    func checkPatches(_ entry: YAMLEntry) -> [String]? {
        var named: [(text: String, node: Yams.Node)] = []
        if case .sequence(let items) = entry.value {
            for item in items {
                guard case .scalar(let scalar) = item else { return nil }
                named.append((scalar.string, item))
            }
        } else if case .scalar(let scalar) = entry.value {
            let parts = entry.key == "packages" ? scalar.string.split(separator: ",").map(String.init) : [scalar.string]
            named = parts.map { ($0.trimmed, entry.value) }
        } else {
            return nil
        }
        var resolved: [String] = []
        for (text, node) in named {
            if text.isEmpty {
                reader.error("parameter '\(entry.key)' names an empty path", at: node)
                continue
            }
            let path = RigLoader.resolve(text, relativeToRig: file)
            resolved.append(path)
            // A patch named twice is reported once.
            for error in RigLoader.validatePatch(path: path, image: image, at: reader.position(of: node)) {
                if error.position.file == file {
                    if !reader.errors.contains(error) { reader.record(error) }
                } else if !otherFileErrors.contains(error) {
                    otherFileErrors.append(error)
                }
            }
        }
        return resolved
    }

    /// Checks the combinations of parameters each role refuses when it starts (exit 1639
    /// ERROR_INVALID_COMMAND_LINE or 87 ERROR_INVALID_PARAMETER), so a rig that would fail that
    /// way is refused before anything runs: `installer` and `windowsupdate` need `patch`;
    /// `setup` needs `patch`, or with `mode: bootstrapper` `packages` (and not `patch`);
    /// `netfxupdate` needs work (`work`, or a `command` with `/ngen:` or `/gac:`) unless it is
    /// the service, which takes no `work`, and its `command` and `work` must parse. A missing
    /// parameter is reported at `node` (the actor's `params`, else its role).
    func checkParameterCombination(role: String, label: String, _ parameters: [Parameter], at node: Yams.Node) {
        func given(_ name: String) -> Parameter? { parameters.first { $0.name == name } }
        func missing(_ message: String) { reader.error("\(label) (role '\(role)') \(message)", at: node) }
        switch role {
        case "installer", "windowsupdate":
            if given("patch") == nil { missing("needs parameter 'patch', the patch file it installs") }
        case "setup":
            if given("mode")?.value == "bootstrapper" {
                if given("packages") == nil {
                    missing("with mode: bootstrapper needs parameter 'packages', the patch files it chains in order")
                }
                if let patch = given("patch") {
                    reader.error("'patch' is not used with mode: bootstrapper; list every package in 'packages'", at: patch.position)
                }
            } else if given("mode") == nil {
                if given("patch") == nil {
                    missing("needs parameter 'patch' (or mode: bootstrapper with 'packages')")
                }
                if let packages = given("packages") {
                    reader.error("'packages' is only used with mode: bootstrapper", at: packages.position)
                }
            }
        case "netfxupdate":
            var service = false
            var work: [NetFxUpdateWorkItem] = []
            if let line = given("command") {
                do {
                    let command = try NetFxUpdateCommand(commandLine: line.value)
                    service = command.service
                    work = command.work
                    // The program would ignore these, so a misspelled switch would silently
                    // change what it does (`/servce` is no service).
                    for argument in command.ignored {
                        var message = "parameter 'command': NetFxUpdate does not understand '\(argument)'"
                        let body = String(argument.drop { $0 == "/" || $0 == "-" }.prefix { $0 != ":" })
                        if let suggestion = YAMLSupport.suggestion(for: body, among: Self.netFxUpdateSwitches),
                            argument.first == "/" || argument.first == "-"
                        {
                            message += " (did you mean '/\(suggestion)'?)"
                        }
                        message += "; it takes /ngen:A,B, /gac:PATH, /service and /lock"
                        reader.error(message, at: line.position)
                    }
                } catch {
                    reader.error("parameter 'command': \(error.message)", at: line.position)
                    return
                }
            }
            if let items = given("work") {
                for text in items.value.split(separator: ",").map(String.init)
                where !text.allSatisfy({ $0 == " " || $0 == "\t" }) {
                    do { work.append(try NetFxUpdateWorkItem(parsing: text)) } catch {
                        reader.error("parameter 'work': \(error.message)", at: items.position)
                        return
                    }
                }
            }
            let mode = given("mode")?.value ?? "runonce"
            if mode == "service" || service {
                if let items = given("work") {
                    reader.error(
                        "the NetFxUpdate service reads its work from the registry; 'work' is for mode: runonce", at: items.position)
                }
            } else if mode == "runonce" && work.isEmpty {
                missing("has nothing to do: give 'work' (e.g. 'ngen System.Web, gac C:\\...') or a 'command' with /ngen: or /gac:")
            }
        default:
            break
        }
    }

    /// The switches a NetFxUpdate command line may carry (`NetFxUpdateCommand`).
    static let netFxUpdateSwitches = ["ngen", "gac", "service", "lock"]

    /// `a`, `a or b`, `a, b or c`.
    static func oneOf(_ choices: [String]) -> String {
        guard choices.count > 1 else { return choices.first ?? "" }
        return choices.dropLast().joined(separator: ", ") + " or " + choices.last!
    }
}
