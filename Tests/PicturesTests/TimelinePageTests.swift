import Report
import RigModel
import Testing
import Wire

@testable import Pictures

/// What in a page could make the browser fetch something: an address with a scheme, a
/// protocol-relative reference, an element that loads a resource, a script API that fetches.
/// The pages must have none (a campaign page links local files by relative paths, which load
/// nothing until clicked).
func networkReferences(_ html: String) -> [String] {
    let patterns = [
        "http:", "https:", "ftp:", "ws:", "wss:", "=\"//", "='//", "url(", "@import", "<link", "<img", "<iframe", "<object", "<embed",
        "fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "import(", "sendBeacon", " src=",
    ]
    let lower = html.lowercased()
    return patterns.filter { lower.contains($0.lowercased()) }
}

/// The run's data as the page embeds it, read back.
func embeddedData(_ html: String) throws -> JSONValue {
    let open = "<script type=\"application/json\" class=\"run-data\">"
    let start = try #require(html.firstRange(of: open))
    let end = try #require(html[start.upperBound...].firstRange(of: "</script>"))
    return try JSONReader.parse(String(html[start.upperBound..<end.lowerBound]))
}

@Suite struct TimelinePageTests {
    @Test func thePageIsSelfContained() throws {
        let html = TimelinePage.html(try SampleRun.history())
        #expect(networkReferences(html) == [])
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.hasSuffix("</html>\n"))
    }

    @Test func theHeaderAndTheVerdictsAreInThePage() throws {
        let html = TimelinePage.html(try SampleRun.history())
        #expect(html.contains("<title>race seed 28: FAILED</title>"))
        #expect(html.contains("<li class=\"expectation fail\" data-verdict=\"fail\" data-index=\"0\" data-explained=\"1\">"))
        #expect(html.contains("<li class=\"expectation fail\" data-verdict=\"fail\" data-index=\"1\" data-explained=\"11\">"))
        #expect(html.contains("explained by 11 operations (highlighted)"))
        #expect(html.contains("<li>the run timed out after 60s</li>"))
        for outcome in OperationOutcome.allCases { #expect(html.contains(outcome.color)) }
    }

    @Test func theEmbeddedDataIsTheTimeline() throws {
        let history = try SampleRun.history()
        let data = try embeddedData(TimelinePage.html(history))
        let strings = (data["strings"]?.array ?? []).compactMap { $0.string }
        #expect(strings.count > 3)
        let ops = try #require(data["ops"])
        #expect(ops["lane"]?.array?.count == 17)
        #expect(ops["from"]?.array?[3] == .number("3000"))
        #expect(ops["name"]?.array?[3].int.map { strings[Int($0)] } == "replace")
        #expect(ops["result"]?.array?[3].int.map { strings[Int($0)] } == "ERROR_SHARING_VIOLATION (32)")
        #expect(ops["args"]?.array?[3].int.map { strings[Int($0)] } == "file=\(SampleRun.mscorwks)\nsize=2093056")
        let lanes = try #require(data["lanes"]?.array)
        #expect(
            lanes.map { $0["short"]?.string } == [
                "app (app)", "sp1 (installer)", "windowsupdate (windowsupdate)", "hotfix (installer)", "smss",
                "RunOnce-NetFx (netfxupdate)",
                "ngen-mscorlib (ngen)", "ngen-System (ngen)", "late (script)",
            ])
        #expect(lanes.map { $0["depth"]?.int } == [0, 0, 0, 1, 0, 0, 1, 1, 0])
        #expect(
            lanes.map { $0["boot"] } == [
                .number("0"), .number("0"), .number("1"), .number("1"), .number("1"), .number("1"), .number("1"), .number("1"), .null,
            ])
        #expect(data["expectations"]?.array?.map { $0["ops"]?.array?.count } == [1, 11])
        #expect(data["machine"]?.array?.map { $0["row"]?.int } == [0, 1, 1, 1, 1, 2])
        #expect(data["arrows"]?.array?.first?["from"] == .number("-1"), "the machine lane")
    }

    @Test func textThatLooksLikeMarkupStaysText() throws {
        var history = try SampleRun.history()
        history.problems = ["</script><script>alert(1)</script> & <b>"]
        history.actors[1].events[0].args.append(Argument("note", "</script><!-- x"))
        let html = TimelinePage.html(history)
        #expect(!html.contains("</script><script>alert(1)"))
        #expect(html.contains("<li>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;</li>"))
        let data = try embeddedData(html)
        #expect(data["problems"]?.array?.first?.string == "</script><script>alert(1)</script> & <b>")
        #expect(data["strings"]?.array?.contains(.string("file=\(SampleRun.mscorwks)\nsize=2093056\nnote=</script><!-- x")) == true)
    }

    @Test func severalRunsAreSectionsOfOnePage() throws {
        let a = RunTimeline(try SampleRun.history())
        var b = a
        b.seed = "29"
        let html = TimelinePage.html(a, b)
        #expect(html.components(separatedBy: "<section class=\"run\"").count == 3)
        #expect(html.contains("<title>2 runs: 2 failed</title>"))
        #expect(html.contains("id=\"timeline\"") && html.contains("id=\"timeline-1\""))
    }

    /// The issue's size: a run of 200 processes and 20,000 operations stays under 5 MB.
    @Test func aRunOf200ProcessesAnd20000OperationsStaysUnder5MB() throws {
        let history = try SyntheticRun.history(processes: 200, operations: 20_000)
        let timeline = RunTimeline(history)
        #expect(timeline.lanes.count == 200)
        #expect(timeline.operations.count == 20_000)
        let bytes = TimelinePage.html(timeline).utf8.count
        #expect(bytes < 5_000_000, "\(bytes) bytes")
    }

    @Test func timesReadAsThePageWritesThem() {
        #expect(TimeText.duration(950_206_839) == "950.207 ms")
        #expect(TimeText.duration(12_345_678_901) == "12.35 s")
        #expect(TimeText.duration(1_500) == "1.500 µs")
        #expect(TimeText.duration(999) == "999 ns")
        #expect(TimeText.duration(-2_000_000) == "-2.000 ms")
        #expect(TimeText.duration(Int64.max) == "9223372036.85 s")
    }
}

/// A made-up run of a given size: `processes / 10` actors each starting 9 children, each process
/// reporting `operations / processes` operations (some sharing violations, access denials and
/// unknown outcomes), and a failed `native_images` expectation about `file7.dll`.
enum SyntheticRun {
    static func history(processes: Int, operations: Int) throws -> RunHistory {
        let actors = max(processes / 10, 1)
        var yaml = "rig: synthetic\nmachine: {}\nactors:\n"
        for a in 0..<actors { yaml += "  - {name: actor\(a), role: script}\n" }
        yaml += "expect:\n  native_images: {all: fresh}\n"
        let rig = try RigLoader.parse(yaml: yaml, file: "synthetic.yaml")
        let t0: UInt64 = 1_000_000_000
        let perProcess = operations / processes
        var records: [ActorRecord] = []
        var notes: [Wire.Event] = []
        for p in 0..<processes {
            let actor = p % actors
            let child = p / actors
            var record = ActorRecord(
                name: child == 0 ? "actor\(actor)" : "actor\(actor)/child\(child)", role: child == 0 ? "script" : "installer")
            let spawn = t0 + UInt64(p) * 5_000_000
            record.pid = Int32(10_000 + p)
            record.spawnNs = spawn
            record.helloNs = spawn + 300_000
            for i in 0..<perProcess {
                let n = p * perProcess + i
                let result: OperationResult =
                    n % 211 == 0
                    ? .unknown(reason: "killed by signal 9")
                    : n % 101 == 0
                        ? .failed(code: 5, name: "ERROR_ACCESS_DENIED", detail: "")
                        : n % 37 == 0 ? .failed(code: 32, name: "ERROR_SHARING_VIOLATION", detail: "") : .ok
                let start = spawn + 400_000 + UInt64(i) * 100_000
                record.events.append(
                    Wire.Event(
                        startNs: start, endNs: start + 80_000, op: ["open", "read", "write", "replace", "load", "sleep"][n % 6],
                        args: [Argument("file", #"C:\Windows\app\file\#(n % 50).dll"#), Argument("size", String(4096 * (n % 13)))],
                        result: result))
            }
            record.endNs = spawn + 500_000 + UInt64(perProcess) * 100_000
            record.termination = .exited(code: 0)
            record.exitReport = ExitReport(code: 0, ns: record.endNs!)
            if child > 0 {
                notes.append(
                    Wire.Event(
                        startNs: spawn - 1_000, endNs: spawn - 1_000, op: "start_child",
                        args: [Argument("actor", "actor\(actor)"), Argument("child", record.name)]))
            }
            records.append(record)
        }
        let end = records.compactMap(\.endNs).max() ?? t0
        var history = RunHistory(
            rig: rig, seed: 1, startNs: t0, endNs: end, coordinatorPid: 9_999, actors: records,
            coordinatorEvents: [Wire.Event(startNs: t0, endNs: end, op: "run")] + notes)
        history.machine = MachineSnapshot(nativeImages: [("Sample", "stale", ["file7.dll changed since the image was built (1.0 -> 1.1)"])])
        return history
    }
}
