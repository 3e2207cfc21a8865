import Foundation
import WindowsModel
import Yams

/// The `expect:` block:
///
/// ```yaml
/// expect:
///   exit: {installer: 0, setup: [0, 3010]}
///   files: {'C:\Windows\System32\mscoree.dll': 2.0.50727.42, 'C:\Windows\x.tmp': absent}
///   native_images: {System.Web: fresh, all: fresh}     # fresh | stale | missing
///   pending_renames: 0
///   loaded: {app1: {'C:\Windows\System32\mscoree.dll': 1.1.4322.573}}
///   services: {NetFxUpdate: absent}                      # present | absent
///   run: {NetFxUpdate: absent}
///   runonce: {NetFxUpdate_KB886903: present}
///   registry: {'HKLM\SOFTWARE\Microsoft\Updates\KB1': {Installed: {dword: 1}, Old: absent}}
///   exactly_one: [{of: [hotfix, sp1], exits: 1618}]
///   operations:
///     - {result: failed to load mscorwks.dll}
///     - {process: app, op: load, args: {path: 'C:\Windows\a.dll'}, result: ERROR_SHARING_VIOLATION, count: 0}
/// ```
extension RigLoader {
    /// The states a native image can be expected in.
    public static let nativeImageStates = ["fresh", "stale", "missing"]
}

extension RigDecoder {
    func decodeExpect(_ node: Yams.Node, hasMachine: Bool) -> [Expectation] {
        guard let m = reader.mapping(node, what: "'expect'", keys: RigLoader.expectKeys) else { return [] }
        var expectations: [Expectation] = []
        for entry in m.entries {
            if RigLoader.machineExpectKeys.contains(entry.key), !hasMachine {
                reader.error(
                    "'\(entry.key)' expectations are about the machine, and the rig has no 'machine:' section",
                    at: entry.keyNode)
                continue
            }
            switch entry.key {
            case "exit": expectations += exitExpectations(entry.value)
            case "files": expectations += fileExpectations(entry.value)
            case "native_images": expectations += nativeImageExpectations(entry.value)
            case "pending_renames":
                if let count = reader.int(entry.value, what: "the number of pending renames", in: 0...Int(Int32.max)) {
                    expectations.append(Expectation(.pendingRenames(count: count), at: reader.position(of: entry.keyNode)))
                }
            case "loaded": expectations += loadedExpectations(entry.value)
            case "services":
                expectations += presence(entry.value, what: "'expect.services'") { .service(name: $0, present: $1) }
            case "run":
                expectations += presence(entry.value, what: "'expect.run'") {
                    .startupEntry(key: .run, name: $0, present: $1)
                }
            case "runonce":
                expectations += presence(entry.value, what: "'expect.runonce'") {
                    .startupEntry(key: .runonce, name: $0, present: $1)
                }
            case "registry": expectations += registryExpectations(entry.value)
            case "exactly_one": expectations += exactlyOneExpectations(entry.value)
            default:  // operations
                expectations += operationExpectations(entry.value)
            }
        }
        return expectations
    }

    /// `{KEY: {VALUE NAME: DATA | absent}}`: data as images write it (text for REG_SZ, `{dword: N}`,
    /// `{multi_sz: [...]}`, `{sz: absent}` for the text "absent"); `(Default)` names the default value.
    func registryExpectations(_ node: Yams.Node) -> [Expectation] {
        guard let keys = reader.openMapping(node, what: "'expect.registry'") else { return [] }
        var expectations: [Expectation] = []
        for keyEntry in keys.entries {
            var key: RegistryKeyPath?
            do { key = try RegistryKeyPath(keyEntry.key) } catch {
                reader.error("a key of 'expect.registry': \(error)", at: keyEntry.keyNode)
            }
            guard let values = reader.openMapping(keyEntry.value, what: "the values of \(keyEntry.key)") else { continue }
            if values.entries.isEmpty {
                reader.error("give at least one value of \(keyEntry.key), e.g. {Version: '1.0'} or {Old: absent}", at: keyEntry.value)
            }
            for entry in values.entries {
                let name = entry.key == "(Default)" ? "" : entry.key
                if let reason = RegistryKeyPath.valueNameProblem(name) {
                    reader.error("a value of \(keyEntry.key): \(reason)", at: entry.keyNode)
                    continue
                }
                var value: RegistryValue?
                if case .scalar(let scalar) = entry.value, scalar.string == "absent", scalar.style == .plain {
                    value = nil
                } else if let data = reader.registryValue(entry.value, what: "the expected data of \(entry.key)") {
                    value = data
                } else {
                    continue
                }
                guard let key else { continue }
                expectations.append(
                    Expectation(.registryValue(key: key.description, name: name, value: value), at: reader.position(of: entry.keyNode)))
            }
        }
        return expectations
    }

    /// `[{of: [PROCESS, ...], exits: CODE | [CODES]}]`: at least two processes, each named once.
    func exactlyOneExpectations(_ node: Yams.Node) -> [Expectation] {
        guard let items = reader.list(node, what: "'expect.exactly_one'") else { return [] }
        var expectations: [Expectation] = []
        for (index, item) in items.enumerated() {
            let what = "item \(index + 1) of 'expect.exactly_one'"
            guard let m = reader.mapping(item, what: what, keys: RigLoader.exactlyOneKeys) else { continue }
            let ofNode = reader.required("of", in: m, what: what)
            let exitsNode = reader.required("exits", in: m, what: what)
            var processes: [String] = []
            var good = true
            if let ofNode, let list = reader.list(ofNode, what: "'of' (the processes)") {
                for process in list {
                    guard let name = reader.string(process, what: "a process of 'of'") else {
                        good = false
                        continue
                    }
                    if processes.contains(name) {
                        reader.error("'\(name)' is named twice in 'of'", at: process)
                        good = false
                        continue
                    }
                    processes.append(name)
                    references.append(Reference(from: nil, to: name, event: nil, node: process, context: "expect.exactly_one"))
                }
                if list.count < 2 {
                    reader.error("'of' needs at least two processes (for one, use 'exit')", at: ofNode)
                    good = false
                }
            } else {
                good = false
            }
            guard let exitsNode, let codes = exitCodes(exitsNode, what: "the exit code of \(what)"), good else { continue }
            expectations.append(
                Expectation(.exactlyOneExits(processes: processes, anyOf: codes), at: reader.position(of: item)))
        }
        return expectations
    }

    /// `[{process: P, op: OP, args: {NAME: VALUE}, result: TEXT, count: N}]`, each part optional
    /// but at least one given.
    func operationExpectations(_ node: Yams.Node) -> [Expectation] {
        guard let items = reader.list(node, what: "'expect.operations'") else { return [] }
        var expectations: [Expectation] = []
        for (index, item) in items.enumerated() {
            let what = "item \(index + 1) of 'expect.operations'"
            guard let m = reader.mapping(item, what: what, keys: RigLoader.operationKeys) else { continue }
            if m.entries.isEmpty {
                if case .mapping(let raw) = item, raw.count == 0 {
                    reader.error("\(what) is empty; give at least one of process, op, args, result", at: item)
                }
                continue
            }
            var pattern = OperationPattern()
            var good = true
            if let node = m["process"] {
                if let name = reader.string(node, what: "the process") {
                    pattern.process = name
                    references.append(Reference(from: nil, to: name, event: nil, node: node, context: "expect.operations"))
                } else {
                    good = false
                }
            }
            if let node = m["op"] {
                if let op = reader.string(node, what: "the operation ('op')"), RigLoader.isValidEventName(op) {
                    pattern.op = op
                } else {
                    if case .scalar = node {
                        reader.error("bad operation name: use letters, digits, '_' or '-' (e.g. load, replace)", at: node)
                    }
                    good = false
                }
            }
            if let node = m["args"] {
                if let args = reader.openMapping(node, what: "'args'") {
                    if args.entries.isEmpty { reader.error("'args' needs at least one argument, e.g. {path: 'C:\\...'}", at: node) }
                    for entry in args.entries {
                        guard let value = reader.string(entry.value, what: "the value of argument '\(entry.key)'") else {
                            good = false
                            continue
                        }
                        pattern.arguments.append(OperationPattern.Argument(name: entry.key, value: value))
                    }
                } else {
                    good = false
                }
            }
            if let node = m["result"] {
                if let result = reader.string(node, what: "the result"), !result.isEmpty {
                    pattern.result = result
                } else {
                    if case .scalar(let scalar) = node, scalar.string.isEmpty { reader.error("'result' is empty", at: node) }
                    good = false
                }
            }
            if let node = m["count"] {
                if let count = reader.int(node, what: "the number of operations ('count')", in: 0...Int(Int32.max)) {
                    pattern.count = count
                } else {
                    good = false
                }
            }
            guard good else { continue }
            expectations.append(Expectation(.operation(pattern), at: reader.position(of: item)))
        }
        return expectations
    }

    /// A code or a non-empty list of codes (`RigLoader.expectedExitCodes`); nil when bad.
    func exitCodes(_ node: Yams.Node, what: String) -> [Int32]? {
        let range = RigLoader.expectedExitCodes
        if case .sequence(let list) = node {
            if list.count == 0 {
                reader.error("\(what): give at least one code", at: node)
                return nil
            }
            var codes: [Int32] = []
            for item in list {
                if let code = reader.integer(item, what: what, as: Int32.self, in: range) { codes.append(code) }
            }
            return codes.count == list.count ? codes : nil
        }
        return reader.integer(node, what: what, as: Int32.self, in: range).map { [$0] }
    }

    func exitExpectations(_ node: Yams.Node) -> [Expectation] {
        guard let exits = reader.openMapping(node, what: "'expect.exit'") else { return [] }
        var expectations: [Expectation] = []
        for entry in exits.entries {
            references.append(Reference(from: nil, to: entry.key, event: nil, node: entry.keyNode, context: "expect.exit"))
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
        return expectations
    }

    /// `{PATH: VERSION | absent}`.
    func fileExpectations(_ node: Yams.Node) -> [Expectation] {
        guard let files = reader.openMapping(node, what: "'expect.files'") else { return [] }
        var expectations: [Expectation] = []
        for entry in files.entries {
            let path = windowsPath(entry.key, at: entry.keyNode, what: "a file of 'expect.files'")
            guard let text = reader.string(entry.value, what: "the expected version of \(entry.key)") else { continue }
            var version: String?
            if text != "absent" {
                guard let parsed = fileVersion(text, at: entry.value, what: "the expected version of \(entry.key)", orAbsent: true)
                else { continue }
                version = parsed
            }
            guard let path else { continue }
            expectations.append(Expectation(.fileVersion(path: path, version: version), at: reader.position(of: entry.keyNode)))
        }
        return expectations
    }

    /// `{ASSEMBLY | all: fresh | stale | missing}`.
    func nativeImageExpectations(_ node: Yams.Node) -> [Expectation] {
        guard let images = reader.openMapping(node, what: "'expect.native_images'") else { return [] }
        var expectations: [Expectation] = []
        for entry in images.entries {
            guard let status = reader.string(entry.value, what: "the expected state of \(entry.key)'s native image")
            else { continue }
            guard RigLoader.nativeImageStates.contains(status) else {
                reader.error(
                    "the native image of \(entry.key) can be expected \(Self.oneOf(RigLoader.nativeImageStates)), not '\(status)'",
                    at: entry.value)
                continue
            }
            expectations.append(
                Expectation(.nativeImage(assembly: entry.key, status: status), at: reader.position(of: entry.keyNode)))
        }
        return expectations
    }

    /// `{ACTOR: {PATH: VERSION}}`: one expectation per path.
    func loadedExpectations(_ node: Yams.Node) -> [Expectation] {
        guard let actors = reader.openMapping(node, what: "'expect.loaded'") else { return [] }
        var expectations: [Expectation] = []
        for actor in actors.entries {
            references.append(Reference(from: nil, to: actor.key, event: nil, node: actor.keyNode, context: "expect.loaded"))
            guard let files = reader.openMapping(actor.value, what: "the files '\(actor.key)' loaded") else { continue }
            if files.entries.isEmpty { reader.error("give at least one file '\(actor.key)' loaded", at: actor.value) }
            for entry in files.entries {
                let path = windowsPath(entry.key, at: entry.keyNode, what: "a file of 'expect.loaded'")
                guard let text = reader.string(entry.value, what: "the expected version of \(entry.key)"),
                    let version = fileVersion(text, at: entry.value, what: "the expected version of \(entry.key)", orAbsent: false),
                    let path
                else { continue }
                expectations.append(
                    Expectation(.loaded(actor: actor.key, path: path, version: version), at: reader.position(of: entry.keyNode)))
            }
        }
        return expectations
    }

    /// `{NAME: present | absent}`.
    func presence(_ node: Yams.Node, what: String, _ make: (String, Bool) -> Expectation.Kind) -> [Expectation] {
        guard let names = reader.openMapping(node, what: what) else { return [] }
        var expectations: [Expectation] = []
        for entry in names.entries {
            guard let text = reader.string(entry.value, what: "the expected state of \(entry.key)") else { continue }
            guard text == "present" || text == "absent" else {
                reader.error("\(entry.key) can be expected present or absent, not '\(text)'", at: entry.value)
                continue
            }
            expectations.append(Expectation(make(entry.key, text == "present"), at: reader.position(of: entry.keyNode)))
        }
        return expectations
    }

    /// The path as written, when it is a valid Windows path on the machine.
    func windowsPath(_ text: String, at node: Yams.Node, what: String) -> String? {
        do {
            _ = try WindowsPath(text)
            return text
        } catch {
            reader.error("\(what): \(error)", at: node)
            return nil
        }
    }

    /// A file version `a.b.c.d` (each part 0...65535), spelled as the machine reports versions.
    func fileVersion(_ text: String, at node: Yams.Node, what: String, orAbsent: Bool) -> String? {
        if let version = FileVersion(text) { return version.description }
        let alternative = orAbsent ? " or absent" : ""
        reader.error("\(what) must be a file version such as 1.1.4322.573\(alternative), not '\(text)'", at: node)
        return nil
    }
}
