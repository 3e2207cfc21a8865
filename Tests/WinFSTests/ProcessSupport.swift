import Foundation
import Glibc
import Testing

/// The directory holding the built `rig` (next to the test bundle after `swift build --build-tests`).
func builtProductsDirectory() -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = (exe as NSString).deletingLastPathComponent
    // Inside an .xctest bundle directory on some layouts: walk up to the directory that has rig.
    while !dir.isEmpty && dir != "/" && !FileManager.default.isExecutableFile(atPath: dir + "/rig") {
        dir = (dir as NSString).deletingLastPathComponent
    }
    return dir
}

/// The path of the built `rig`, recording an issue when it is missing.
func rigExecutable() -> String? {
    let path = builtProductsDirectory() + "/rig"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        Issue.record("rig is not built next to the tests (run `swift build --build-tests` first)")
        return nil
    }
    return path
}

/// A `rig fs open ... --hold` process holding a handle (or image) until released.
final class Holder {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    private(set) var stderrText = ""

    /// Starts `rig` with `arguments` and waits for its `held` line. Throws with its stderr and
    /// exit status when it exits first.
    init(_ rig: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: rig)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("held\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                stderrText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw HolderFailed(status: process.terminationStatus, stderr: stderrText)
            }
            seen.append(chunk)
        }
    }

    /// Closes its standard input and waits for it to exit; returns its exit status.
    @discardableResult
    func release() -> Int32 {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILLs it and waits.
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERMs it and waits; returns its exit status, or -1 when it ignored SIGTERM for 10 s
    /// (then it is SIGKILLed so the test cannot hang).
    func terminate() -> Int32 {
        Glibc.kill(process.processIdentifier, SIGTERM)
        for _ in 0..<1000 where process.isRunning { usleep(10_000) }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

struct HolderFailed: Error, CustomStringConvertible {
    var status: Int32
    var stderr: String
    var description: String { "holder exited \(status): \(stderr)" }
}

/// Runs `rig` with `arguments` to completion: exit status, stdout, stderr.
func runRig(_ rig: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: rig)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}
