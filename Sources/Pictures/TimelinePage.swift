import Report

/// The run timeline as one self-contained HTML file: a lane per process grouped by the machine's
/// boots, each operation a bar coloured by its result, the machine lane's boot phases, arrows for
/// releases and child processes, the expectations with the operations that explain a failed one
/// highlighted; zoom and pan on the time axis. Nothing is fetched: the style, the script and the
/// run (as compact JSON the script draws on a canvas) are inline.
public enum TimelinePage {
    /// The page of a run, from its history (`rig run --html`).
    public static func html(_ history: RunHistory) -> String {
        html(RunTimeline(history))
    }

    /// The page of a run, from its trace's text (`rig report TRACE --html`).
    public static func html(traceJSONText text: String) throws -> String {
        html(try RunTimeline(trace: JSONReader.parse(text)))
    }

    /// The page of one run or several (one after another, each with its own timeline).
    public static func html(_ timelines: RunTimeline...) -> String { html(timelines) }

    /// The page of one run or several (one after another, each with its own timeline).
    public static func html(_ timelines: [RunTimeline]) -> String {
        let title: String
        if timelines.count == 1, let only = timelines.first {
            title = "\(only.rig) seed \(only.seed): \(only.passed ? "PASSED" : "FAILED")"
        } else {
            title = "\(timelines.count) runs: \(timelines.filter { !$0.passed }.count) failed"
        }
        var page = HTMLText.head(title: title, style: PageStyle.css)
        page += "<body>\n"
        for (index, timeline) in timelines.enumerated() {
            page += section(timeline, index: index)
        }
        page += "<div id=\"tip\" hidden></div>\n"
        page += HTMLText.errorBox
        page += "<script>\n\(TimelineScript.source)\n</script>\n</body>\n</html>\n"
        return page
    }

    /// One run: its header, verdicts, legend, the timeline's frame and its data.
    static func section(_ timeline: RunTimeline, index: Int) -> String {
        let explained = timeline.expectations.map { Explanation.operations(explaining: $0, in: timeline) }
        let escape = HTMLText.escape
        var out = "<section class=\"run\" data-run=\"\(index)\" data-passed=\"\(timeline.passed)\">\n<header>\n"
        out += "<h1>\(escape(timeline.rig)) <span class=\"verdict \(timeline.passed ? "passed" : "failed")\">"
        out += "\(timeline.passed ? "PASSED" : "FAILED")</span></h1>\n"
        var meta = [escape(timeline.file), "seed \(escape(timeline.seed))"]
        if let schedule = timeline.schedule {
            meta.append("schedule \(escape(schedule)) (virtual time)" + (timeline.digest.map { ", digest \(escape($0))" } ?? ""))
        } else {
            meta.append("free schedule (real time)")
        }
        meta.append(TimeText.duration(timeline.duration))
        let started = timeline.lanes.filter { $0.pid != nil }.count
        meta.append(
            "\(started) process\(started == 1 ? "" : "es"), \(timeline.operations.count) operation\(timeline.operations.count == 1 ? "" : "s")"
        )
        out += "<div class=\"meta\">\(meta.joined(separator: " · "))</div>\n</header>\n<main>\n"

        out += "<h2>Expectations</h2>\n"
        if timeline.expectations.isEmpty {
            out += "<p class=\"meta\">The rig expects nothing.</p>\n"
        } else {
            out += "<ul class=\"expectations\">\n"
            for (i, verdict) in timeline.expectations.enumerated() {
                let kind = ["pass", "fail"].contains(verdict.verdict) ? verdict.verdict : "unknown"
                out +=
                    "<li class=\"expectation \(kind)\" data-verdict=\"\(kind)\" data-index=\"\(i)\" data-explained=\"\(explained[i].count)\">"
                out += "<span class=\"badge\">\(kind.uppercased())</span>\(escape(verdict.text))"
                out += "<span class=\"detail\">: \(escape(verdict.detail))</span>"
                if kind != "pass" { out += explanation(explained[i], timeline) }
                out += "</li>\n"
            }
            out += "</ul>\n"
        }
        let problems = timeline.problems
        if !problems.isEmpty {
            out += "<h2>Problems</h2>\n<ul class=\"problems\">\n"
            for problem in problems { out += "<li>\(escape(problem))</li>\n" }
            out += "</ul>\n"
        }
        out += legend()
        out += """
            <div class="toolbar">
            <button type="button" data-action="in" title="Zoom in (+)">Zoom in</button>
            <button type="button" data-action="out" title="Zoom out (-)">Zoom out</button>
            <button type="button" data-action="fit" title="The whole run (0)">Fit</button>
            <button type="button" data-action="failure" title="Zoom to the operations that explain the failed expectations">Zoom to the failure</button>
            <label><input type="checkbox" data-action="arrows" checked> arrows</label>
            <span class="hint">Ctrl+wheel (or wheel over the time axis): zoom · drag: pan · hover: details · click an expectation: its operations</span>
            <span class="hint" data-role="range"></span>
            </div>
            <div class="timeline" id="\(index == 0 ? "timeline" : "timeline-\(index)")"></div>
            <output class="status" hidden></output>

            """
        out +=
            "<script type=\"application/json\" class=\"run-data\">\(HTMLText.scriptSafe(TimelineData.json(timeline, explained: explained)))</script>\n"
        out += "</main>\n</section>\n"
        return out
    }

    /// A failed expectation's explaining operations, as a list a click zooms to.
    static func explanation(_ indices: [Int], _ timeline: RunTimeline) -> String {
        guard !indices.isEmpty else { return "<div class=\"detail\" style=\"margin-left:74px\">no operation names what it is about</div>" }
        var out = "<details class=\"explained\"><summary>explained by \(indices.count) operation\(indices.count == 1 ? "" : "s") "
        out += "(highlighted)</summary><ol>\n"
        for index in indices.prefix(200) {
            let op = timeline.operations[index]
            let args = op.arguments.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            out += "<li data-op=\"\(index)\">\(TimeText.duration(op.from)) \(HTMLText.escape(timeline.lanes[op.lane].name)): "
            out += "\(HTMLText.escape(op.name)) \(HTMLText.escape(args)) → \(HTMLText.escape(op.result))</li>\n"
        }
        if indices.count > 200 { out += "<li>… \(indices.count - 200) more</li>\n" }
        return out + "</ol></details>"
    }

    /// The colours of results, machine phases and arrows.
    static func legend() -> String {
        var items = OperationOutcome.allCases.map {
            "<span><span class=\"swatch\" style=\"background:\($0.color)\"></span>\(HTMLText.escape($0.legend))</span>"
        }
        items.append("<span><span class=\"swatch\" style=\"background:#ffcc00\"></span>explains a failed expectation</span>")
        for (kind, color, words) in TimelineData.arrowKinds {
            items.append(
                "<span><span class=\"swatch\" style=\"background:\(color);height:3px\" data-arrow=\"\(kind)\"></span>\(words)</span>")
        }
        return "<div class=\"legend\">\(items.joined(separator: "\n"))</div>\n"
    }
}

/// Times as the page writes them: `950.207 ms`, `1.500 s`, `12.000 µs`.
enum TimeText {
    static func duration(_ ns: Int64) -> String {
        let magnitude = ns.magnitude
        let sign = ns < 0 ? "-" : ""
        if magnitude >= 10_000_000_000 { return sign + decimal(magnitude, 1_000_000_000, 2) + " s" }
        if magnitude >= 1_000_000 { return sign + decimal(magnitude, 1_000_000, 3) + " ms" }
        if magnitude >= 1_000 { return sign + decimal(magnitude, 1_000, 3) + " µs" }
        return sign + "\(magnitude) ns"
    }

    /// `value / unit` with `places` decimals, rounded half up.
    static func decimal(_ value: UInt64, _ unit: UInt64, _ places: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<places { scale *= 10 }
        let step = unit / scale  // a unit is a power of ten with at least `places` zeros
        let scaled = value / step + (value % step >= (step + 1) / 2 ? 1 : 0)
        let whole = scaled / scale
        var fraction = String(scaled % scale)
        while fraction.count < places { fraction = "0" + fraction }
        return places == 0 ? "\(whole)" : "\(whole).\(fraction)"
    }
}
