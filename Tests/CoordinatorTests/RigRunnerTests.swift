import Coordinator
import CoordinatorCore
import LibUV
import Report
import RigModel
import TestSupport
import Testing

@Suite(.serialized, .forks, .timeLimit(.minutes(5)))
struct RigRunnerTests {
    let here = SourcePosition(file: "test.yaml", line: 1, column: 1)

    func run(
        _ actors: [Actor], timeout: RigDuration = .seconds(20), seed: UInt64 = 1, faults: [Fault] = [],
        maxEvents: Int = RigLoader.defaultMaxEvents, expectations: [RigModel.Expectation] = []
    ) throws -> RunHistory {
        let rig = Rig(
            name: "test", timeout: timeout, file: "test.yaml", actors: actors, expectations: expectations, faults: faults,
            maxEvents: maxEvents)
        let options = RunOptions(seed: seed, workerExecutable: BuiltBinaries.worker, logDirectory: temporaryDirectory())
        return try RigRunner(rig: rig, options: options).run()
    }

    @Test func scriptsWaitOnEachOtherAndExitWithTheirCodes() throws {
        let history = try run([
            Actor(
                name: "a", role: "script", steps: [Step(.wait(actor: "b", event: "ready"), at: here), Step(.exit(3), at: here)],
                position: here),
            Actor(
                name: "b", role: "script", steps: [Step(.sleep(.milliseconds(20)), at: here), Step(.emit("ready"), at: here)],
                position: here),
            Actor(
                name: "c", role: "script", start: .afterEvent(actor: "b", event: "ready", delay: .zero, jitter: .zero),
                steps: [Step(.exit(7), at: here)], position: here),
        ])
        #expect(history.problems == [])
        #expect(history.actor(named: "a")?.exitCode == 3)
        #expect(history.actor(named: "b")?.exitCode == 0)
        #expect(history.actor(named: "c")?.exitCode == 7)
        let a = try #require(history.actor(named: "a"))
        let b = try #require(history.actor(named: "b"))
        let released = try #require(a.events.first { $0.op == "wait" })
        let emitted = try #require(b.events.first { $0.op == "emit" })
        // a's wait can only end after b emitted: one clock for all processes.
        #expect(released.endNs >= emitted.endNs)
        #expect(a.pid != b.pid)
    }

    /// A controlled run keeps its thread (and the processes it starts) on one CPU while it runs,
    /// then gives the thread its CPUs back; a free run leaves them alone.
    @Test(.enabled(if: (CPUAffinity.current()?.count ?? 0) > 1)) func aRunGivesItsThreadItsCPUsBack() throws {
        let before = CPUAffinity.current()
        for schedule in [ScheduleMode.random, .free] {
            let rig = Rig(
                name: "test", timeout: .seconds(20), file: "test.yaml",
                actors: [Actor(name: "a", role: "script", steps: [Step(.exit(0), at: here)], position: here)], expectations: [])
            let options = RunOptions(
                seed: 1, workerExecutable: BuiltBinaries.worker, logDirectory: temporaryDirectory(), schedule: schedule)
            let history = try RigRunner(rig: rig, options: options).run()
            #expect(history.actor(named: "a")?.exitCode == 0)
            #expect(CPUAffinity.current() == before, "\(schedule)")
        }
    }

    @Test func aWaitThatCanNeverEndFailsTheWaiter() throws {
        let history = try run([
            Actor(name: "a", role: "script", steps: [Step(.wait(actor: "b", event: "never"), at: here)], position: here),
            Actor(name: "b", role: "script", steps: [Step(.sleep(.milliseconds(10)), at: here)], position: here),
            Actor(name: "c", role: "script", start: .afterEvent(actor: "b", event: "never", delay: .zero, jitter: .zero), position: here),
        ])
        #expect(history.actor(named: "a")?.exitCode == 1)
        #expect(history.actor(named: "c")?.pid == nil)
        #expect(history.actor(named: "c")?.failure?.contains("b exited without emitting never") == true)
    }

    @Test func aWorkerPastItsTimeoutIsKilled() throws {
        let history = try run([
            Actor(name: "slow", role: "script", timeout: .milliseconds(200), steps: [Step(.sleep(.seconds(30)), at: here)], position: here)
        ])
        let slow = try #require(history.actor(named: "slow"))
        #expect(slow.termination == .signaled(signal: 9))
        #expect(slow.failure?.contains("timed out") == true)
    }

    /// A process stopped by a time limit — its own or the run's — never said how it would have
    /// ended: an expectation about its exit is unknown, not failed, and the run does not pass.
    /// One a fault killed ended as the rig asked: expecting it to exit 0 fails.
    @Test func exitsCutShortByTimeLimitsAreUnknown() throws {
        let exits = ["slow", "late", "killed"].map { RigModel.Expectation(.exitCode(actor: $0, anyOf: [0]), at: here) }
        let history = try run(
            [
                Actor(
                    name: "slow", role: "script", timeout: .milliseconds(200), steps: [Step(.sleep(.seconds(30)), at: here)], position: here
                ),
                Actor(name: "late", role: "script", start: .at(.seconds(30), jitter: .zero), position: here),
                Actor(
                    name: "killed", role: "script", steps: [Step(.emit("one"), at: here), Step(.emit("two"), at: here)],
                    position: here),
                Actor(name: "hang", role: "script", steps: [Step(.sleep(.seconds(30)), at: here)], position: here),
            ],
            timeout: .seconds(1),
            faults: [Fault(name: "f", action: .kill, process: "killed", trigger: .operation(op: "emit", nth: 2), position: here)],
            expectations: exits)
        #expect(history.actor(named: "slow")?.cutShort == true)
        #expect(history.actor(named: "late")?.cutShort == true, "never started: the run ended before its start")
        #expect(history.actor(named: "hang")?.cutShort == true, "killed when the run timed out")
        #expect(history.actor(named: "killed")?.cutShort == false)
        let verdict = Checks.verdict(history)
        #expect(verdict.expectations.map(\.verdict.name) == ["unknown", "unknown", "fail"], "\(verdict.expectations)")
        #expect(!verdict.passed)
    }

    /// The sleep-after-wait hang: a gate emits, several waiters wait for it and then sleep 1 ms.
    /// Before the event loop fix, a waiter hung in epoll_wait until its timeout in about one run
    /// in six with two actors, and in every run with more.
    @Test func sleepingAfterAWaitNeverHangs() throws {
        var actors = [Actor(name: "gate", role: "script", steps: [Step(.emit("go"), at: here)], position: here)]
        for i in 0..<6 {
            actors.append(
                Actor(
                    name: "w\(i)", role: "script", timeout: .seconds(5),
                    steps: [Step(.wait(actor: "gate", event: "go"), at: here), Step(.sleep(.milliseconds(1)), at: here)],
                    position: here))
        }
        for seed in 1...5 {
            let history = try run(actors, seed: UInt64(seed))
            #expect(history.problems == [], "seed \(seed)")
            for i in 0..<6 { #expect(history.actor(named: "w\(i)")?.exitCode == 0, "seed \(seed): w\(i)") }
        }
    }

    @Test func anAwaitOnNobodyOrOnItselfIsAnsweredAtOnce() throws {
        // The loader refuses such rigs; a rig built in code (or a role's own wait) reaches the
        // coordinator, which must answer at once rather than leave the worker to its timeout.
        let history = try run([
            Actor(
                name: "a", role: "script", timeout: .seconds(10), steps: [Step(.wait(actor: "ghost", event: "go"), at: here)],
                position: here),
            Actor(
                name: "b", role: "script", timeout: .seconds(10), steps: [Step(.wait(actor: "b", event: "go"), at: here)], position: here),
        ])
        let a = try #require(history.actor(named: "a"))
        let b = try #require(history.actor(named: "b"))
        #expect(a.exitCode == 1)
        #expect(b.exitCode == 1)
        #expect(a.events.first { $0.op == "wait" }?.result == .failed("unreachable: no actor or machine step is named ghost"))
        #expect(b.events.first { $0.op == "wait" }?.result == .failed("unreachable: a process cannot wait on itself"))
        #expect(history.endNs - history.startNs < 5_000_000_000)
    }

    @Test func aWorkerReportingMoreThanMaxEventsIsKilled() throws {
        let emits = (0..<20).map { Step(.emit("e\($0)"), at: here) } + [Step(.sleep(.seconds(10)), at: here)]
        let history = try run([Actor(name: "chatty", role: "script", steps: emits, position: here)], maxEvents: 5)
        let chatty = try #require(history.actor(named: "chatty"))
        #expect(chatty.events.count == 5)
        #expect(chatty.termination == .signaled(signal: 9))
        #expect(chatty.failure?.hasPrefix("it reported more than 5 events (the rig's max_events)") == true)
    }

    @Test func aKillFaultAtAnOperationLandsJustBeforeIt() throws {
        let steps = [Step(.emit("one"), at: here), Step(.emit("two"), at: here), Step(.emit("three"), at: here)]
        let history = try run(
            [Actor(name: "a", role: "script", steps: steps, position: here)],
            faults: [Fault(name: "f", action: .kill, process: "a", trigger: .operation(op: "emit", nth: 2), position: here)])
        let a = try #require(history.actor(named: "a"))
        #expect(a.events.map { $0.argument("event") } == ["one"], "killed before its second emit")
        #expect(a.termination == .signaled(signal: 9))
        #expect(a.failure == nil, "a process a fault killed ended as the rig asked")
        #expect(a.outcome == "killed by signal 9 (fault: kill a before its emit #2)")
        #expect(history.faults.map(\.injected) == [true])
        #expect(history.problems == [])
    }

    @Test func aPauseFaultStopsTheProcessForItsDuration() throws {
        let history = try run(
            [Actor(name: "a", role: "script", steps: [Step(.emit("one"), at: here), Step(.emit("two"), at: here)], position: here)],
            faults: [
                Fault(name: "p", action: .pause(.milliseconds(300)), process: "a", trigger: .operation(op: "emit", nth: 2), position: here)
            ])
        let a = try #require(history.actor(named: "a"))
        #expect(a.exitCode == 0)
        let one = try #require(a.events.first { $0.argument("event") == "one" })
        let two = try #require(a.events.first { $0.argument("event") == "two" })
        #expect(two.startNs - one.endNs >= 300_000_000)
        #expect(history.faults.first?.detail == "stopped a for 300ms")
    }

    @Test func aFaultWhoseProcessIsNotRunningIsNotInjected() throws {
        let history = try run(
            [Actor(name: "a", role: "script", steps: [Step(.exit(0), at: here)], position: here)],
            faults: [
                Fault(name: "late", action: .kill, process: "a", trigger: .time(.at(.seconds(30), jitter: .zero)), position: here),
                Fault(name: "never", action: .kill, process: "a", trigger: .operation(op: "load", nth: 1), position: here),
            ])
        #expect(history.endNs - history.startNs < 10_000_000_000, "a pending fault does not hold the run open")
        #expect(history.faults.map(\.injected) == [false, false])
        #expect(history.faults[0].detail == "not injected: its time never came before the run ended")
        #expect(history.faults[1].detail == "not injected: a never reached its load #1")
        #expect(history.actor(named: "a")?.exitCode == 0)
    }
}
