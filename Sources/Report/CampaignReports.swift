import Foundation

/// A campaign's reports for people and CI: the lines `rig stress` prints, the Markdown summary
/// and the JUnit XML.
extension CampaignRecord {
    /// `7.4% (95% CI 5.4%–10.0%)`, or `no iterations`.
    public var rateText: String {
        guard let rate = failureRate, let interval else { return "no iterations" }
        return "\(percent(rate)) (95% CI \(percent(interval.low))–\(percent(interval.high)))"
    }

    /// Where the seeds are: `seeds 1...500`, `seeds 126...250 (shard 2/4)`.
    public var seedsText: String {
        let range = seeds.count == 0 ? "no seeds" : "seeds \(seeds.first)...\(seeds.end &- 1)"
        return range + (shard.map { " (shard \($0.index)/\($0.count))" } ?? "")
    }

    var scheduleText: String {
        switch schedule.strategy {
        case "pct": return "pct (depth \(schedule.depth ?? 0))"
        default: return schedule.strategy
        }
    }

    /// The summary `rig stress` prints at the end.
    public func text() -> String {
        var lines = [
            "stress: \(rig): \(iterations) of \(planned) iterations (\(seedsText), \(scheduleText)), \(failed) failed: \(rateText)"
                + (unknown > 0 ? ", \(unknown) unknown" : "") + ", \(oneDecimal(iterationsPerSecond)) iterations/s"
        ]
        if let stoppedBy { lines.append("  stopped by \(stoppedBy): the figures are of the iterations that finished") }
        for count in byExpectation { lines.append("  FAIL \(count.failures)×  \(count.text)") }
        for count in byProblem { lines.append("  PROBLEM \(count.count)×  \(count.kind)") }
        if let p = durationsNs.iteration {
            lines.append("  iteration: p50 \(milliseconds(p.p50)), p90 \(milliseconds(p.p90)), p99 \(milliseconds(p.p99))")
        }
        if !kept.isEmpty { lines.append("  failing seeds kept (the first \(kept.count)):") }
        if !kept.isEmpty && schedule.strategy == "free" {
            lines.append("  (a free run's seed replays its timing, not its outcome: --schedule pct finds seeds that fail every time)")
        }
        for failure in kept {
            lines.append("    seed \(failure.seed): \(failure.replay)   (\(build))")
            if let trace = failure.trace { lines.append("      trace: \(trace)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The Markdown summary (`--summary FILE`, `$GITHUB_STEP_SUMMARY`).
    public func markdown() -> String {
        var out = "## PatchRig stress: \(rig) — \(failed == 0 ? "no failures" : "\(failed) failed")\n\n"
        out += "| iterations | failed | failure rate (95% CI) | schedule | seeds | iterations/s |\n|---|---|---|---|---|---|\n"
        out +=
            "| \(iterations) of \(planned) | \(failed) | \(rateText) | \(scheduleText) | \(seedsText) | \(oneDecimal(iterationsPerSecond)) |\n\n"
        if let stoppedBy { out += "Stopped by \(stoppedBy): the figures are of the iterations that finished.\n\n" }
        if !byExpectation.isEmpty || !byProblem.isEmpty {
            out += "| failed | count |\n|---|---|\n"
            for count in byExpectation { out += "| \(cell(count.text)) | \(count.failures) |\n" }
            for count in byProblem { out += "| problem: \(count.kind) | \(count.count) |\n" }
            out += "\n"
        }
        if let p = durationsNs.iteration {
            out += "| duration | p50 | p90 | p99 |\n|---|---|---|---|\n"
            out += "| iteration | \(milliseconds(p.p50)) | \(milliseconds(p.p90)) | \(milliseconds(p.p99)) |\n"
            for name in durationsNs.actors.keys.sorted() {
                let a = durationsNs.actors[name]!
                out += "| \(cell(name)) | \(milliseconds(a.p50)) | \(milliseconds(a.p90)) | \(milliseconds(a.p99)) |\n"
            }
            out += "\n"
        }
        if !kept.isEmpty {
            out += "Failing seeds kept (built by `\(build)`):\n\n"
            for failure in kept {
                out += "- seed \(failure.seed): `\(failure.replay)`" + (failure.trace.map { " — trace `\($0)`" } ?? "") + "\n"
            }
        }
        return out
    }

    /// JUnit XML: one test case named after the rig, with a `failure` element for each kept
    /// failing seed (its replay command and trace path) and one more for the failures not kept.
    public func junit() -> String {
        var failures: [String] = kept.map { failure in
            let body =
                "seed \(failure.seed) failed: \(runs.first { $0.seed == failure.seed }?.failed.joined(separator: "; ") ?? "")\n"
                + "replay: \(failure.replay)   (\(build))\n" + (failure.trace.map { "trace: \($0)\n" } ?? "")
            return "      <failure message=\(JUnitWriter.attribute("seed \(failure.seed): \(failure.replay)")) type=\"failing seed\">"
                + JUnitWriter.text(body) + "</failure>\n"
        }
        if failed > kept.count {
            let message = "\(failed - kept.count) more failing seeds not kept (--keep-failures \(keepFailures))"
            failures.append("      <failure message=\(JUnitWriter.attribute(message)) type=\"failing seeds\"/>\n")
        }
        let seconds = JUnitWriter.seconds(from: 0, to: wallNs)
        let anyFailed = failed > 0 ? 1 : 0
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"PatchRig stress\" tests=\"1\" failures=\"\(anyFailed)\" errors=\"0\" time=\"\(seconds)\">\n"
        out +=
            "  <testsuite name=\(JUnitWriter.attribute(rig)) tests=\"1\" failures=\"\(anyFailed)\" errors=\"0\" skipped=\"0\" time=\"\(seconds)\">\n"
        out += "    <properties>\n"
        for (name, value) in [
            ("file", rigFile), ("schedule", scheduleText), ("seeds", seedsText), ("iterations", "\(iterations)"),
            ("failed", "\(failed)"), ("failure_rate", rateText), ("build", build),
        ] {
            out += "      <property name=\"\(name)\" value=\(JUnitWriter.attribute(value))/>\n"
        }
        out += "    </properties>\n"
        let name = "\(rig): \(failed) of \(iterations) iterations failed"
        out += "    <testcase classname=\(JUnitWriter.attribute(rig)) name=\(JUnitWriter.attribute(name)) time=\"\(seconds)\""
        out += failures.isEmpty ? "/>\n" : ">\n" + failures.joined() + "    </testcase>\n"
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}

private func percent(_ x: Double) -> String { oneDecimal(x * 100) + "%" }

private func oneDecimal(_ x: Double) -> String {
    let tenths = Int((x * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

private func milliseconds(_ ns: UInt64) -> String { oneDecimal(Double(ns) / 1e6) + " ms" }

private func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
