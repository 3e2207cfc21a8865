import Foundation
import RigModel

/// The plain-text summary `rig run` prints: one line per expectation, one per native image of
/// the machine that is not fresh, the problems, and a last line with the verdict.
///
///     PASS  installer exits with 0 or 3010: exited with code 3010 (process status 194)
///     FAIL  app exits with 0: killed by signal 9
///     UNKNOWN  ngen exits with 0: timed out after 5s; killed (killed by signal 9)
///     FAIL  every native image is fresh: System.Web: stale (System.dll changed)
///     STALE  native image of System.Web: System.dll changed
///     PROBLEM  actor 'app': timed out after 5s
///     smoke: FAILED (1 of 2 expectations failed, 1 problem), seed 1, 12.345ms
public enum SummaryWriter {
    /// The summary, one line per item, ending in a newline.
    public static func text(_ history: RunHistory) -> String {
        let verdict = Checks.verdict(history)
        var lines: [String] = []
        for result in verdict.expectations {
            lines.append("\(label(result.verdict))  \(result.text): \(result.detail)")
        }
        lines += machineLines(history.machine)
        for fault in history.faults { lines.append("FAULT  \(fault.text): \(fault.detail)") }
        for problem in verdict.problems { lines.append("PROBLEM  \(problem)") }
        var counts: [String] = []
        let total = verdict.expectations.count
        let unknown = verdict.unknownCount
        if verdict.failedCount > 0 {
            counts.append("\(verdict.failedCount) of \(total) expectation\(total == 1 ? "" : "s") failed")
            if unknown > 0 { counts.append("\(unknown) unknown") }
        } else if unknown > 0 {
            counts.append("\(unknown) of \(total) expectation\(total == 1 ? "" : "s") unknown")
        } else {
            counts.append("\(total) expectation\(total == 1 ? "" : "s") held")
        }
        let p = verdict.problems.count
        if p > 0 { counts.append("\(p) problem\(p == 1 ? "" : "s")") }
        let elapsed = RigDuration(nanoseconds: history.endNs > history.startNs ? history.endNs - history.startNs : 0)
        let word = verdict.passed ? "PASSED" : "FAILED"
        lines.append("\(history.rig.name): \(word) (\(counts.joined(separator: ", "))), seed \(history.seed), \(millis(elapsed))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The machine's native images that are not fresh, whether or not an expectation is about
    /// them: a stale image is the performance loss servicing can leave behind (the runtime falls
    /// back to JIT), so the summary always shows it, with why.
    ///
    ///     STALE  native image of System.Web: System.dll changed (1.1.4322.573 -> 1.1.4322.2032)
    ///     MISSING  native image of System.Xml
    static func machineLines(_ machine: MachineSnapshot?) -> [String] {
        guard let machine else { return [] }
        return machine.nativeImages.filter { $0.status != "fresh" }.map { image in
            let why = image.reasons.isEmpty ? "" : ": " + image.reasons.joined(separator: "; ")
            return "\(image.status.uppercased())  native image of \(image.assembly)\(why)"
        }
    }

    /// `PASS`, `FAIL` or `UNKNOWN`: how a verdict reads in the summaries.
    static func label(_ verdict: Verdict) -> String {
        switch verdict {
        case .pass: return "PASS"
        case .fail: return "FAIL"
        case .unknown: return "UNKNOWN"
        }
    }

    /// `12.345ms`: milliseconds with microsecond precision.
    static func millis(_ d: RigDuration) -> String {
        let us = d.nanoseconds / 1_000
        let fraction = String(us % 1_000)
        return "\(us / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction + "ms"
    }
}

extension SummaryWriter {
    /// The summary as Markdown (for a CI job summary): the verdict, a table of expectations, the
    /// problems, the machine's native images that are not fresh and its pending renames, and a
    /// table of actors.
    public static func markdown(_ history: RunHistory) -> String {
        let verdict = Checks.verdict(history)
        func cell(_ text: String) -> String {
            text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var out = "## \(cell(history.rig.name)): \(verdict.passed ? "PASSED" : "FAILED")\n\n"
        out += "Rig `\(history.rig.file)`, seed \(history.seed).\n\n"
        if !verdict.expectations.isEmpty {
            out += "| | expectation | seen |\n|---|---|---|\n"
            for result in verdict.expectations {
                out += "| \(label(result.verdict)) | \(cell(result.text)) | \(cell(result.detail)) |\n"
            }
            out += "\n"
        }
        if !verdict.problems.isEmpty {
            out += "Problems:\n\n" + verdict.problems.map { "- \(cell($0))\n" }.joined() + "\n"
        }
        if let machine = history.machine {
            let notFresh = machine.nativeImages.filter { $0.status != "fresh" }
            if !notFresh.isEmpty {
                out += "Native images not fresh:\n\n| assembly | status | why |\n|---|---|---|\n"
                for image in notFresh {
                    out += "| \(cell(image.assembly)) | \(image.status) | \(cell(image.reasons.joined(separator: "; "))) |\n"
                }
                out += "\n"
            }
            if !machine.pendingRenames.isEmpty {
                out += "Renames pending for the next boot:\n\n"
                out += machine.pendingRenames.map { "- `\(cell($0))`\n" }.joined() + "\n"
            }
        }
        out += "| actor | role | pid | outcome | events |\n|---|---|---|---|---|\n"
        for actor in history.actors {
            let pid = actor.pid.map(String.init) ?? "–"
            out += "| \(actor.name) | \(actor.role) | \(pid) | \(cell(actor.outcome)) | \(actor.events.count) |\n"
        }
        return out
    }
}
