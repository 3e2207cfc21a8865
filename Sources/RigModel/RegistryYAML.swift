import WindowsModel
import Yams

/// Registry keys and values as machine images and patches write them:
///
///     registry:
///       - key: HKLM\SOFTWARE\Microsoft\.NETFramework
///         values:
///           InstallRoot: C:\Windows\Microsoft.NET\Framework\     # REG_SZ
///           Enable: {dword: 1}                                     # REG_DWORD
///           Pending: {multi_sz: [a, '']}                           # REG_MULTI_SZ
///
/// A key with no values is created empty; `(Default)` names the default value.
extension YAMLReader {
    /// The values one `registry:` entry sets; a key without values stands for itself (empty name, no data).
    func registryKey(_ node: Yams.Node) -> [RegistryValueDefinition] {
        guard let map = mapping(node, what: "a registry key", keys: ["key", "values"]),
            let keyNode = required("key", in: map, what: "a registry key"),
            let text = string(keyNode, what: "the key")
        else { return [] }
        let key: RegistryKeyPath
        do { key = try RegistryKeyPath(text) } catch let problem {
            error("\(problem)", at: keyNode)
            return []
        }
        guard let valuesNode = map["values"], !YAMLReader.isNull(valuesNode) else {
            return [RegistryValueDefinition(key: key, name: "", data: nil)]
        }
        guard let values = openMapping(valuesNode, what: "the values of \(key)") else { return [] }
        if values.entries.isEmpty { return [RegistryValueDefinition(key: key, name: "", data: nil)] }
        return values.entries.compactMap { entry in
            let name = entry.key == "(Default)" ? "" : entry.key
            // The rule the registry enforces when the value is set (RegistryKeyPath.valueNameProblem).
            if let reason = RegistryKeyPath.valueNameProblem(name) {
                error("value of \(key): \(reason)", at: entry.keyNode)
                return nil
            }
            guard let data = registryValue(entry.value, what: "value '\(entry.key)' of \(key)") else { return nil }
            return RegistryValueDefinition(key: key, name: name, data: data)
        }
    }

    /// A value written as text (REG_SZ) or as `{sz: ...}`, `{dword: N}`, `{multi_sz: [...]}`.
    func registryValue(_ node: Yams.Node, what: String) -> RegistryValue? {
        if case .scalar = node {
            return string(node, what: what).map(RegistryValue.string)
        }
        guard let map = mapping(node, what: what, keys: ["sz", "dword", "multi_sz"]) else { return nil }
        guard map.entries.count == 1, let entry = map.entries.first else {
            error("\(what) must have exactly one of sz, dword, multi_sz", at: node)
            return nil
        }
        switch entry.key {
        case "sz":
            return string(entry.value, what: what).map(RegistryValue.string)
        case "dword":
            return integer(entry.value, what: what, as: UInt32.self).map(RegistryValue.dword)
        default:
            guard let list = list(entry.value, what: what) else { return nil }
            var strings: [String] = []
            for item in list {
                // An empty string is meaningful in a REG_MULTI_SZ (PendingFileRenameOperations).
                if case .scalar(let scalar) = item, scalar.string.isEmpty, scalar.style != .plain {
                    strings.append("")
                } else if let text = string(item, what: "a string of \(what)") {
                    strings.append(text)
                }
            }
            return .multiString(strings)
        }
    }
}
