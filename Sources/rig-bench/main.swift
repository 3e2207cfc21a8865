// rig-bench: PatchRig's benchmarks, each figure beside a baseline measured in the same run.
// Run through scripts/bench, which builds release binaries and the C baselines.
//
//   rig-bench --worker PATH --hello-baseline PATH --pingpong-baseline PATH [--rounds N]
import Glibc

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard flag.hasPrefix("--"), let value = arguments.popFirst() else {
        print("usage: rig-bench --worker PATH --hello-baseline PATH --pingpong-baseline PATH [--rounds N]")
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
}
let rounds = options["rounds"].flatMap(Int.init) ?? 2000

if let worker = options["worker"], let hello = options["hello-baseline"], let pingpong = options["pingpong-baseline"] {
    runWorkerBenchmarks(worker: worker, helloBaseline: hello, pingPongBaseline: pingpong, rounds: rounds)
}
runWinFSBenchmarks()
