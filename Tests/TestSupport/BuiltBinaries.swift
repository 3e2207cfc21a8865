import Foundation
import Testing

/// The executables `swift build --build-tests` put beside the test bundle (`rig`, `rig-worker`,
/// ...), found from the running test process. The one place tests look for a built binary.
public enum BuiltBinaries {
    /// The directory holding the built executables: the nearest directory above the test
    /// process's executable that holds `rig` (on some layouts the bundle is a directory of its
    /// own), or the executable's own directory when none does.
    public static let directory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let own = (exe as NSString).deletingLastPathComponent
        var dir = own
        while !dir.isEmpty && dir != "/" && !FileManager.default.isExecutableFile(atPath: dir + "/rig") {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return FileManager.default.isExecutableFile(atPath: dir + "/rig") ? dir : own
    }()

    /// The built `rig`.
    public static var rig: String { directory + "/rig" }

    /// The built `rig-worker`.
    public static var worker: String { directory + "/rig-worker" }

    /// The built `rig`, or nil (with an issue recorded) when it has not been built.
    public static func requireRig() -> String? {
        guard FileManager.default.isExecutableFile(atPath: rig) else {
            Issue.record("rig is not built next to the tests (run `swift build --build-tests` first)")
            return nil
        }
        return rig
    }
}

/// The repository the tests were built from (found from this source file's place).
public enum Repository {
    /// The repository's root directory.
    public static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TestSupport/<file>
        return parts.joined(separator: "/")
    }()

    /// `relative` (such as `Rigs/images/netfx11.yaml`) inside the repository.
    public static func file(_ relative: String) -> String { root + "/" + relative }
}
