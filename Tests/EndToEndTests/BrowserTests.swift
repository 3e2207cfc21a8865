import Foundation
import TestSupport
import Testing

/// The pages in a real browser: `rig run --html` and `rig report` write them, headless Chromium
/// opens them with no network, and the tests read the DOM after the page's script ran (with
/// `#selftest`, the timeline drives its own zoom, pan, hover and Fit, and counts its canvas's
/// pixels by colour) and a screenshot's pixels. Without Chromium the suite is skipped, except
/// under CI (`CI=true`), where it fails saying so.
@Suite(
    .serialized, .forks, .timeLimit(.minutes(10)),
    .enabled(if: Chromium.testsRun, "headless Chromium is not installed (scripts/setup installs it); the browser tests are skipped"))
struct BrowserTests {
    let scratch = Scratch("patchrig-browser-test")

    /// Colours the pages use: a sharing violation's bar, the mark around an operation that
    /// explains a failure, a FAIL badge.
    static let sharingViolation = "#f28e2b"
    static let explains = "#ffcc00"
    static let failBadge = "#c62828"

    /// The checks every page passes: it rendered, recorded no error, logged nothing to the
    /// console and asked the network for nothing.
    func expectClean(_ visit: Chromium.Visit, _ page: String) {
        #expect(visit.outcome.status == 0, "\(page): \(visit)")
        #expect(visit.dom.contains("data-rendered=\"true\""), "\(page) did not finish rendering: \(visit)")
        #expect(Chromium.attribute("data-errors", in: visit.dom) == "0", "\(page) recorded errors: \(visit.dom.suffix(3_000))")
        #expect(visit.console.isEmpty, "\(page) logged to the console: \(visit.console)")
        #expect(visit.requests.isEmpty, "\(page) asked the network for \(visit.requests)")
    }

    /// The race rig under PCT, seed 28, fails every time: its timeline, written by `rig run` and
    /// again by `rig report` from the trace (the same page), shows every process's lane with its
    /// bars, the sharing violations, the failed expectation with the operations that explain it.
    @Test func theRaceRigsFailingTimeline() throws {
        let dir = scratch.path
        let run = runRig([
            "run", "Rigs/sp1-hotfix-race.yaml", "--schedule", "pct", "--seed", "28", "--html", dir + "/run.html", "--trace",
            dir + "/trace.json",
        ])
        #expect(run.status == 1, "the race bites at seed 28: \(run)")
        let report = runRig(["report", dir + "/trace.json", "--html", dir + "/report.html"])
        #expect(report.status == 0, "\(report)")
        let page = try String(contentsOfFile: dir + "/run.html", encoding: .utf8)
        #expect(
            page == (try String(contentsOfFile: dir + "/report.html", encoding: .utf8)), "the same page from the run and from its trace")
        for scheme in ["http:", "https:", "src=", "url(", "<link"] { #expect(!page.contains(scheme), "the page holds \(scheme)") }

        guard let visit = Chromium.visit(dir + "/run.html", fragment: "selftest") else { return }
        expectClean(visit, "the race's timeline")
        let dom = visit.dom
        for lane in [
            "app", "sp1", "windowsupdate", "windowsupdate/hotfix", "reboot1/smss", "reboot1/RunOnce-NetFxUpdate_NDP1.1sp1-KB867460",
        ] {
            #expect(dom.contains("data-lane=\"\(lane)\""), "no lane for \(lane)")
        }
        #expect(dom.contains("data-lane=\"reboot1/RunOnce-NetFxUpdate_NDP1.1sp1-KB867460/ngen-mscorlib\""))
        #expect(dom.contains("reboot1 · boot 2 · from"), "lanes are grouped by boot")
        #expect(Chromium.attribute("data-render-ms", in: dom).flatMap { Int($0) } != nil, "the page says what it cost")
        #expect(dom.contains("<li class=\"expectation pass\" data-verdict=\"pass\""))
        #expect(dom.contains("<li class=\"expectation fail\" data-verdict=\"fail\" data-index=\"1\""))
        #expect(dom.contains("every native image is fresh"))

        let status = try #require(dom.range(of: "<output class=\"status\"").map { String(dom[$0.lowerBound...].prefix(2_000)) })
        func number(_ name: String) -> Int { Chromium.attribute(name, in: status).flatMap { Int($0) } ?? -1 }
        #expect(number("data-lanes") == 10)
        #expect(number("data-operations") > 100)
        #expect(number("data-drawn") == number("data-operations"), "the whole run is in view: every bar drawn")
        #expect(number("data-drawn-sharing") >= 1, "the installers' sharing violations on mscorwks.dll")
        #expect(number("data-highlighted") >= 10, "the operations that explain the stale images")
        #expect(number("data-arrows") >= 5)
        #expect(number("data-machine-spans") >= 5)
        #expect(number("data-pixels-sharing") > 0)
        #expect(number("data-pixels-mark") > 0)
        #expect(Chromium.attribute("data-exercise", in: status) == "zoom=true pan=true fit=true hover=true")
        let described = Chromium.attribute("data-described", in: status)?.split(separator: " ")
        #expect(described?.count == 3 && described?.first == described?.last, "every lane with operations has a tooltip")

        let png = dir + "/race.png"
        let shot = Chromium.screenshot(dir + "/run.html", to: png)
        #expect(shot?.status == 0, "\(String(describing: shot))")
        guard let pixels = try Chromium.pixels(ofPNG: png, colors: [Self.sharingViolation, Self.explains, Self.failBadge]) else { return }
        #expect(pixels.width == 1400 && pixels.height == 900)
        #expect((pixels.counts[Self.sharingViolation] ?? 0) > 0, "a sharing violation is seen")
        #expect((pixels.counts[Self.explains] ?? 0) > 100, "the explaining operations are marked")
        #expect((pixels.counts[Self.failBadge] ?? 0) > 100, "the FAILED verdict and the FAIL badge are seen")
    }

    /// A campaign (of the shape `rig stress --json` writes) as its page: the rate, the plot with a
    /// point per iteration, the kept failure's links relative to the page; an empty one says so.
    @Test func theCampaignPage() throws {
        let dir = scratch.path
        scratch.write("stress/campaign.json", Self.campaign(iterations: 4))
        scratch.write("pages/README", "the page goes here, beside no campaign\n")
        let report = runRig([
            "report", dir + "/stress/campaign.json", "--html", dir + "/pages/campaign.html", "--by", "windowsupdate.delay",
        ])
        #expect(report.status == 0, "\(report)")
        guard let visit = Chromium.visit(dir + "/pages/campaign.html") else { return }
        expectClean(visit, "the campaign page")
        #expect(visit.dom.contains("id=\"failure-rate\">25.00% failed</div>"))
        #expect(visit.dom.contains("data-parameter=\"windowsupdate.delay\" data-points=\"4\""))
        #expect(visit.dom.components(separatedBy: "<circle ").count - 1 == 4)
        #expect(visit.dom.contains("<a href=\"../stress/failures/seed-3/timeline.html\">timeline</a>"))
        #expect(visit.dom.contains("<code>rig run Rigs/sp1-hotfix-race.yaml --seed 3</code>"))

        scratch.write("empty.json", Self.campaign(iterations: 0))
        #expect(runRig(["report", dir + "/empty.json", "--html", dir + "/empty.html"]).status == 0)
        guard let empty = Chromium.visit(dir + "/empty.html") else { return }
        expectClean(empty, "the empty campaign's page")
        #expect(empty.dom.contains("This campaign ran no iterations"))
    }

    /// The checks can fail: a page that fetches, logs an error and throws is caught by each.
    @Test func theChecksSeeWhatTheyLookFor() throws {
        scratch.write(
            "bad.html",
            """
            <!DOCTYPE html><html><body><img src="http://example.com/patchrig.png">
            <script>console.error("boom"); notAFunction();</script></body></html>
            """)
        guard let visit = Chromium.visit(scratch.path + "/bad.html") else { return }
        #expect(visit.requests.contains("http://example.com/patchrig.png"), "\(visit)")
        #expect(visit.console.contains { $0.contains("boom") }, "\(visit)")
        #expect(visit.console.contains { $0.contains("notAFunction") }, "\(visit)")
        #expect(!visit.dom.contains("data-rendered=\"true\""))
    }

    /// A campaign file: seeds 1…n, seed 3 failed and kept, `windowsupdate.delay` drawn per run.
    static func campaign(iterations: Int) -> String {
        let runs = (0..<iterations).map { i in
            let seed = i + 1
            let verdict = seed == 3 ? "fail" : "pass"
            return """
                {"seed": \(seed), "verdict": "\(verdict)", "duration_ns": \(100_000_000 + seed), "failed": [\(seed == 3 ? "\"every native image is fresh\"" : "")], \
                "problems": [], "parameters": {"windowsupdate.delay": \(seed * 300_000_000), "windowsupdate.start": 66000000}, "digest": null}
                """
        }
        let kept =
            iterations >= 3
            ? """
            {"seed": 3, "directory": "failures/seed-3", "trace": "failures/seed-3/trace.json", "results": "failures/seed-3/results.json", \
            "html": "failures/seed-3/timeline.html", "replay": "rig run Rigs/sp1-hotfix-race.yaml --seed 3"}
            """ : ""
        let failed = iterations >= 3 ? 1 : 0
        return """
            {"format": "patchrig-campaign", "version": 1, "rig": "sp1-hotfix-race", "rig_file": "Rigs/sp1-hotfix-race.yaml",
             "build": "rig 0.1.0 commit 1a2b3c4d5e6f", "schedule": {"strategy": "free", "depth": null, "steps": null},
             "seeds": {"first": 1, "count": \(iterations)}, "shard": {"index": 1, "count": 4},
             "planned": \(iterations), "iterations": \(iterations), "passed": \(iterations - failed), "failed": \(failed), "unknown": 0,
             "interrupted": false, "failure_rate": \(iterations == 0 ? "null" : String(Double(failed) / Double(iterations))),
             "interval": \(iterations == 0 ? "null" : "{\"method\": \"wilson\", \"confidence\": 0.95, \"low\": 0.05, \"high\": 0.7}"),
             "by_expectation": [\(failed == 1 ? "{\"text\": \"every native image is fresh\", \"failures\": 1}" : "")],
             "by_problem": [], "durations_ns": {"iteration": {"p50": 100000002, "p90": 100000004, "p99": 100000004}, "actors": {}},
             "runs": [\(runs.joined(separator: ",\n"))], "kept": [\(kept)], "wall_ns": 2000000000, "iterations_per_second": 2.0}
            """
    }
}

/// `rig report` refuses what it cannot draw, naming the file, with exit status 2.
@Suite(.serialized, .forks, .timeLimit(.minutes(5)))
struct ReportCommandTests {
    let scratch = Scratch("patchrig-report-test")

    func refused(_ name: String, _ text: String, extra: [String] = [], saying words: String) {
        scratch.write(name, text)
        let file = scratch.path + "/" + name
        let outcome = runRig(["report", file, "--html", scratch.path + "/out.html"] + extra)
        #expect(outcome.status == 2, "\(name): \(outcome)")
        #expect(outcome.stderr.contains("rig: \(file): \(words)") || outcome.stderr.contains(words), "\(name): \(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/out.html"), "no page for \(name)")
    }

    @Test func whatCannotBeDrawnIsRefused() throws {
        let dir = scratch.path
        let run = runRig(["run", "Rigs/smoke.yaml", "--trace", dir + "/trace.json", "--json", dir + "/results.json"])
        #expect(run.status == 0, "\(run)")
        let trace = try String(contentsOfFile: dir + "/trace.json", encoding: .utf8)
        refused("cut.json", String(trace.prefix(trace.count / 2)), saying: "it is truncated")
        refused(
            "v2.json", trace.replacingOccurrences(of: "\"version\": \"1\"", with: "\"version\": \"2\""),
            saying: "a PatchRig trace of version \"2\"; this rig reads version 1")
        refused(
            "old.json", trace.replacingOccurrences(of: "\"format\": \"patchrig-trace\",", with: ""),
            saying: "not written by rig, or by an older rig (run the rig again with --trace)")
        refused(
            "results.json", try String(contentsOfFile: dir + "/results.json", encoding: .utf8),
            saying: "a run's results record (rig run --json), which holds no operations: give the run's trace (rig run --trace FILE)")
        refused(
            "campaign2.json", BrowserTests.campaign(iterations: 4).replacingOccurrences(of: "\"version\": 1", with: "\"version\": 2"),
            saying: "a campaign of version 2; this rig reads version 1")
        refused(
            "campaign.json", BrowserTests.campaign(iterations: 4), extra: ["--by", "windowsupdate.dely"],
            saying:
                "no run of the campaign has the parameter 'windowsupdate.dely'; its parameters: windowsupdate.delay, windowsupdate.start")
        refused("empty.json", "", saying: "an empty file")
        refused("list.json", "[]", saying: "not a run trace or a campaign: not a JSON object")

        let missing = runRig(["report", dir + "/nothing.json", "--html", dir + "/out.html"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("rig: \(dir)/nothing.json: no such file"))
        let traceWithBy = runRig(["report", dir + "/trace.json", "--html", dir + "/out.html", "--by", "x.delay"])
        #expect(traceWithBy.status == 2)
        #expect(traceWithBy.stderr.contains("--by applies to a campaign"))
        let none = runRig(["report", "--html", dir + "/out.html"])
        #expect(none.status == 2)

        // Two traces make one page of two timelines.
        let two = runRig(["report", dir + "/trace.json", dir + "/trace.json", "--html", dir + "/two.html"])
        #expect(two.status == 0, "\(two)")
        let page = try String(contentsOfFile: dir + "/two.html", encoding: .utf8)
        #expect(page.components(separatedBy: "<section class=\"run\"").count == 3)
    }
}
