import Glibc
import Host
import LibUV
import TestSupport
import Testing
import Wire

@Suite(.serialized, .forks, .timeLimit(.minutes(5)))
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

    /// A waitpid status decodes (through the C shim) to how the child really ended.
    @Test func aWaitStatusDecodesToTheSameTermination() {
        var statuses: [TerminationStatus?] = []
        for script in ["exit 7", "exit 0", "kill -TERM $$", "kill -KILL $$"] {
            let arguments = ["/bin/sh", "-c", script]
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            // The child starts with no signal blocked and SIGTERM at its default action, whatever
            // the test runner does with its own.
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var none = sigset_t()
            sigemptyset(&none)
            var term = sigset_t()
            sigemptyset(&term)
            sigaddset(&term, SIGTERM)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setsigdefault(&attributes, &term)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var pid: pid_t = 0
            #expect(posix_spawn(&pid, "/bin/sh", nil, &attributes, &argv, environ) == 0)
            statuses.append(TerminationStatus.wait(for: pid))
        }
        #expect(statuses == [.exited(code: 7), .exited(code: 0), .signaled(signal: SIGTERM), .signaled(signal: SIGKILL)])
        // Not our child (already reaped): no status.
        #expect(TerminationStatus.wait(for: getpid()) == nil)
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

    /// A worker waits through `runOnce` and then sleeps on a timer. When the timer is already due
    /// as the loop starts (work was done between two waits), its callback must end `runOnce`:
    /// libuv 1.44 ran it and then blocked in epoll_wait for the next event, which never came.
    @Test func aTimerDueBeforeTheLoopRunsEndsRunOnce() throws {
        let loop = try EventLoop()
        // An open pipe to a quiet child keeps the loop alive with nothing to read.
        let pipe = try FramedPipe(loop: loop)
        var childStatus: TerminationStatus?
        _ = try ChildProcess(loop: loop, executable: "/bin/sh", arguments: ["-c", "read x <&3"], controlPipe: pipe) {
            childStatus = $0
        }
        try pipe.startReading { _ in }
        var rescued = false
        let guardTimer = try Timer(loop: loop)
        try guardTimer.start(afterNanoseconds: 5_000_000_000) { rescued = true }
        for round in 0..<200 {
            var done = false
            let timer = try Timer(loop: loop)
            try timer.start(afterNanoseconds: 1_000_000) { done = true }
            if round % 2 == 0 {
                // Busy for longer than the timer: it is due before uv_run looks at it.
                let until = MonotonicClock.now() + 3_000_000
                while MonotonicClock.now() < until {}
            }
            while !done && !rescued { loop.runOnce() }
            timer.close()
            #expect(!rescued, "runOnce slept past a timer that had fired (round \(round))")
            if rescued { break }
        }
        guardTimer.close()
        pipe.close()
        while childStatus == nil { loop.runOnce() }
        loop.close()
    }

    /// Many timers and frames at once: every `runOnce` returns after delivering something, and
    /// every timer and frame is seen exactly once.
    @Test func manyTimersAndFramesAreAllDelivered() throws {
        let loop = try EventLoop()
        let pipe = try FramedPipe(loop: loop)
        var childStatus: TerminationStatus?
        _ = try ChildProcess(loop: loop, executable: "/bin/sh", arguments: ["-c", "cat <&3 >&3"], controlPipe: pipe) {
            childStatus = $0
        }
        var frames = 0
        try pipe.startReading { event in if case .frame = event { frames += 1 } }
        var fired = 0
        var timers: [Timer] = []
        for i in 0..<300 {
            let timer = try Timer(loop: loop)
            try timer.start(afterNanoseconds: UInt64(i % 7) * 1_000_000) { fired += 1 }
            timers.append(timer)
            try pipe.send([UInt8(truncatingIfNeeded: i)])
        }
        let deadline = MonotonicClock.now() + 10_000_000_000
        while (fired < 300 || frames < 300) && MonotonicClock.now() < deadline { loop.runOnce() }
        #expect(fired == 300)
        #expect(frames == 300)
        for timer in timers { timer.close() }
        pipe.close()
        while childStatus == nil { loop.runOnce() }
        loop.close()
    }

    @Test func aSpawnFailureNamesTheExecutable() throws {
        let loop = try EventLoop()
        #expect(throws: UVError.self) {
            _ = try ChildProcess(loop: loop, executable: "/nonexistent/rig-worker", arguments: []) { _ in }
        }
        loop.close()
    }

    /// A handle closed before its child ends does not leave a zombie: a later spawn reaps it.
    @Test func aChildWhoseHandleClosedFirstIsReapedLater() throws {
        let loop = try EventLoop()
        let early = try ChildProcess(loop: loop, executable: "/bin/sh", arguments: ["-c", "exit 0"]) { _ in }
        let pid = early.pid
        early.close()
        // Wait until it has ended (a zombie, or already gone).
        var state = ""
        for _ in 0..<500 {
            state = processState(pid)
            if state == "Z" || state == "" { break }
            usleep(2000)
        }
        var done = false
        _ = try ChildProcess(loop: loop, executable: "/bin/sh", arguments: ["-c", "exit 0"]) { _ in done = true }
        while !done { loop.runOnce() }
        #expect(processState(pid) == "")
        loop.close()
    }

    /// A child gets descriptors 0, 1 and 2, and 3 with a control pipe: nothing else of ours.
    @Test func aChildInheritsOnlyItsStandardStreamsAndPipe() throws {
        let loop = try EventLoop()
        let listing = "/tmp/patchrig-fds-\(getpid())"
        defer { unlink(listing) }
        let out = open(listing, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(out >= 0)
        let pipe = try FramedPipe(loop: loop)
        var status: TerminationStatus?
        _ = try ChildProcess(
            loop: loop, executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"], stdout: .inherit(fd: out), controlPipe: pipe
        ) { status = $0 }
        close(out)
        while status == nil { loop.runOnce() }
        pipe.close()
        loop.runOnce()
        let names = (try? String(contentsOfFile: listing, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        #expect(Set(names) == ["0", "1", "2", "3"])
        loop.close()
    }

    /// A thread kept to one CPU starts children kept to it too (a controlled run's workers);
    /// its own CPUs come back when asked.
    @Test(.enabled(if: (CPUAffinity.current()?.count ?? 0) > 1)) func aChildStartedOnOneCPUStaysOnIt() throws {
        let own = try #require(CPUAffinity.current())
        let one = own[own.count - 1]
        #expect(CPUAffinity.set([one]))
        defer { CPUAffinity.set(own) }
        #expect(CPUAffinity.current() == [one])
        let loop = try EventLoop()
        let listing = "/tmp/patchrig-cpus-\(getpid())"
        defer { unlink(listing) }
        let out = open(listing, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        var status: TerminationStatus?
        _ = try ChildProcess(
            loop: loop, executable: "/bin/sh", arguments: ["-c", "grep Cpus_allowed_list /proc/$$/status"], stdout: .inherit(fd: out)
        ) { status = $0 }
        close(out)
        while status == nil { loop.runOnce() }
        loop.close()
        let line = (try? String(contentsOfFile: listing, encoding: .utf8)) ?? ""
        #expect(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines) == "\(one)", "\(line)")
        #expect(CPUAffinity.set(own))
        #expect(CPUAffinity.current() == own)
        #expect(!CPUAffinity.set([1 << 20]), "a CPU beyond the bitmap is no CPU: refused")
    }
}

/// The state letter of process `pid` (R, S, Z...), or "" when there is none.
private func processState(_ pid: Int32) -> String {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return "" }
    return String(text[text.index(close, offsetBy: 2)])
}
