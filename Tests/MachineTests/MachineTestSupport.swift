import Glibc
import Machine
import RigModel
import WinFS

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on deinit.
final class MachineScratch {
    let path: String

    init() {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/machine-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed: errno \(errno)") }
        path = String(cString: made)
    }

    deinit {
        // Test-only clean-up of a directory this test created.
        _ = system("rm -rf '\(path)'")
    }
}

/// The repository's `Rigs/images/<name>`, found from this source file's place.
func repositoryImage(_ name: String) -> String {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/MachineTests/<file>
    return parts.joined(separator: "/") + "/Rigs/images/" + name
}

/// `C:\...` as a WindowsPath (test input is known good).
func winPath(_ text: String) -> WindowsPath { try! WindowsPath(text) }

/// `a.b.c.d` (test input is known good).
func version(_ text: String) -> FileVersion { FileVersion(text)! }
