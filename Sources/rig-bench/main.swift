// rig-bench: PatchRig's benchmarks, each beside a baseline measured in the same run.
// Run through scripts/bench (release build). Prints one line per measurement.
print("rig-bench")
runWinFSBenchmarks()
