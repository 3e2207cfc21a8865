import Foundation
import Host
import Pictures

/// Why the HTML benchmark could not measure.
struct HTMLBenchError: Error, CustomStringConvertible {
    var description: String
}

/// The run timeline in a real browser: a made-up run of 200 processes and 20,000 operations
/// (`syntheticTimeline`) is written as its HTML page, and headless Chromium's wall time to load
/// it, run its script and dump the DOM (`--dump-dom`) is measured beside the same for a blank
/// page (the browser's own start-up, the baseline). The median of 3 (1 when `quick`), and the
/// page's size. Chromium is `$CHROMIUM`, else `chromium` on the PATH.
func htmlRenderBenchmark(quick: Bool) throws -> (renderNs: UInt64, blankNs: UInt64, bytes: Int) {
    let html = TimelinePage.html(syntheticTimeline(processes: 200, operations: 20_000))
    let directory = NSTemporaryDirectory() + "patchrig-html-bench-\(CurrentProcess.id)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let page = directory + "/timeline.html"
    let blank = directory + "/blank.html"
    try html.write(toFile: page, atomically: true, encoding: .utf8)
    try "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>blank</title></head><body data-rendered=\"true\"></body></html>\n"
        .write(toFile: blank, atomically: true, encoding: .utf8)
    let rounds = quick ? 1 : 3
    var renders: [UInt64] = []
    var blanks: [UInt64] = []
    for _ in 0..<rounds {
        blanks.append(try dumpDOM(blank))
        renders.append(try dumpDOM(page))
    }
    return (median(renders), median(blanks), html.utf8.count)
}

/// The wall time of `chromium --headless --dump-dom` on a page; the page must have rendered
/// (`data-rendered="true"`) with no error recorded, or the figure would measure a broken page.
func dumpDOM(_ path: String) throws -> UInt64 {
    let chromium = ProcessInfo.processInfo.environment["CHROMIUM"] ?? "chromium"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1400,900", "--dump-dom",
        URL(fileURLWithPath: path).absoluteString,
    ]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    let start = MonotonicClock.now()
    do { try process.run() } catch { throw HTMLBenchError(description: "cannot start \(chromium): \(error.localizedDescription)") }
    let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let elapsed = MonotonicClock.now() - start
    guard process.terminationStatus == 0 else {
        throw HTMLBenchError(description: "\(chromium) exited with status \(process.terminationStatus) on \(path)")
    }
    guard dom.contains("data-rendered=\"true\""), !dom.contains("data-errors=\"1"), !dom.contains("data-errors=\"2") else {
        throw HTMLBenchError(description: "\(path) did not render cleanly in \(chromium)")
    }
    return elapsed
}

/// A made-up run: `processes / 10` actors each starting 9 children, after a reboot half of them;
/// `operations / processes` operations per process, 100 µs apart (one in 37 a sharing
/// violation, one in 101 access denied, one in 211 of unknown outcome); a failed native-image
/// expectation naming `file7.dll`, so its operations are highlighted.
func syntheticTimeline(processes: Int, operations: Int) -> RunTimeline {
    let actors = max(processes / 10, 1)
    let perProcess = operations / processes
    var lanes: [RunTimeline.Lane] = []
    var ops: [RunTimeline.Operation] = []
    var arrows: [RunTimeline.Arrow] = []
    for p in 0..<processes {
        let actor = p % actors
        let child = p / actors
        let name = child == 0 ? "actor\(actor)" : "actor\(actor)/child\(child)"
        let role = child == 0 ? "script" : "installer"
        let from = Int64(p) * 5_000_000
        let to = from + 500_000 + Int64(perProcess) * 100_000
        lanes.append(
            RunTimeline.Lane(
                name: name, role: role, label: "\(name) (\(role))", pid: Int32(10_000 + p), from: from, hello: from + 300_000, to: to,
                outcome: "exited with code 0", failure: nil))
        if child > 0 { arrows.append(RunTimeline.Arrow(kind: "child", from: actor, fromNs: from, to: p, toNs: from, label: name)) }
        for i in 0..<perProcess {
            let n = p * perProcess + i
            let result =
                n % 211 == 0
                ? "unknown: killed by signal 9"
                : n % 101 == 0 ? "ERROR_ACCESS_DENIED (5)" : n % 37 == 0 ? "ERROR_SHARING_VIOLATION (32)" : "ok"
            let start = from + 400_000 + Int64(i) * 100_000
            ops.append(
                RunTimeline.Operation(
                    lane: p, from: start, to: start + 80_000, name: ["open", "read", "write", "replace", "load", "sleep"][n % 6],
                    arguments: [.init("file", #"C:\Windows\app\file\#(n % 50).dll"#), .init("size", String(4096 * (n % 13)))],
                    result: result))
        }
    }
    let end = lanes.compactMap(\.to).max() ?? 0
    let reboot = end / 2
    return RunTimeline(
        rig: "synthetic", file: "synthetic.yaml", seed: "1", clock: "real", schedule: nil, digest: nil, duration: end, lanes: lanes,
        operations: ops,
        machine: [
            .init(step: "reboot1", name: "reboot1", from: reboot, to: reboot + 50_000_000),
            .init(step: "reboot1", name: "shutdown", from: reboot, to: reboot + 10_000_000),
            .init(step: "reboot1", name: "Session Manager", from: reboot + 10_000_000, to: reboot + 20_000_000),
        ],
        arrows: arrows,
        expectations: [
            .init(
                text: "every native image is fresh", verdict: "fail",
                detail: "Sample: stale (file7.dll changed since the image was built (1.0 -> 1.1))")
        ],
        runProblems: [], passed: false)
}
