import RigModel
import Testing
import Wire

@testable import CoordinatorCore

/// A process's time limit and the run's, running free.
@Suite struct TimeoutTests {
    static let rigText = """
        timeout: 20s
        actors:
          - {name: slow, role: script, timeout: 5s}
          - {name: other, role: script}
          - {name: after, role: script, start: {after_exit: slow}}
          - {name: never, role: script, start: 15s}
        """

    @Test func aProcessPastItsTimeoutIsKilledAndItsRecordSaysSo() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let slow = try shell.index("slow")
        let begun = shell.begin()
        #expect(begun.contains(.armTimer(.timeout(slow), afterNs: 5_000_000_000)), "the limit is armed when the spawn is done")
        shell.hello(slow)
        let expired = shell.fire(.timeout(slow))
        #expect(expired.contains(.kill(slow)))
        #expect(shell.record("slow").failure == "timed out after 5s; killed")
        #expect(!expired.spawns(try shell.index("after")), "killed, but its exit has not been seen yet")

        // SIGKILL's exit: the process is over, and what starts after it starts.
        let dead = shell.feed(.exited(slow, .signaled(signal: 9)))
        #expect(dead.spawns(try shell.index("after")))
        #expect(
            shell.record("slow").failure?.hasPrefix("timed out after") == true, "the coordinator's own kill is not an unexpected signal")
        #expect(shell.history().problems.isEmpty)
    }

    @Test func aProcessThatEndsInTimeHasItsTimerCancelled() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let slow = try shell.index("slow")
        shell.begin()
        shell.hello(slow)
        #expect(shell.exit(slow).contains(.cancelTimer(.timeout(slow))))
        #expect(shell.timers[.timeout(slow)] == nil)
        #expect(shell.record("slow").failure == nil)
    }

    @Test func theRunTimerAbortsTheRun() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let (slow, other) = (try shell.index("slow"), try shell.index("other"))
        #expect(shell.begin().contains(.armTimer(.run, afterNs: 20_000_000_000)))
        shell.hello(slow)
        shell.hello(other)
        let aborted = shell.fire(.run)
        #expect(shell.history().problems == ["the run timed out after 20s"])
        #expect(aborted.contains(.kill(slow)))
        #expect(aborted.contains(.kill(other)))
        #expect(shell.record("slow").failure == "the run timed out after 20s; killed")
        #expect(shell.record("after").failure == "never started: the run timed out after 20s")
        #expect(shell.record("never").failure == "never started: the run timed out after 20s")
        #expect(aborted.spawned.isEmpty, "nothing starts once the run is aborted")
        #expect(!shell.finished, "the killed processes have not exited yet")

        shell.feed(.exited(slow, .signaled(signal: 9)))
        let end = shell.feed(.exited(other, .signaled(signal: 9)))
        #expect(end.last == .finish)
        let note = shell.core.coordinatorEvents.first { $0.op == "abort" }
        #expect(note?.argument("reason") == "the run timed out after 20s")
    }

    @Test func aSignalTheRigDidNotSendIsAFailure() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let other = try shell.index("other")
        shell.begin()
        shell.hello(other)
        shell.feed(.exited(other, .signaled(signal: 11)))
        shell.feed(.pipeEnded(other))
        #expect(shell.record("other").failure == "killed by signal 11, which the rig did not inject")
    }

    @Test func anExitWithoutAReportBreaksTheProtocol() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let other = try shell.index("other")
        shell.begin()
        shell.hello(other)
        shell.feed(.exited(other, .exited(code: 0)))
        shell.feed(.pipeEnded(other))
        #expect(shell.record("other").failure == "it broke the protocol: it exited (status 0) without an exit report")
    }
}
