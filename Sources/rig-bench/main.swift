// rig-bench: PatchRig's benchmarks, each figure beside a baseline measured in the same run.
// Run through scripts/bench, which builds release binaries and the C baselines.
//
//   rig-bench --worker PATH --rig PATH --hello-baseline PATH --pingpong-baseline PATH
//             [--root DIR] [--rounds N] [--quick] [--json FILE] [--only GROUP]
// GROUP: worker, winfs, run, machine, campaign or html; the campaign group needs run's floor.
import Foundation
import Glibc

let usage =
    "usage: rig-bench --worker PATH --rig PATH --hello-baseline PATH --pingpong-baseline PATH [--root DIR] [--rounds N] [--quick] [--json FILE] [--only worker|winfs|run|machine|campaign|html]"
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

let only = options["only"]
let groups = ["worker", "winfs", "run", "machine", "campaign", "html"]
if let only, !groups.contains(only) {
    print(usage)
    exit(2)
}
/// Whether the benchmarks of `group` run (all of them without --only).
func wanted(_ group: String) -> Bool { only == nil || only == group || (only == "campaign" && group == "run") }

if wanted("worker") { runWorkerBenchmarks(figures, worker: worker, helloBaseline: hello, pingPongBaseline: pingpong, rounds: rounds) }
if wanted("winfs") { runWinFSBenchmarks(figures, quick: quick) }
if wanted("run") { runControlledRunBenchmark(figures, root: root, worker: worker, helloBaseline: hello, rounds: quick ? 3 : 10) }
if wanted("machine") || wanted("campaign") { runMachineBenchmark(figures, root: root, rounds: quick ? 3 : 10) }
if wanted("campaign") { runCampaignBenchmarks(figures, rig: rig, root: root, quick: quick) }
if wanted("html") {
    do {
        let page = try htmlRenderBenchmark(quick: quick)
        figures.record(
            "html_render", "headless Chromium renders the timeline of 200 processes and 20,000 operations (--dump-dom)",
            value: Double(page.renderNs), unit: "ns", baseline: Double(page.blankNs), baselineName: "a blank page",
            extra: [("bytes", Double(page.bytes)), ("target_ns", 2e9), ("target_bytes", 5e6)])
    } catch {
        print("html benchmark skipped: \(error)")
    }
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
