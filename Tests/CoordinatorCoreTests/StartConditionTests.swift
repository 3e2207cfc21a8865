import RigModel
import Testing
import Wire

@testable import CoordinatorCore

/// Start conditions, running free: every worker is played by hand.
@Suite struct StartConditionTests {
    static let rigText = """
        rig: starts
        actors:
          - name: a
            role: script
            steps: [{emit: ready}]
          - name: timed
            role: script
            start: 100ms
          - name: b
            role: script
            start: {after: a.ready}
          - name: late
            role: script
            start: {after: a.ready, delay: 10ms}
          - name: c
            role: script
            start: {after_exit: a}
        """

    @Test func anActorAtATimeIsSpawnedOnlyWhenItsStartTimerFires() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let a = try shell.index("a")
        let timed = try shell.index("timed")
        let begun = shell.begin()
        #expect(begun.contains(.armTimer(.start(.process(timed)), afterNs: 100_000_000)))
        #expect(begun.contains(.armTimer(.run, afterNs: 60_000_000_000)))
        #expect(!begun.contains(.armTimer(.watchdog, afterNs: 60_000_000_000)), "a free run has no watchdog")
        #expect(begun.spawned == [a], "only the actor due at 0 is spawned at once")

        // Nothing the other workers do starts it early.
        shell.hello(a)
        #expect(!shell.spawned.contains(timed))

        let fired = shell.fire(.start(.process(timed)))
        #expect(fired.spawns(timed))
        #expect(fired.contains(.armTimer(.timeout(timed), afterNs: 30_000_000_000)))
        #expect(shell.record("timed").pid == FakeShell.pid(timed))
    }

    @Test func anActorAfterAnEventIsSpawnedWhenTheEventArrives() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let a = try shell.index("a")
        let b = try shell.index("b")
        let late = try shell.index("late")
        shell.begin()
        let hello = shell.hello(a)
        #expect(!hello.spawns(b))
        #expect(hello.sends.count == 1 && hello.sends[0].1.isTask, "a free worker gets its task with its hello")

        // Any other operation, or an emit of another event, starts nothing.
        shell.feed(.message(a, .event(Event(startNs: 1, endNs: 2, op: "sleep"))))
        #expect(!shell.emit(a, "other").spawns(b))

        let emitted = shell.emit(a, "ready")
        #expect(emitted.spawns(b))
        #expect(!emitted.spawns(late))
        #expect(emitted.contains(.armTimer(.start(.process(late)), afterNs: 10_000_000)), "a delay after the event is a start timer")
        #expect(shell.fire(.start(.process(late))).spawns(late))
        // An event emitted twice starts nothing twice.
        #expect(shell.emit(a, "ready").spawned.isEmpty)
    }

    @Test func anActorAfterAnExitIsSpawnedOnceTheProcessIsOver() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let a = try shell.index("a")
        let c = try shell.index("c")
        shell.begin()
        shell.hello(a)
        shell.emit(a, "ready")
        // Exited, but its pipe is still open (frames may still be in it): not over yet.
        let exited = shell.exit(a, code: 0, pipe: false)
        #expect(!exited.spawns(c))
        #expect(exited.contains(.armTimer(.pipeGrace(a), afterNs: 250_000_000)))
        let ended = shell.feed(.pipeEnded(a))
        #expect(ended.spawns(c))
        #expect(ended.contains(.close(a)))
        #expect(ended.contains(.cancelTimer(.pipeGrace(a))))
    }

    @Test func aPipeHeldOpenIsGivenUpAfterItsGrace() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let a = try shell.index("a")
        let c = try shell.index("c")
        shell.begin()
        shell.hello(a)
        shell.exit(a, code: 0, pipe: false)
        #expect(shell.fire(.pipeGrace(a)).spawns(c))
    }

    @Test func actorsAfterAnEventThatNeverComesAreNeverStarted() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let a = try shell.index("a")
        let timed = try shell.index("timed")
        let c = try shell.index("c")
        shell.begin()
        shell.hello(a)
        let exited = shell.exit(a, code: 0)
        #expect(!exited.spawns(try shell.index("b")))
        #expect(!exited.spawns(try shell.index("late")))
        #expect(exited.spawns(c), "after_exit starts even when the process emitted nothing")
        #expect(shell.record("b").failure == "never started: a exited without emitting ready")
        #expect(shell.record("late").failure == "never started: a exited without emitting ready")
        #expect(shell.record("b").pid == nil)
        #expect(!shell.finished)

        shell.fire(.start(.process(timed)))
        shell.hello(timed)
        shell.exit(timed)
        shell.hello(c)
        let last = shell.exit(c)
        #expect(last.last == .finish)
        #expect(shell.core.done)
        #expect(shell.history().problems.isEmpty)
    }

    @Test func anActorAfterOneThatNeverStartedNeverStartsEither() throws {
        let shell = FakeShell(
            try rig(
                """
                actors:
                  - name: a
                    role: script
                    steps: [{emit: ready}]
                  - name: b
                    role: script
                    start: {after: a.ready}
                    steps: [{emit: go}]
                  - name: c
                    role: script
                    start: {after_exit: b}
                  - name: d
                    role: script
                    start: {after: b.go}
                """))
        shell.begin()
        let a = try shell.index("a")
        shell.hello(a)
        let end = shell.exit(a, code: 3)
        #expect(shell.record("b").failure == "never started: a exited without emitting ready")
        #expect(shell.record("c").failure == "never started: b never started")
        #expect(shell.record("d").failure == "never started: b never started")
        #expect(end.spawned.isEmpty)
        #expect(end.last == .finish)
    }

    @Test func aSpawnThatFailsIsTheProcessFailureAndUnblocksWhatWaitsForIt() throws {
        let shell = FakeShell(try rig(Self.rigText))
        shell.failSpawns["a"] = "no such file"
        shell.begin()
        #expect(shell.record("a").failure == "no such file")
        #expect(shell.record("b").failure == "never started: a never started")
        #expect(shell.record("c").failure == "never started: a never started")
    }
}
