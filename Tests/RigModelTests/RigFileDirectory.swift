import Foundation
import TestSupport

@testable import RigModel

/// A directory for a rig `r.yaml` and the patches and images it names, with one patch
/// (`patches/ok.yaml`) ready for rigs whose roles need one.
final class RigFileDirectory {
    private let scratch: Scratch
    var path: String { scratch.path }

    init(_ prefix: String) throws {
        scratch = Scratch(prefix)
        try FileManager.default.createDirectory(atPath: path + "/patches", withIntermediateDirectories: true)
        try write(
            "patches/ok.yaml",
            """
            patch: OK1
            era: runonce
            files:
              - {path: C:\\Windows\\System32\\a.dll, version: 1.0.0.1, size: 4096, adds: true}
            """)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    /// The errors of `yaml` read as `r.yaml` here, with the directory left out.
    func errors(_ yaml: String) -> [String] {
        do {
            _ = try RigLoader.parse(yaml: yaml, file: path + "/r.yaml")
            return []
        } catch {
            return error.errors.map { $0.description.replacingOccurrences(of: path + "/", with: "") }
        }
    }
}
