import Foundation
import RigModel
import Testing
import Wire

@testable import Report

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A run built by hand: four actors of which one exited 0, one exited with Windows code 3010
/// (process status 194), one was killed after a timeout and one never started.
private func sampleHistory(problems: [String] = ["worker sent a malformed frame: <tag 9> & \"more\""]) throws -> RunHistory {
    let yaml = """
        rig: sample
        seed: 7
        actors:
          - {name: a, role: script}
          - {name: b, role: script}
          - {name: c, role: script, start: {after_exit: a}, steps: [{sleep: 10s}, {emit: never}]}
          - {name: d, role: script, start: {after: c.never}}
        expect:
          exit:
            a: 0
            b: [0, 3010]
            c: 0
            d: 0
        """
    let rig = try RigLoader.parse(yaml: yaml, file: "Rigs/sample.yaml")
    let t0: UInt64 = 5_000_000_000
    var a = ActorRecord(name: "a", role: "script")
    a.pid = 201
    a.spawnNs = t0 + 1_000
    a.helloNs = t0 + 501_000
    a.endNs = t0 + 2_000_000
    a.termination = .exited(code: 0)
    a.events = [
        Wire.Event(startNs: t0 + 600_000, endNs: t0 + 1_600_250, op: "sleep", args: [Argument("duration", "1ms")]),
        Wire.Event(
            startNs: t0 + 1_700_000, endNs: t0 + 1_700_500, op: "open", args: [Argument("path", "C:\\x.dll")],
            result: .failed(code: 32, name: "ERROR_SHARING_VIOLATION", detail: "")),
    ]
    var b = ActorRecord(name: "b", role: "script")
    b.pid = 202
    b.spawnNs = t0 + 2_000
    b.endNs = t0 + 3_000_000
    b.termination = .exited(code: 194)
    b.exitReport = ExitReport(code: 3010, ns: t0 + 2_999_000, detail: "reboot required")
    b.stdoutPath = "out/b.stdout"
    var c = ActorRecord(name: "c", role: "script")
    c.pid = 203
    c.spawnNs = t0 + 2_000_000
    c.endNs = t0 + 7_000_000
    c.termination = .signaled(signal: 9)
    c.failure = "timed out after 5ms <&'\">"
    let d = ActorRecord(name: "d", role: "script")
    return RunHistory(
        rig: rig, seed: 7, startNs: t0, endNs: t0 + 8_000_000, coordinatorPid: 100, actors: [a, b, c, d],
        coordinatorEvents: [Wire.Event(startNs: t0 + 500, endNs: t0 + 1_500, op: "spawn", args: [Argument("actor", "a")])],
        problems: problems)
}

private func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite struct ChecksTests {
    @Test func exitCodeExpectations() throws {
        let results = Checks.evaluate(try sampleHistory())
        #expect(
            results == [
                ExpectationResult(text: "a exits with 0", passed: true, detail: "exited with code 0"),
                ExpectationResult(
                    text: "b exits with 0 or 3010", passed: true, detail: "exited with code 3010 (process status 194)"),
                ExpectationResult(
                    text: "c exits with 0", passed: false, detail: "timed out after 5ms <&'\"> (killed by signal 9)"),
                ExpectationResult(text: "d exits with 0", passed: false, detail: "never started"),
            ])
    }

    @Test func theKernelStatusWinsWhenTheExitFrameDisagrees() {
        var r = ActorRecord(name: "x", role: "script")
        r.pid = 1
        r.termination = .exited(code: 3)
        r.exitReport = ExitReport(code: 3010, ns: 0)
        #expect(r.exitCode == 3)
        #expect(r.outcome == "exited with code 3")
        r.termination = .signaled(signal: 15)
        #expect(r.exitCode == nil)
        #expect(r.outcome == "killed by signal 15")
        r.termination = nil
        #expect(r.outcome == "still running when the run ended")
        var never = ActorRecord(name: "y", role: "script")
        never.failure = "spawn failed: ENOENT"
        #expect(never.outcome == "never started: spawn failed: ENOENT")
    }

    @Test func verdictCountsProblemsAndActorFailures() throws {
        let verdict = Checks.verdict(try sampleHistory())
        #expect(!verdict.passed)
        #expect(verdict.failedCount == 2)
        #expect(verdict.problems == ["worker sent a malformed frame: <tag 9> & \"more\"", "actor 'c': timed out after 5ms <&'\">"])
    }

    @Test func aCleanRunPasses() throws {
        var history = try sampleHistory(problems: [])
        history.rig.expectations.removeLast(2)
        history.actors.removeLast(2)
        #expect(Checks.verdict(history).passed)
        #expect(SummaryWriter.text(history).hasSuffix("sample: PASSED (2 expectations held), seed 7, 8.000ms\n"))
    }
}

@Suite struct TraceTests {
    @Test func traceIsChromeTraceEventJSON() throws {
        let history = try sampleHistory()
        let root = try jsonObject(TraceWriter.json(history))
        #expect(root["displayTimeUnit"] as? String == "ms")
        let events = try #require(root["traceEvents"] as? [[String: Any]])

        let names = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "process_name" }
            .map { ($0["pid"] as! Int, ($0["args"] as! [String: Any])["name"] as! String) }
        #expect(names.map(\.0) == [100, 201, 202, 203])
        #expect(names.map(\.1) == ["rig (coordinator)", "a (script)", "b (script)", "c (script)"])
        let sortIndex = events.filter { $0["name"] as? String == "process_sort_index" }
            .map { ($0["args"] as! [String: Any])["sort_index"] as! Int }
        #expect(sortIndex == [0, 1, 2, 3])

        let slices = events.filter { $0["ph"] as? String == "X" }
        let sleep = try #require(slices.first { $0["name"] as? String == "sleep" })
        #expect(sleep["pid"] as? Int == 201)
        #expect(sleep["tid"] as? Int == 201)
        #expect(sleep["ts"] as? Double == 600)
        #expect(sleep["dur"] as? Double == 1000.25)
        #expect(sleep["cat"] as? String == "script")
        let args = try #require(sleep["args"] as? [String: String])
        #expect(args == ["duration": "1ms", "result": "ok"])

        let lifetimes = slices.filter { $0["name"] as? String == "process" }
        #expect(lifetimes.map { $0["pid"] as! Int } == [201, 202, 203])
        #expect(lifetimes[0]["ts"] as? Double == 1)
        #expect(lifetimes[0]["dur"] as? Double == 1999)
        #expect(slices.contains { $0["name"] as? String == "start-up" && $0["dur"] as? Double == 500 })
        #expect(slices.contains { $0["name"] as? String == "spawn" && $0["pid"] as? Int == 100 && $0["ts"] as? Double == 0.5 })

        let instants = events.filter { $0["ph"] as? String == "i" }
        #expect(instants.contains { $0["name"] as? String == "ERROR_SHARING_VIOLATION (32)" && $0["pid"] as? Int == 201 })
        #expect(instants.contains { $0["name"] as? String == "timed out after 5ms <&'\">" && $0["pid"] as? Int == 203 })
        #expect(instants.contains { $0["name"] as? String == "never started: d" && $0["pid"] as? Int == 100 })
        #expect(instants.contains { ($0["name"] as? String)?.hasPrefix("worker sent a malformed frame") == true })
        #expect(instants.allSatisfy { ["t", "p", "g"].contains($0["s"] as? String) })
    }

    @Test func microsecondsAreExact() {
        #expect(JSONText.micros(1_234_567, since: 0).rendered() == "1234.567")
        #expect(JSONText.micros(2_000, since: 0).rendered() == "2")
        #expect(JSONText.micros(1_050, since: 0).rendered() == "1.05")
        #expect(JSONText.micros(0, since: 1_500).rendered() == "-1.5")
    }

    @Test func jsonStringsAreEscaped() throws {
        let text = JSONText.object([("k\"", .string("a\\b\n\u{1}é\"\u{2028}"))]).rendered()
        #expect(text == "{\"k\\\"\":\"a\\\\b\\n\\u0001é\\\"\\u2028\"}")
        let back = try jsonObject(text)
        #expect(back["k\""] as? String == "a\\b\n\u{1}é\"\u{2028}")
        // The other escapes, and E2 that starts no line break (€ is E2 82 AC).
        let other = "C:\\x\r\t\u{1f}\u{7f}€\u{2029}\u{2027}end"
        let rendered = JSONText.string(other).rendered()
        #expect(rendered == "\"C:\\\\x\\r\\t\\u001f\u{7f}€\\u2029\u{2027}end\"")
        #expect(try JSONSerialization.jsonObject(with: Data(rendered.utf8), options: .fragmentsAllowed) as? String == other)
    }
}

@Suite struct ResultsTests {
    @Test func resultsRecordFields() throws {
        let text = ResultsWriter.json(try sampleHistory())
        let root = try jsonObject(text)
        #expect(root["rig"] as? String == "sample")
        #expect(root["file"] as? String == "Rigs/sample.yaml")
        #expect(root["seed"] as? Int == 7)
        #expect(root["passed"] as? Bool == false)
        #expect(root["started_ns"] as? Int == 5_000_000_000)
        #expect(root["ended_ns"] as? Int == 5_008_000_000)
        let actors = try #require(root["actors"] as? [[String: Any]])
        #expect(actors.map { $0["name"] as! String } == ["a", "b", "c", "d"])
        for actor in actors {
            for key in ["name", "role", "pid", "exit_code", "signal", "start_ns", "end_ns", "hello_ns", "failure", "events"] {
                #expect(actor.keys.contains(key), "missing \(key)")
            }
        }
        #expect(actors[0]["pid"] as? Int == 201)
        #expect(actors[0]["exit_code"] as? Int == 0)
        #expect(actors[0]["signal"] is NSNull)
        #expect(actors[0]["start_ns"] as? Int == 5_000_001_000)
        #expect(actors[0]["hello_ns"] as? Int == 5_000_501_000)
        #expect(actors[0]["end_ns"] as? Int == 5_002_000_000)
        #expect(actors[0]["events"] as? Int == 2)
        #expect(actors[0]["failure"] is NSNull)
        #expect(actors[1]["exit_code"] as? Int == 3010)
        #expect(actors[1]["hello_ns"] is NSNull)
        #expect(actors[1]["stdout"] as? String == "out/b.stdout")
        #expect(actors[2]["exit_code"] is NSNull)
        #expect(actors[2]["signal"] as? Int == 9)
        #expect(actors[2]["failure"] as? String == "timed out after 5ms <&'\">")
        #expect(actors[3]["pid"] is NSNull)
        #expect(actors[3]["start_ns"] is NSNull)
        #expect(actors[3]["events"] as? Int == 0)

        let expectations = try #require(root["expectations"] as? [[String: Any]])
        #expect(
            expectations.map { $0["text"] as! String } == ["a exits with 0", "b exits with 0 or 3010", "c exits with 0", "d exits with 0"])
        #expect(expectations.map { $0["passed"] as! Bool } == [true, true, false, false])
        #expect(expectations[3]["detail"] as? String == "never started")
        #expect(
            root["problems"] as? [String] == ["worker sent a malformed frame: <tag 9> & \"more\"", "actor 'c': timed out after 5ms <&'\">"])
        // Keys come in the documented order, so the file diffs cleanly between runs.
        #expect(text.hasPrefix("{\n  \"rig\": \"sample\",\n  \"file\": \"Rigs/sample.yaml\",\n  \"seed\": 7,\n  \"passed\": false,"))
    }
}

@Suite struct JUnitTests {
    @Test func junitIsWellFormedAndEscaped() throws {
        let xml = JUnitWriter.xml(try sampleHistory())
        let document = try XMLDocument(xmlString: xml)
        let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
        #expect(suite.attribute(forName: "name")?.stringValue == "sample")
        #expect(suite.attribute(forName: "tests")?.stringValue == "6")
        #expect(suite.attribute(forName: "failures")?.stringValue == "4")
        #expect(suite.attribute(forName: "time")?.stringValue == "0.008")
        let cases = try document.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
        #expect(
            cases.map { $0.attribute(forName: "name")?.stringValue } == [
                "a exits with 0", "b exits with 0 or 3010", "c exits with 0", "d exits with 0",
                "problem: worker sent a malformed frame: <tag 9> & \"more\"", "problem: actor 'c': timed out after 5ms <&'\">",
            ])
        #expect(cases[0].elements(forName: "failure").isEmpty)
        let failure = try #require(cases[2].elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue == "timed out after 5ms <&'\"> (killed by signal 9)")
        #expect(failure.stringValue == "timed out after 5ms <&'\"> (killed by signal 9)")
        #expect(cases[3].elements(forName: "failure").first?.stringValue == "never started")
        #expect(xml.contains("&lt;&amp;&apos;&quot;&gt;"))
        let seed = try document.nodes(forXPath: "//property[@name='seed']/@value").first?.stringValue
        #expect(seed == "7")
    }

    @Test func controlCharactersAndEmptySuites() throws {
        #expect(JUnitWriter.attribute("a\u{1}b\nc") == "\"a\u{FFFD}b&#10;c\"")
        #expect(JUnitWriter.text("x < y && z\u{0}") == "x &lt; y &amp;&amp; z\u{FFFD}")
        var history = try sampleHistory(problems: [])
        history.rig.expectations = []
        history.actors = []
        let xml = JUnitWriter.xml(history)
        let document = try XMLDocument(xmlString: xml)
        let cases = try document.nodes(forXPath: "//testcase")
        #expect(cases.count == 1)
        #expect((cases[0] as? XMLElement)?.attribute(forName: "name")?.stringValue == "run")
    }
}

@Suite struct SummaryTests {
    @Test func summaryLines() throws {
        let text = SummaryWriter.text(try sampleHistory())
        #expect(
            text == """
                PASS  a exits with 0: exited with code 0
                PASS  b exits with 0 or 3010: exited with code 3010 (process status 194)
                FAIL  c exits with 0: timed out after 5ms <&'"> (killed by signal 9)
                FAIL  d exits with 0: never started
                PROBLEM  worker sent a malformed frame: <tag 9> & "more"
                PROBLEM  actor 'c': timed out after 5ms <&'">
                sample: FAILED (2 of 4 expectations failed, 2 problems), seed 7, 8.000ms

                """)
    }

    @Test func markdownSummary() throws {
        let md = SummaryWriter.markdown(try sampleHistory())
        #expect(md.hasPrefix("## sample: FAILED\n\nRig `Rigs/sample.yaml`, seed 7.\n"))
        #expect(md.contains("| FAIL | d exits with 0 | never started |\n"))
        #expect(md.contains("| PASS | b exits with 0 or 3010 | exited with code 3010 (process status 194) |\n"))
        #expect(md.contains("- actor 'c': timed out after 5ms <&'\">\n"))
        #expect(md.contains("| d | script | – | never started | 0 |\n"))
    }
}
