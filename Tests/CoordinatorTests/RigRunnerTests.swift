import Coordinator
import Report
import RigModel
import Testing

@Suite(.serialized)
struct RigRunnerTests {
    let here = SourcePosition(file: "test.yaml", line: 1, column: 1)

    func run(_ actors: [Actor], timeout: RigDuration = .seconds(20), seed: UInt64 = 1) throws -> RunHistory {
        let rig = Rig(name: "test", timeout: timeout, file: "test.yaml", actors: actors, expectations: [])
        let options = RunOptions(seed: seed, workerExecutable: BuiltBinaries.worker, logDirectory: temporaryDirectory())
        return try RigRunner(rig: rig, options: options).run()
    }

    @Test func scriptsWaitOnEachOtherAndExitWithTheirCodes() throws {
        let history = try run([
            Actor(name: "a", role: "script", steps: [Step(.wait(actor: "b", event: "ready"), at: here), Step(.exit(3), at: here)], position: here),
            Actor(name: "b", role: "script", steps: [Step(.sleep(.milliseconds(20)), at: here), Step(.emit("ready"), at: here)], position: here),
            Actor(name: "c", role: "script", start: .afterEvent(actor: "b", event: "ready", delay: .zero, jitter: .zero),
                  steps: [Step(.exit(7), at: here)], position: here),
        ])
        #expect(history.problems == [])
        #expect(history.actor(named: "a")?.exitCode == 3)
        #expect(history.actor(named: "b")?.exitCode == 0)
        #expect(history.actor(named: "c")?.exitCode == 7)
        let a = try #require(history.actor(named: "a")), b = try #require(history.actor(named: "b"))
        let released = try #require(a.events.first { $0.op == "wait" })
        let emitted = try #require(b.events.first { $0.op == "emit" })
        // a's wait can only end after b emitted: one clock for all processes.
        #expect(released.endNs >= emitted.endNs)
        #expect(a.pid != b.pid)
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
}
