import Foundation

/// The repository and the binaries `swift build --build-tests` put beside the test bundle.
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let binaries = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    static var rig: String { binaries + "/rig" }
    static var worker: String { binaries + "/rig-worker" }
}

/// What a finished command did.
struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` from the repository root and waits for it.
@discardableResult
func execute(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: Paths.root)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

/// A fresh temporary directory.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "patchrig-e2e-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `text` to a new file in a temporary directory and returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    let path = temporaryDirectory() + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Reads a JSON file as a dictionary.
func readJSON(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
}

/// Live processes whose parent is `pid` and whose command name is `name` (zombies excluded).
func children(of pid: Int32, named name: String) -> [Int32] {
    livePids(named: name).filter { parent(of: $0) == pid }
}

/// Live (not zombie) processes by command name.
func livePids(named name: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = statFields(pid) else { return false }
        return stat.comm == name && stat.state != "Z"
    }
}

func parent(of pid: Int32) -> Int32? { statFields(pid)?.ppid }

/// Whether `pid` still runs (a zombie has ended).
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = statFields(pid) else { return false }
    return stat.state != "Z" && stat.state != "X"
}

private func statFields(_ pid: Int32) -> (comm: String, state: String, ppid: Int32)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
    else { return nil }
    let comm = String(text[text.index(after: open)..<close])
    let rest = text[text.index(close, offsetBy: 2)...].split(separator: " ")
    guard rest.count > 2, let ppid = Int32(rest[1]) else { return nil }
    return (comm, String(rest[0]), ppid)
}
