import Report
import RigModel
import Testing
import Wire

@testable import CoordinatorCore

/// Controlled schedules: grants, virtual time, determinism. Workers are played by
/// `ScriptedWorker` unless a test plays them by hand.
@Suite struct ControlledScheduleTests {
    /// Three scripts that interleave: a sleeps then emits, b waits for it, c emits on its own.
    static let raceText = """
        actors:
          - name: a
            role: script
            steps: [{emit: one}, {sleep: 1ms}, {emit: ready}, {emit: two}]
          - name: b
            role: script
            steps: [{emit: x}, {wait: a.ready}, {emit: done}, {exit: 3}]
          - name: c
            role: script
            steps: [{emit: y}, {emit: z}, {sleep: 1ms}, {emit: w}]
        """

    /// A whole played run.
    static func played(_ text: String = raceText, _ schedule: ScheduleMode, seed: UInt64 = 1) throws -> FakeShell {
        let shell = FakeShell(try rig(text), schedule: schedule, seed: seed, autoplay: true)
        shell.begin()
        shell.runToEnd()
        return shell
    }

    /// The schedule of a whole played run.
    static func schedule(_ text: String = raceText, _ mode: ScheduleMode, seed: UInt64 = 1) throws -> RunSchedule {
        try #require(try played(text, mode, seed: seed).schedule)
    }

    @Test func virtualTimersAreNeverArmedOnTheRealClock() throws {
        let shell = try Self.played(
            """
            timeout: 60s
            actors:
              - {name: a, role: script, start: 100ms, timeout: 5s, steps: [{sleep: 1s}, {emit: ready}]}
              - {name: b, role: script, start: {after: a.ready, delay: 10ms}, steps: [{wait: a.ready}]}
            """, .random)
        #expect(shell.finished)
        #expect(shell.armed.contains(.watchdog))
        #expect(shell.armed.allSatisfy { !$0.isVirtual }, "\(shell.armed)")
        #expect(!shell.log.contains(.armTimer(.run, afterNs: 60_000_000_000)))
        // The start and its delay came by the virtual clock, exactly.
        #expect(shell.record("a").spawnNs == 100_000_000)
        #expect(shell.record("b").spawnNs == (try shell.event("a", "emit")).endNs + 10_000_000)
        #expect(shell.history().problems.isEmpty)
    }

    @Test func theRealTimersStayReal() throws {
        // A pipe held open after an exit waits on the real clock, under a controlled schedule too.
        let shell = FakeShell(try rig("actors: [{name: a, role: script}]"), schedule: .random)
        let a = try shell.index("a")
        shell.begin()
        shell.hello(a)
        shell.feed(.message(a, .exit(ExitReport(code: 0, ns: 0))))
        let exited = shell.feed(.exited(a, .exited(code: 0)))
        #expect(exited.contains(.armTimer(.pipeGrace(a), afterNs: 250_000_000)))
        #expect(shell.fire(.pipeGrace(a)).last == .finish)
    }

    @Test func theTaskWaitsForAGrantAndOneWorkerRunsAtATime() throws {
        // No deviations to replay: every grant is the default choice, so the trace is fixed.
        let shell = FakeShell(
            try rig("actors: [{name: a, role: script, steps: [{emit: go}]}, {name: b, role: script}]"), schedule: .replay([]))
        let (a, b) = (try shell.index("a"), try shell.index("b"))
        let begun = shell.begin()
        #expect(begun.spawned == [a], "a process that has not said hello yet holds the schedule")
        #expect(begun.filter { if case .armTimer = $0 { true } else { false } } == [.armTimer(.watchdog, afterNs: 60_000_000_000)])

        #expect(shell.hello(a) == [.spawn(b, role: "script", logBase: "/fake/logs/b")], "a's task is not sent at its hello")
        let granted = shell.hello(b)
        #expect(granted.sends.count == 1)
        guard case (a, .task(let task))? = granted.sends.first else {
            Issue.record("a was not granted its task: \(granted)")
            return
        }
        #expect(task.controlled)
        #expect(shell.sent(to: b).isEmpty)

        // a runs: nothing it reports grants anyone else until it announces or blocks.
        #expect(shell.feed(.message(a, .pong(1))).isEmpty)
        #expect(shell.feed(.message(a, .event(Event(startNs: 0, endNs: 0, op: "probe")))).isEmpty)
        #expect(shell.feed(.message(a, .announce(op: "emit"))) == [.send(a, .grant)], "the last granted goes on by default")
        // a sleeps: the awake b goes first.
        let slept = shell.feed(.message(a, .delay(ns: 1_000_000_000)))
        #expect(slept.sends.count == 1 && slept.sends[0].0 == b && slept.sends[0].1.isTask)
        // b blocks on a.go: only the sleeper is left, and its grant moves time to its sleep's end.
        #expect(shell.await(b, "a", "go") == [.send(a, .grant)])
        #expect(shell.core.now >= 1_000_000_000)
        // a emits go: b is ready, but a still runs.
        #expect(shell.emit(a, "go").isEmpty)
        let goNs = try #require(shell.core.emitted["a.go"])
        #expect(goNs >= 1_000_000_000, "the event is stamped with virtual time")
        // a ends: b gets its release.
        shell.feed(.message(a, .exit(ExitReport(code: 0, ns: 0))))
        #expect(shell.feed(.exited(a, .exited(code: 0))).sends.isEmpty, "a is ending: it holds the schedule until its pipe ends")
        #expect(shell.feed(.pipeEnded(a)).sends.map(\.1) == [.release(actor: "a", event: "go", ns: goNs)])
    }

    @Test func noTwoWorkersRunAtOnceWhateverTheSchedule() throws {
        for schedule in [ScheduleMode.random, .pct(depth: 3, steps: 20), .replay([])] {
            for seed in UInt64(1)...8 {
                let shell = try Self.played(Self.raceText, schedule, seed: seed)
                #expect(shell.finished, "\(schedule) seed \(seed)")
                #expect(shell.overlappingGrants.isEmpty, "\(schedule) seed \(seed): \(shell.overlappingGrants)")
                #expect(shell.history().problems.isEmpty, "\(schedule) seed \(seed)")
                #expect(shell.record("b").exitCode == 3)
                #expect(["a", "b", "c"].allSatisfy { shell.record($0).failure == nil })
                // b's wait ended after a emitted ready, by the virtual clock.
                let ready = try shell.event("a", "emit", "ready").endNs
                let waited = try shell.event("b", "wait")
                #expect(waited.result == .ok && waited.endNs >= ready)
            }
        }
    }

    @Test func aSleepOfASecondPassesInVirtualTime() throws {
        let shell = try Self.played("actors: [{name: a, role: script, steps: [{sleep: 1s}, {emit: ready}]}]", .random)
        let history = shell.history()
        #expect(history.endNs - history.startNs >= 1_000_000_000)
        #expect(shell.clock == 5_000_000_000, "the fake real clock never moved")
        let sleep = try shell.event("a", "sleep")
        #expect(sleep.endNs - sleep.startNs >= 1_000_000_000)
        // Stamped by the virtual clock, not by the worker (which wrote the real clock's 5 s).
        let ready = try shell.event("a", "emit")
        #expect(ready.startNs >= 1_000_000_000 && ready.endNs < 2_000_000_000)
        #expect(history.schedule?.grants.map(\.point) == ["start", "sleep", "sleep", "emit"])
    }

    @Test func aTimeoutExpiresInVirtualTime() throws {
        let shell = try Self.played("actors: [{name: a, role: script, timeout: 5s, steps: [{sleep: 10s}]}]", .random)
        let a = try shell.index("a")
        #expect(shell.log.contains(.kill(a)))
        #expect(shell.record("a").failure == "timed out after 5s; killed")
        let history = shell.history()
        #expect(history.endNs - history.startNs >= 5_000_000_000 && history.endNs - history.startNs < 10_000_000_000)
        #expect(shell.finished)
    }

    @Test func theRunTimesOutInVirtualTime() throws {
        let shell = try Self.played("timeout: 2s\nactors: [{name: a, role: script, steps: [{sleep: 10s}]}]", .random)
        #expect(shell.history().problems == ["the run timed out after 2s of virtual time"])
        #expect(shell.record("a").failure == "the run timed out after 2s of virtual time; killed")
        #expect(shell.finished)
    }

    @Test func theWatchdogEndsARunStuckOnTheRealClock() throws {
        let shell = FakeShell(try rig("actors: [{name: a, role: script}]"), schedule: .random)
        let a = try shell.index("a")
        shell.begin()
        shell.hello(a)
        // a was granted its task and never says anything again.
        shell.fire(.watchdog)
        let problem = shell.history().problems.first ?? ""
        #expect(problem.hasPrefix("the run timed out after 60s (real time; a running"), "\(problem)")
        #expect(shell.log.contains(.kill(a)))
    }

    @Test func theSameSeedGivesTheSameSchedule() throws {
        for schedule in [ScheduleMode.random, .pct(depth: 2, steps: 30)] {
            for seed in UInt64(1)...5 {
                let first = try Self.schedule(Self.raceText, schedule, seed: seed)
                let second = try Self.schedule(Self.raceText, schedule, seed: seed)
                #expect(first.digest == second.digest, "\(schedule) seed \(seed)")
                #expect(first.grants == second.grants)
                #expect(!first.grants.isEmpty)
            }
        }
    }

    @Test func differentSeedsAndStrategiesCanGiveDifferentSchedules() throws {
        let random = try (UInt64(1)...12).map { try Self.schedule(Self.raceText, .random, seed: $0).digest }
        #expect(Set(random).count > 1, "twelve seeds, one schedule: \(random)")
        let pct = try (UInt64(1)...12).map { try Self.schedule(Self.raceText, .pct(depth: 3, steps: 20), seed: $0).digest }
        #expect(Set(pct).count > 1)
        let fixed = try Self.schedule(Self.raceText, .replay([])).digest
        #expect(Set(random + pct).subtracting([fixed]).count > 0)
    }

    @Test func aScheduleRecordsItsStrategy() throws {
        let pct = try Self.played(Self.raceText, .pct(depth: 3, steps: 20)).history()
        #expect(pct.schedule?.strategy == "pct")
        #expect(pct.schedule?.depth == 3)
        #expect(pct.schedule?.expectedSteps == 20)
        let run = pct.coordinatorEvents.first { $0.op == "run" }
        #expect(run?.argument("schedule") == "pct")
        #expect(run?.argument("clock") == "virtual")
        #expect(try Self.played(Self.raceText, .random).schedule?.strategy == "random")
        #expect(try Self.played(Self.raceText, .free).schedule == nil)
    }

    @Test func replayingARunsDeviationsGivesTheSameSchedule() throws {
        var deviated = 0
        for seed in UInt64(1)...8 {
            let original = try Self.schedule(Self.raceText, .random, seed: seed)
            deviated += original.deviations.isEmpty ? 0 : 1
            let replayed = try Self.schedule(Self.raceText, .replay(original.deviations), seed: 99)
            #expect(replayed.digest == original.digest, "seed \(seed)")
            #expect(replayed.deviations == original.deviations)
            #expect(replayed.mismatch == nil)
            #expect(replayed.strategy == "replay")
        }
        #expect(deviated > 0, "no random run deviated from the default: the replay proved nothing")
    }

    /// A strategy that picks a sleeper whose sleep ends after a timer: the timer fires first
    /// (it may start a process), then the sleeper goes, and the grant recorded is the sleeper's,
    /// so a strict replay of the saved deviations makes the same choice and time moves the same
    /// way. (Recording only the grant made after the timer once broke 13 of these 60 replays.)
    @Test func replayingARunWhoseSleeperWasChosenBeforeATimerGivesTheSameSchedule() throws {
        let text = """
            actors:
              - {name: a, role: script, steps: [{sleep: 10ms}, {emit: done}]}
              - {name: b, role: script, steps: [{emit: x1}, {emit: x2}, {emit: x3}]}
              - {name: c, role: script, start: 3ms, steps: [{emit: z1}]}
            """
        var sleeperFirst = 0
        for seed in UInt64(0)..<60 {
            let original = try Self.schedule(text, .random, seed: seed)
            if original.grants.prefix(3).map(\.process) == ["a", "a", "a"] { sleeperFirst += 1 }
            let replayed = try Self.schedule(text, .replay(original.deviations))
            #expect(replayed.mismatch == nil, "seed \(seed)")
            #expect(replayed.digest == original.digest, "seed \(seed)")
        }
        #expect(sleeperFirst > 0, "no seed chose the sleeping a before c's start: the test proved nothing")
    }

    @Test func aStrictReplayThatDoesNotFitAbortsTheRun() throws {
        let text = "actors: [{name: a, role: script, steps: [{emit: one}]}]"
        let strict = try Self.played(text, .replay([Deviation(step: 2, process: "ghost")]))
        let mismatch = "at step 2 the schedule grants ghost, which is not waiting (waiting: a)"
        #expect(strict.schedule?.mismatch == mismatch)
        #expect(strict.history().problems == ["the schedule does not fit the run: \(mismatch)"])
        #expect(strict.finished)

        let lenient = try Self.played(
            text, .shrink([AnchoredDeviation(after: GrantRef(process: "a", ordinal: 1), grant: GrantRef(process: "ghost", ordinal: 1))]))
        #expect(lenient.schedule?.mismatch == nil)
        #expect(lenient.history().problems.isEmpty)
        #expect(lenient.schedule?.grants.map(\.process) == ["a", "a"])
    }

    @Test func aRebootUnderAControlledScheduleKeepsItsGraceOnTheRealClock() throws {
        let machine = FakeMachine()
        machine.services = [FakeMachine.service("Spooler", role: "spoolsv")]
        let shell = FakeShell(
            try rig(
                """
                machine:
                  steps:
                    - reboot: {after: installer.installed}
                actors:
                  - {name: installer, role: script, steps: [{emit: installed}]}
                  - {name: app, role: script, steps: [{sleep: 10s}]}
                  - {name: later, role: script, start: {after: reboot1.booted}}
                """), schedule: .random, machine: machine, autoplay: true)
        // The app does not stop when asked: the run waits for the grace, on the real clock.
        shell.ignoresStop = ["app"]
        shell.begin()
        #expect(!shell.finished)
        #expect(shell.timers[.stopGrace(0)] != nil)
        shell.runToEnd()
        #expect(shell.finished)
        #expect(shell.overlappingGrants.isEmpty)
        #expect(shell.armed.allSatisfy { !$0.isVirtual }, "\(shell.armed)")
        let app = try shell.index("app")
        #expect(shell.log.contains(.send(app, .stop)))
        #expect(shell.log.contains(.kill(app)))
        #expect(machine.flushes == 1)
        #expect(RebootTests.stepEvents(shell) == ["down", "service-Spooler", "booted", "done"])
        #expect(shell.record("later").exitCode == 0)
        #expect(shell.record("reboot1/smss").exitCode == 0)
        #expect(shell.history().problems.isEmpty)
        #expect(shell.record("app").failure == nil)
        let grants = try #require(shell.schedule).grants.map(\.process)
        #expect(grants.contains("reboot1/smss") && grants.contains("later"))
    }
}
