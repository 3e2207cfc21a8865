import Foundation
import RigModel
import Testing
import Wire

@testable import Report

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Verdicts: an expectation passes, fails, or cannot be judged from the history (`unknown`) — a
/// process cut short by a time limit, an operation whose outcome is unknown. An unknown verdict
/// fails the run but reads apart from a failure in every output.
@Suite struct VerdictTests {
    private func history(_ expect: String, actors: [ActorRecord]) throws -> RunHistory {
        let yaml = """
            actors:
              - {name: a, role: script}
              - {name: b, role: script}
            expect:
            \(expect)
            """
        let rig = try RigLoader.parse(yaml: yaml, file: "r.yaml")
        return RunHistory(rig: rig, seed: 3, startNs: 0, endNs: 2_000_000, coordinatorPid: 1, actors: actors)
    }

    private func exited(_ name: String, _ code: Int32) -> ActorRecord {
        var record = ActorRecord(name: name, role: "script")
        record.pid = 100
        record.termination = .exited(code: code)
        return record
    }

    /// Killed by the coordinator when its time limit ran out: how it would have exited is not known.
    private func timedOut(_ name: String) -> ActorRecord {
        var record = ActorRecord(name: name, role: "script")
        record.pid = 101
        record.termination = .signaled(signal: 9)
        record.failure = "timed out after 5ms; killed"
        record.cutShort = true
        return record
    }

    @Test func anExitCutShortByATimeLimitIsUnknownNotFailed() throws {
        var killedByFault = ActorRecord(name: "b", role: "script")
        killedByFault.pid = 102
        killedByFault.termination = .signaled(signal: 9)
        killedByFault.faults = ["kill b at 1ms"]
        let results = Checks.evaluate(try history("  exit: {a: 0, b: 0}", actors: [timedOut("a"), killedByFault]))
        #expect(
            results.map(\.verdict) == [
                .unknown("timed out after 5ms; killed (killed by signal 9)"),
                .fail("killed by signal 9 (fault: kill b at 1ms)"),
            ])
        #expect(results.map(\.passed) == [false, false])
    }

    @Test func aProcessStillRunningOrNeverStartedBecauseTheRunStoppedIsUnknown() throws {
        var running = ActorRecord(name: "a", role: "script")
        running.pid = 103
        var gaveUp = ActorRecord(name: "b", role: "script")
        gaveUp.failure = "never started: the run timed out after 1s"
        gaveUp.cutShort = true
        let results = Checks.evaluate(try history("  exit: {a: 0, b: 0}", actors: [running, gaveUp]))
        #expect(
            results.map(\.verdict) == [
                .unknown("still running when the run ended"), .unknown("never started: the run timed out after 1s"),
            ])
        // A start that never came is a failure: its event was never emitted.
        var never = ActorRecord(name: "b", role: "script")
        never.failure = "never started: a exited without emitting go"
        let judged = Checks.evaluate(try history("  exit: {b: 0}", actors: [exited("a", 0), never]))
        #expect(judged.map(\.verdict) == [.fail("never started: a exited without emitting go")])
    }

    @Test func aKnownExitIsJudgedEvenWhenCutShort() throws {
        var late = exited("a", 3)
        late.cutShort = true
        let results = Checks.evaluate(try history("  exit: {a: 0, b: 0}", actors: [late, exited("b", 0)]))
        #expect(results.map(\.verdict) == [.fail("exited with code 3"), .pass("exited with code 0")])
    }

    @Test func exactlyOneIsUnknownWhileAnUndecidedProcessCouldMatch() throws {
        let expect = "  exactly_one:\n    - {of: [a, b], exits: 0}"
        let oneAndUndecided = Checks.evaluate(try history(expect, actors: [exited("a", 0), timedOut("b")]))
        #expect(oneAndUndecided.map(\.verdict.name) == ["unknown"])
        let noneAndUndecided = Checks.evaluate(try history(expect, actors: [exited("a", 1), timedOut("b")]))
        #expect(noneAndUndecided.map(\.verdict.name) == ["unknown"])
        let none = Checks.evaluate(try history(expect, actors: [exited("a", 1), exited("b", 2)]))
        #expect(none.map(\.verdict.name) == ["fail"])
        let both = Checks.evaluate(try history(expect, actors: [exited("a", 0), exited("b", 0)]))
        #expect(both.map(\.verdict.name) == ["fail"])
        let one = Checks.evaluate(try history(expect, actors: [exited("a", 0), exited("b", 1)]))
        #expect(one.map(\.verdict.name) == ["pass"])
    }

    @Test func anOperationWithAnUnknownOutcomeMakesACountUndecided() throws {
        var a = exited("a", 0)
        a.events = [
            Event(
                startNs: 1, endNs: 2, op: "replace", args: [Argument("file", "C:\\x.dll")], result: .unknown(reason: "killed by signal 9")),
            Event(startNs: 3, endNs: 4, op: "replace", args: [Argument("file", "C:\\y.dll")], result: .ok),
        ]
        let expect = """
              operations:
                - {op: replace, result: ERROR_SHARING_VIOLATION}
                - {op: replace, result: ERROR_SHARING_VIOLATION, count: 0}
                - {op: replace, result: ok, count: 2}
                - {op: replace, count: 2}
                - {op: replace, result: unknown}
                - {op: replace, result: ok, count: 0}
            """
        let results = Checks.evaluate(try history(expect, actors: [a]))
        #expect(results.map(\.verdict.name) == ["unknown", "unknown", "unknown", "pass", "pass", "fail"], "\(results)")
        #expect(results[0].detail == "no such operation; 1 more with an unknown outcome")
        #expect(results[4].detail == "1 seen: a: replace file=C:\\x.dll → unknown: killed by signal 9")
    }

    @Test func aLoadNeverSeenFromAProcessCutShortIsUnknown() throws {
        var a = timedOut("a")
        a.events = [Event(startNs: 1, endNs: 2, op: "load", args: [Argument("path", "C:\\x.dll"), Argument("version", "1.0.0.0")])]
        let expect = "  loaded: {a: {'C:\\y.dll': 1.0.0.0}, b: {'C:\\y.dll': 1.0.0.0}}"
        var b = exited("b", 0)
        b.events = a.events
        let results = Checks.evaluate(try history(expect, actors: [a, b]))
        #expect(results.map(\.verdict) == [.unknown("never loaded C:\\y.dll"), .fail("never loaded C:\\y.dll")])
    }

    /// The outputs: `passed` false and `verdict` `unknown` in the results record, `UNKNOWN` in the
    /// summaries, an `error` of type `unknown` in JUnit; the run does not pass.
    @Test func unknownVerdictsFailTheRunAndReadApart() throws {
        let run = try history("  exit: {a: 0, b: 0}", actors: [timedOut("a"), exited("b", 1)])
        let verdict = Checks.verdict(run)
        #expect(!verdict.passed)
        #expect(verdict.failedCount == 1)
        #expect(verdict.unknownCount == 1)

        let record = try #require(try JSONSerialization.jsonObject(with: Data(ResultsWriter.json(run).utf8)) as? [String: Any])
        let expectations = try #require(record["expectations"] as? [[String: Any]])
        #expect(expectations.map { $0["verdict"] as? String } == ["unknown", "fail"])
        #expect(expectations.map { $0["passed"] as? Bool } == [false, false])
        #expect(record["passed"] as? Bool == false)

        let text = SummaryWriter.text(run)
        #expect(text.contains("UNKNOWN  a exits with 0: timed out after 5ms; killed (killed by signal 9)\n"))
        #expect(text.contains("FAIL  b exits with 0: exited with code 1\n"))
        #expect(text.contains("r: FAILED (1 of 2 expectations failed, 1 unknown, 1 problem), seed 3"))
        #expect(SummaryWriter.markdown(run).contains("| UNKNOWN | a exits with 0 | timed out after 5ms; killed (killed by signal 9) |"))

        let xml = try XMLDocument(data: Data(JUnitWriter.xml(run).utf8))
        let suite = try #require(try xml.nodes(forXPath: "//testsuite").first as? XMLElement)
        #expect(suite.attribute(forName: "failures")?.stringValue == "2")
        #expect(suite.attribute(forName: "errors")?.stringValue == "1")
        let error = try #require(try xml.nodes(forXPath: "//testcase[@name='a exits with 0']/error").first as? XMLElement)
        #expect(error.attribute(forName: "type")?.stringValue == "unknown")
        #expect(try xml.nodes(forXPath: "//testcase[@name='a exits with 0']/failure").isEmpty)

        var onlyUnknown = run
        onlyUnknown.actors[1] = exited("b", 0)
        #expect(SummaryWriter.text(onlyUnknown).contains("r: FAILED (1 of 2 expectations unknown, 1 problem), seed 3"))
    }

    /// The trace marks an operation that did not plainly succeed where it ended: a failure (or an
    /// `ok` with a note) as a conflict, an unknown outcome as `unknown`.
    @Test func theTraceMarksUnknownOutcomesApart() throws {
        var a = exited("a", 0)
        a.events = [
            Event(startNs: 1, endNs: 2, op: "replace", result: .unknown(reason: "killed by signal 9")),
            Event(startNs: 3, endNs: 4, op: "load", result: .failed(code: 32, name: "ERROR_SHARING_VIOLATION", detail: "")),
            Event(startNs: 5, endNs: 6, op: "emit"),
        ]
        let root = try #require(
            try JSONSerialization.jsonObject(with: Data(TraceWriter.json(try history("  exit: {a: 0}", actors: [a])).utf8))
                as? [String: Any])
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        let instants = events.filter { $0["ph"] as? String == "i" && $0["pid"] as? Int == 100 && $0["s"] as? String == "t" }
        #expect(instants.map { $0["name"] as? String } == ["unknown: killed by signal 9", "ERROR_SHARING_VIOLATION (32)"])
        #expect(instants.map { $0["cat"] as? String } == ["unknown", "conflict"])
    }
}
