import Foundation
import Glibc

/// A fresh directory under `$TMPDIR` (or `/tmp`), removed with its contents on deinit.
///
/// Keep it where it outlives every use of its path (a suite's stored property, or
/// `withExtendedLifetime`): Swift may release a local after its last use.
public final class Scratch: @unchecked Sendable {
    /// The directory's path.
    public let path: String

    /// Makes `$TMPDIR/<prefix>-XXXXXX`.
    public init(_ prefix: String = "patchrig-test") {
        path = temporaryDirectory(prefix)
    }

    deinit {
        // Test-only clean-up of a directory this test created.
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` to `name` (a path relative to the directory), creating its parents.
    public func write(_ name: String, _ text: String) {
        let file = path + "/" + name
        try? FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
    }

    /// A new empty machine directory `name` inside the scratch directory: `drive_c/Windows`, a
    /// profile and an empty registry (an empty SQLite database), what makes a directory a machine
    /// for `rig`.
    public func machine(_ name: String = "machine", profile: String = "nt") -> String {
        let dir = path + "/" + name
        try? FileManager.default.createDirectory(atPath: dir + "/drive_c/Windows", withIntermediateDirectories: true)
        write(name + "/profile", profile + "\n")
        write(name + "/registry.db", "")
        return dir
    }
}

/// A fresh directory `$TMPDIR/<prefix>-XXXXXX` (or under `/tmp`) that nothing removes: what
/// `Scratch` makes, for tests that leave their outputs behind to be looked at.
public func temporaryDirectory(_ prefix: String = "patchrig-test") -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp \(base)/\(prefix): errno \(errno)") }
    return String(cString: made)
}
