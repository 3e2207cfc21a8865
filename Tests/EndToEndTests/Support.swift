import Foundation
import TestSupport

/// Writes `text` to a new file in a temporary directory and returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    let path = temporaryDirectory("patchrig-e2e") + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Reads a JSON file as a dictionary.
func readJSON(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
}
