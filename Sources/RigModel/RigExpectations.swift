import Foundation
import Machine
import WinFS
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
            default:  // runonce
                expectations += presence(entry.value, what: "'expect.runonce'") {
                    .startupEntry(key: .runonce, name: $0, present: $1)
                }
            }
        }
        return expectations
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
