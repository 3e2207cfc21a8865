#if canImport(Glibc)
import Glibc
#endif

/// Where `swift build --build-tests` put the executables: beside the test bundle.
enum BuiltBinaries {
    static let directory: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = n > 0 ? String(cString: buffer) : CommandLine.arguments[0]
        return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }()
    static var worker: String { directory + "/rig-worker" }
    static var rig: String { directory + "/rig" }
}

/// A fresh temporary directory.
func temporaryDirectory(_ prefix: String = "patchrig-test") -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { fatalError("mkdtemp failed") }
    return String(cString: path)
}
