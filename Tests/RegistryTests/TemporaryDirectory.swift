import Glibc

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on deinit.
final class TemporaryDirectory {
    let path: String

    init() {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/registry-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed: errno \(errno)") }
        path = String(cString: made)
    }

    deinit {
        // Test-only clean-up of a directory this test created.
        _ = system("rm -rf '\(path)'")
    }

    /// Writes `text` to `name` inside the directory.
    func write(_ name: String, _ text: String) {
        let file = fopen(path + "/" + name, "w")
        fputs(text, file)
        fclose(file)
    }
}
