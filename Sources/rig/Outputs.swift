import ArgumentParser
import Foundation

/// Writes `text` to `path` (nothing when nil); exit status 2 with the reason when it cannot.
func write(_ text: String, to path: String?) throws {
    guard let path else { return }
    do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
        throw failure("cannot write \(path): \(error.localizedDescription)")
    }
}

/// `$GITHUB_STEP_SUMMARY` when it is set and not empty: the job summary file of a CI step.
var stepSummaryPath: String? {
    ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"].flatMap { $0.isEmpty ? nil : $0 }
}

/// Appends `markdown` to `$GITHUB_STEP_SUMMARY` (created if missing) when it is set: the file is
/// shared by every step of the job.
func appendToStepSummary(_ markdown: String) throws {
    guard let path = stepSummaryPath else { return }
    guard
        let handle = FileHandle(forWritingAtPath: path)
            ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil)
    else { throw failure("cannot write \(path) ($GITHUB_STEP_SUMMARY)") }
    defer { try? handle.close() }
    do {
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(markdown.utf8))
    } catch {
        throw failure("cannot write \(path) ($GITHUB_STEP_SUMMARY): \(error.localizedDescription)")
    }
}

/// The directory a command keeps its outputs in: `out` when given, else a new one named
/// `patchrig-KIND-<pid>` in the temporary directory; created if missing.
func outputDirectory(_ out: String?, kind: String) throws -> String {
    let path = out ?? (NSTemporaryDirectory() + "/patchrig-\(kind)-\(ProcessInfo.processInfo.processIdentifier)")
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
        throw ValidationError("--out \(path): cannot create the directory: \(error.localizedDescription)")
    }
    return path
}

private let shellPlainCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:=@%")

/// `text` as one shell word: unchanged when it holds only characters no shell treats specially,
/// else in single quotes, so the replay line can be pasted as it is.
func shellQuoted(_ text: String) -> String {
    let plain = !text.isEmpty && text.allSatisfy(shellPlainCharacters.contains)
    return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
