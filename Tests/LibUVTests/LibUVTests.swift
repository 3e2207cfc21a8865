import Glibc
import LibUV
import Testing
import Wire

@Suite(.serialized)
struct LibUVTests {
    @Test func aTimerFiresAndTheLoopClosesCleanly() throws {
        let loop = try EventLoop()
        var fired = 0
        let timer = try Timer(loop: loop)
        try timer.start(afterNanoseconds: 1_000_000) {
            fired += 1
            timer.close()
        }
        loop.run()
        #expect(fired == 1)
        loop.close()
    }

    @Test func aChildExitCodeAndSignalAreReported() throws {
        let loop = try EventLoop()
        var statuses: [TerminationStatus] = []
        for script in ["exit 7", "kill -TERM $$"] {
            let child = try ChildProcess(loop: loop, executable: "/bin/sh", arguments: ["-c", script]) { statuses.append($0) }
            _ = child
        }
        while statuses.count < 2 { loop.runOnce() }
        #expect(Set(statuses.map(\.description)) == ["exited with code 7", "killed by signal 15"])
        loop.close()
    }

    @Test func framesCrossTheControlPipeBothWays() throws {
        // A shell child echoes its fd 3 back: every frame we send comes back whole.
        let loop = try EventLoop()
        let pipe = try FramedPipe(loop: loop)
        var status: TerminationStatus?
        _ = try ChildProcess(loop: loop, executable: "/bin/sh", arguments: ["-c", "cat <&3 >&3"], controlPipe: pipe) { status = $0 }
        var received: [[UInt8]] = []
        var ended = false
        try pipe.startReading { event in
            switch event {
            case .frame(let payload): received.append(payload)
            case .end, .error: ended = true
            }
        }
        let sent: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 200_000)]
        for payload in sent { try pipe.send(payload) }
        while received.count < sent.count && !ended { loop.runOnce() }
        #expect(received == sent)
        pipe.close()
        while status == nil { loop.runOnce() }
        loop.close()
    }

    @Test func aSpawnFailureNamesTheExecutable() throws {
        let loop = try EventLoop()
        #expect(throws: UVError.self) {
            _ = try ChildProcess(loop: loop, executable: "/nonexistent/rig-worker", arguments: []) { _ in }
        }
        loop.close()
    }
}
