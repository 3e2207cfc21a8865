import Report
import Testing

@testable import Pictures

/// A campaign file of exactly the shape `rig stress --json` writes, with three runs of which
/// seed 4 failed and was kept; `windowsupdate.delay` is the same in every run and
/// `windowsupdate.start` varies.
func sampleCampaign(
    iterations: Int = 3, runs: String? = nil, version: String = "1", kept: String? = nil, extra: String = ""
) -> String {
    let defaultRuns = """
        {"seed": 1, "verdict": "pass", "duration_ns": 123000000, "failed": [], "problems": [], "parameters": {"windowsupdate.delay": 48000000, "windowsupdate.start": 1200000}, "digest": null},
            {"seed": 4, "verdict": "fail", "duration_ns": 150000000, "failed": ["every native image is fresh"], "problems": [], "parameters": {"windowsupdate.delay": 48000000, "windowsupdate.start": 3400000}, "digest": null},
            {"seed": 18446744073709551615, "verdict": "unknown", "duration_ns": 160000000, "failed": [], "problems": ["timeout"], "parameters": {"windowsupdate.delay": 48000000, "windowsupdate.start": 2300000}, "digest": null}
        """
    let defaultKept = """
        {"seed": 4, "directory": "failures/seed-4", "trace": "failures/seed-4/trace.json", "results": "failures/seed-4/results.json", "html": "failures/seed-4/timeline.html", "replay": "rig run Rigs/sp1-hotfix-race.yaml --seed 4"}
        """
    return """
        {
          "format": "patchrig-campaign", "version": \(version),
          "rig": "sp1-hotfix-race", "rig_file": "Rigs/sp1-hotfix-race.yaml",
          "build": "rig 0.1.0 commit 1a2b3c4d5e6f",
          "schedule": {"strategy": "pct", "depth": 2, "steps": 150},
          "seeds": {"first": 1, "count": \(iterations)},
          "shard": null,
          "planned": \(iterations), "iterations": \(iterations), "passed": 1, "failed": 1, "unknown": 1, "interrupted": false,
          "failure_rate": 0.024,
          "interval": {"method": "wilson", "confidence": 0.95, "low": 0.0138, "high": 0.0414},
          "by_expectation": [{"text": "every native image is fresh", "failures": 12}],
          "by_problem": [{"kind": "timeout", "count": 1}],
          "durations_ns": {"iteration": {"p50": 1500000, "p90": 2000000, "p99": 3000000}, "actors": {"windowsupdate": {"p50": 1000, "p90": 2000, "p99": 3000}}},
          "runs": [\(runs ?? defaultRuns)],
          "kept": [\(kept ?? defaultKept)],
          "wall_ns": 1000000000, "iterations_per_second": 20.5\(extra)
        }
        """
}

@Suite struct CampaignPageTests {
    @Test func theRateTheIntervalAndTheTables() throws {
        let html = try CampaignPage.html(campaignJSONText: sampleCampaign())
        #expect(networkReferences(html) == [])
        #expect(html.contains("<title>sp1-hotfix-race: 1 of 3 failed</title>"))
        #expect(html.contains("<div class=\"rate\" id=\"failure-rate\">2.40% failed</div>"))
        #expect(html.contains("<div id=\"interval\">95% Wilson interval: 1.38% – 4.14%</div>"))
        #expect(html.contains("1 failed, 1 passed, 1 unknown of 3 iterations (3 planned)"))
        #expect(html.contains("<tr><td>every native image is fresh</td><td class=\"number\">12</td></tr>"))
        #expect(html.contains("<tr><td>timeout</td><td class=\"number\">1</td></tr>"))
        #expect(
            html.contains(
                "<tr><td>iteration</td><td class=\"number\">1.500 ms</td><td class=\"number\">2.000 ms</td><td class=\"number\">3.000 ms</td></tr>"
            ))
        #expect(html.contains("<tr><td>windowsupdate</td><td class=\"number\">1.000 µs</td>"))
        #expect(html.contains("schedule pct (depth 2, 150 steps) · seeds 1–3 (3) · rig 0.1.0"))
        #expect(html.contains("rig 0.1.0 commit 1a2b3c4d5e6f"))
    }

    @Test func eachRunIsAPointAgainstTheFirstParameterThatVaries() throws {
        let html = try CampaignPage.html(campaignJSONText: sampleCampaign())
        #expect(html.contains("<svg id=\"outcome-plot\" data-parameter=\"windowsupdate.start\" data-points=\"3\""))
        #expect(html.components(separatedBy: "<circle ").count - 1 == 3)
        #expect(html.contains("<circle class=\"pass\" data-seed=\"1\""))
        #expect(html.contains("<circle class=\"fail\" data-seed=\"4\""))
        #expect(html.contains("<circle class=\"unknown\" data-seed=\"18446744073709551615\""), "seeds stay exact")
        #expect(html.contains("<title>seed 4: fail · windowsupdate.start = 3.400 ms</title>"))
        // The kept failure's point links to its timeline.
        #expect(html.contains("<a href=\"failures/seed-4/timeline.html\"><circle class=\"fail\" data-seed=\"4\""))
        // Failure rate per bin: the bin holding 3.4 ms has 1 of 1 failed.
        #expect(html.contains("<rect class=\"bin\" data-failed=\"1\" data-runs=\"1\""))
    }

    @Test func byPicksTheParameter() throws {
        let html = try CampaignPage.html(campaignJSONText: sampleCampaign(), by: "windowsupdate.delay")
        #expect(html.contains("data-parameter=\"windowsupdate.delay\""))
        #expect(html.contains("(the same in every run: 48.000 ms)"))
        #expect(
            throws: InputError(
                "no run of the campaign has the parameter 'windowsupdate.dely'; its parameters: windowsupdate.delay, windowsupdate.start")
        ) {
            try CampaignPage.html(campaignJSONText: sampleCampaign(), by: "windowsupdate.dely")
        }
    }

    @Test func keptFailuresLinkTheirTimelineAndShowTheReplay() throws {
        let html = try CampaignPage.html(campaignJSONText: sampleCampaign(), linkPrefix: "../out/")
        #expect(html.contains("<tr data-seed=\"4\"><td>4</td><td><a href=\"../out/failures/seed-4/timeline.html\">timeline</a></td>"))
        #expect(html.contains("<a href=\"../out/failures/seed-4/trace.json\">trace</a>"))
        #expect(html.contains("<code>rig run Rigs/sp1-hotfix-race.yaml --seed 4</code>"))
        #expect(networkReferences(html) == [])
    }

    @Test func withoutAVaryingParameterThePlotSaysSo() throws {
        let runs = """
            {"seed": 1, "verdict": "pass", "duration_ns": 1, "failed": [], "problems": [], "parameters": {"a.delay": 5}, "digest": null},
            {"seed": 2, "verdict": "fail", "duration_ns": 1, "failed": [], "problems": [], "parameters": {"a.delay": 5}, "digest": null}
            """
        let html = try CampaignPage.html(campaignJSONText: sampleCampaign(iterations: 2, runs: runs))
        #expect(html.contains("<p class=\"detail\" id=\"no-plot\">No seeded parameter varies across these runs (a.delay)"))
        #expect(!html.contains("<svg"))
        let bare = runs.replacingAll("{\"a.delay\": 5}", with: "{}")
        let none = try CampaignPage.html(campaignJSONText: sampleCampaign(iterations: 2, runs: bare))
        #expect(none.contains("The runs record no seeded parameters"))
    }

    @Test func anEmptyCampaignSaysSo() throws {
        let html = try CampaignPage.html(campaignJSONText: sampleCampaign(iterations: 0, runs: "", kept: ""))
        #expect(
            html.contains("<div class=\"empty\" id=\"empty\">This campaign ran no iterations (0 planned): there is nothing to show.</div>"))
        #expect(!html.contains("failure-rate"))
    }

    @Test func anotherVersionOrAMissingFieldIsRefused() {
        #expect(throws: InputError("a campaign of version 2; this rig reads version 1")) {
            try CampaignPage.html(campaignJSONText: sampleCampaign(version: "2"))
        }
        let noRuns = sampleCampaign().replacingAll("\"runs\": [", with: "\"laps\": [")
        #expect(throws: InputError("a campaign without a list \"runs\"")) { try CampaignPage.html(campaignJSONText: noRuns) }
        let badRun = sampleCampaign(runs: "{\"seed\": \"one\", \"verdict\": \"pass\"}")
        #expect(throws: InputError("a run without a numeric \"seed\"")) { try CampaignPage.html(campaignJSONText: badRun) }
    }
}

@Suite struct ReportInputTests {
    private func refusal(_ text: String) -> String? {
        do {
            _ = try ReportInput.recognize(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func eachKindIsRecognised() throws {
        guard case .campaign(let campaign) = try ReportInput.recognize(sampleCampaign()) else {
            Issue.record("a campaign was not recognised")
            return
        }
        #expect(campaign.runs.count == 3)
        guard case .run(let timeline) = try ReportInput.recognize(TraceWriterText.sample()) else {
            Issue.record("a trace was not recognised")
            return
        }
        #expect(timeline.rig == "race")
    }

    @Test func whatIsNotATraceOrACampaignIsRefusedWithWhatItIs() throws {
        #expect(refusal("") == "an empty file")
        #expect(refusal("[1, 2]") == "not a run trace or a campaign: not a JSON object")
        #expect(refusal("{\"traceEvents\": [") == "the file ends early (line 1, column 18): it is truncated")
        #expect(refusal("{\"a\": tru}") == "not JSON: line 1, column 10: expected 'true'")
        #expect(
            refusal("{\"rig\": \"x\", \"actors\": [], \"expectations\": []}")
                == "a run's results record (rig run --json), which holds no operations: give the run's trace (rig run --trace FILE)")
        #expect(
            refusal("{\"format\": \"patchrig-schedule\", \"version\": 1}")
                == "a 'patchrig-schedule' file, not a run trace (rig run --trace) or a campaign (rig stress --json)")
        #expect(refusal("{\"hello\": 1}") == "neither a run trace (rig run --trace) nor a campaign (rig stress --json)")
        let truncated = String(try TraceWriterText.sample().dropLast(200))
        #expect(refusal(truncated)?.hasSuffix("it is truncated") == true)
    }
}

/// The sample run's trace as text.
enum TraceWriterText {
    static func sample() throws -> String {
        TraceWriter.json(try SampleRun.history())
    }
}
