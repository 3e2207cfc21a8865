// rig-bench: PatchRig's benchmarks, each figure beside a baseline measured in the same run.
// Run through scripts/bench, which builds release binaries and the C baselines.
//
//   rig-bench --worker PATH --rig PATH --hello-baseline PATH --pingpong-baseline PATH
//             [--root DIR] [--rounds N] [--quick] [--json FILE]
import Foundation
import Glibc

let usage =
    "usage: rig-bench --worker PATH --rig PATH --hello-baseline PATH --pingpong-baseline PATH [--root DIR] [--rounds N] [--quick] [--json FILE]"
var options: [String: String] = [:]
var quick = false
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    if flag == "--quick" {
        quick = true
        continue
    }
    guard flag.hasPrefix("--"), let value = arguments.popFirst() else {
        print(usage)
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
}
guard let worker = options["worker"], let rig = options["rig"], let hello = options["hello-baseline"],
    let pingpong = options["pingpong-baseline"]
else {
    print(usage)
    exit(2)
}
let rounds = options["rounds"].flatMap(Int.init) ?? (quick ? 300 : 2000)
let root = options["root"] ?? FileManager.default.currentDirectoryPath
let figures = Figures()
let started = Date()

runWorkerBenchmarks(figures, worker: worker, helloBaseline: hello, pingPongBaseline: pingpong, rounds: rounds)
runWinFSBenchmarks(figures, quick: quick)
runControlledRunBenchmark(figures, root: root, worker: worker, helloBaseline: hello, rounds: quick ? 3 : 10)
runMachineBenchmark(figures, root: root, rounds: quick ? 3 : 10)
runCampaignBenchmarks(figures, rig: rig, root: root, quick: quick)
do {
    let page = try htmlRenderBenchmark(quick: quick)
    figures.record(
        "html_render", "headless Chromium renders the timeline of 200 processes and 20,000 operations (--dump-dom)",
        value: Double(page.renderNs), unit: "ns", baseline: Double(page.blankNs), baselineName: "a blank page",
        extra: [("bytes", Double(page.bytes)), ("target_ns", 2e9), ("target_bytes", 5e6)])
} catch {
    print("html benchmark skipped: \(error)")
}
print("benchmarks took \(Int(Date().timeIntervalSince(started))) s\(quick ? " (--quick)" : "")")

if let path = options["json"] {
    do {
        try figures.json(quick: quick, cores: ProcessInfo.processInfo.activeProcessorCount).write(
            toFile: path, atomically: true, encoding: .utf8)
    } catch {
        print("cannot write \(path): \(error)")
        exit(1)
    }
}
