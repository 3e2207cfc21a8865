import Glibc
import Host
import LibUV
import Wire

/// Median of a sample, in nanoseconds.
func median(_ samples: [UInt64]) -> UInt64 { samples.sorted()[samples.count / 2] }

/// Spawns `executable` with a control pipe the way the coordinator spawns a worker, and returns
/// the time from just before the spawn to the arrival of its hello frame. Then closes the pipe
/// (the child exits) and waits for the exit.
func spawnToHello(_ loop: EventLoop, _ executable: String) throws -> UInt64 {
    let pipe = try FramedPipe(loop: loop)
    var helloAt: UInt64 = 0
    var exited = false
    let start = MonotonicClock.now()
    let child = try ChildProcess(
        loop: loop, executable: executable, arguments: ["script", "--ipc", "3"], stdout: .ignore, stderr: .inherit(fd: 2),
        controlPipe: pipe, newProcessGroup: true
    ) { _ in exited = true }
    try pipe.startReading { event in
        if case .frame = event, helloAt == 0 { helloAt = MonotonicClock.now() }
    }
    while helloAt == 0 && !exited { loop.runOnce() }
    pipe.close()
    while !exited { loop.runOnce() }
    child.close()
    return helloAt - start
}

/// Round trips of ping → pong between this process and a real rig-worker whose script is
/// blocked in a wait (its loop runs, answering pings).
func pingPong(_ loop: EventLoop, worker: String, rounds: Int) throws -> [UInt64] {
    let pipe = try FramedPipe(loop: loop)
    var exited = false
    let child = try ChildProcess(
        loop: loop, executable: worker, arguments: ["script", "--ipc", "3"], stdout: .ignore, stderr: .inherit(fd: 2),
        controlPipe: pipe, newProcessGroup: true
    ) { _ in exited = true }
    var pongs = 0
    var ready = false
    try pipe.startReading { event in
        guard case .frame(let payload) = event, let message = try? Message(decoding: payload) else { return }
        switch message {
        case .hello:
            try? pipe.send(.task(WorkerTask(actor: "bench", steps: [.wait(actor: "bench", event: "never")])))
        case .await: ready = true
        case .pong: pongs += 1
        default: break
        }
    }
    while !ready && !exited { loop.runOnce() }
    var samples: [UInt64] = []
    samples.reserveCapacity(rounds)
    for i in 0..<rounds {
        let start = MonotonicClock.now()
        try pipe.send(.ping(UInt64(i)))
        while pongs <= i && !exited { loop.runOnce() }
        samples.append(MonotonicClock.now() - start)
    }
    pipe.close()
    while !exited { loop.runOnce() }
    child.close()
    return samples
}

/// The cost of a scheduling point under a controlled schedule: a real rig-worker runs a script of
/// `rounds` emits with a controlled task; each emit is announced, granted here, done and
/// reported. A sample is the time from sending a grant to the next announcement (the granted
/// operation's event and the next announce, both through the worker's loop).
func grantRoundTrips(_ loop: EventLoop, worker: String, rounds: Int) throws -> [UInt64] {
    let pipe = try FramedPipe(loop: loop)
    var exited = false
    let child = try ChildProcess(
        loop: loop, executable: worker, arguments: ["script", "--ipc", "3"], stdout: .ignore, stderr: .inherit(fd: 2),
        controlPipe: pipe, newProcessGroup: true
    ) { _ in exited = true }
    var announced = 0
    try pipe.startReading { event in
        guard case .frame(let payload) = event, let message = try? Message(decoding: payload) else { return }
        switch message {
        case .hello:
            let steps = [ScriptStep](repeating: .emit(event: "e"), count: rounds + 1)
            try? pipe.send(.task(WorkerTask(actor: "bench", steps: steps, controlled: true)))
        case .announce: announced += 1
        default: break
        }
    }
    while announced == 0 && !exited { loop.runOnce() }
    var samples: [UInt64] = []
    samples.reserveCapacity(rounds)
    for i in 0..<rounds {
        let start = MonotonicClock.now()
        try pipe.send(.grant)
        while announced <= i + 1 && !exited { loop.runOnce() }
        samples.append(MonotonicClock.now() - start)
    }
    pipe.close()
    while !exited { loop.runOnce() }
    child.close()
    return samples
}

/// Runs `command` and returns its first line of output as a number.
func runBaseline(_ command: String) -> UInt64 {
    guard let p = popen(command, "r") else { return 0 }
    var buffer = [CChar](repeating: 0, count: 64)
    let line = fgets(&buffer, 64, p) != nil ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    pclose(p)
    return UInt64(line.filter(\.isNumber)) ?? 0
}

/// The median time from spawn to hello of `executable`, interleaved with `other` so that drift
/// hits both alike: (executable's, other's).
func spawnToHelloMedians(_ loop: EventLoop, _ executable: String, beside other: String, spawns: Int) throws -> (UInt64, UInt64) {
    var ours: [UInt64] = []
    var theirs: [UInt64] = []
    for _ in 0..<min(10, spawns) {
        _ = try spawnToHello(loop, executable)
        _ = try spawnToHello(loop, other)
    }
    for _ in 0..<spawns {
        ours.append(try spawnToHello(loop, executable))
        theirs.append(try spawnToHello(loop, other))
    }
    return (median(ours), median(theirs))
}

func runWorkerBenchmarks(_ figures: Figures, worker: String, helloBaseline: String, pingPongBaseline: String, rounds: Int) {
    do {
        let loop = try EventLoop()
        let spawns = max(rounds / 10, 50)
        let (workerHello, cHello) = try spawnToHelloMedians(loop, worker, beside: helloBaseline, spawns: spawns)
        figures.record(
            "spawn_to_hello", "spawn->hello (rig-worker vs C child, median of \(spawns))", value: Double(workerHello), unit: "ns",
            baseline: Double(cHello), baselineName: "C child", target: 2.0)

        var ours: [UInt64] = []
        var raw: [UInt64] = []
        for _ in 0..<10 {
            ours += try pingPong(loop, worker: worker, rounds: rounds / 10)
            raw.append(runBaseline("\(pingPongBaseline) \(rounds / 10)"))
        }
        figures.record(
            "round_trip", "round trip coordinator<->worker (median of \(rounds))", value: Double(median(ours)), unit: "ns",
            baseline: Double(median(raw)), baselineName: "C pipe round trip", target: 1.5)

        var grants: [UInt64] = []
        var rawAgain: [UInt64] = []
        for _ in 0..<10 {
            grants += try grantRoundTrips(loop, worker: worker, rounds: rounds / 10)
            rawAgain.append(runBaseline("\(pingPongBaseline) \(rounds / 10)"))
        }
        figures.record(
            "scheduling_point", "scheduling point: grant -> operation -> next announce (median of \(rounds))",
            value: Double(median(grants)), unit: "ns", baseline: Double(median(rawAgain)), baselineName: "C pipe round trip", target: 2.0)
        loop.close()
    } catch {
        print("worker benchmarks failed: \(error)")
        exit(1)
    }
}
