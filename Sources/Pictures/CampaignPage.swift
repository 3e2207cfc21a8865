/// The campaign page: one self-contained HTML file (no script needed, the plot is inline SVG) with
/// the failure rate and its interval, failures per expectation and per problem, duration
/// percentiles, an outcome plot of every iteration against a seeded parameter — where the race
/// bites — and each kept failing seed with its timeline and the command that replays it.
public enum CampaignPage {
    /// Runs beyond this many are not drawn as points (the failure rate per bin still is).
    static let pointLimit = 5000
    /// Bins of the failure-rate bars over the parameter's range.
    static let bins = 20

    /// The page of a campaign given as its JSON text (`rig stress --json`, `rig merge`).
    ///
    /// `by` names the parameter to plot outcomes against (a key of the runs' `parameters`, e.g.
    /// `windowsupdate.delay`); nil picks the first one that varies across runs. `linkPrefix` is
    /// put before the kept failures' relative paths: the campaign file's directory as seen from
    /// the page's (empty when the page is written beside it).
    public static func html(campaignJSONText text: String, by: String? = nil, linkPrefix: String = "") throws -> String {
        try html(Campaign(json: JSONReader.parse(text)), by: by, linkPrefix: linkPrefix)
    }

    /// The page of a campaign; `by` and `linkPrefix` as above. A `by` that no run has is refused.
    public static func html(_ campaign: Campaign, by: String? = nil, linkPrefix: String = "") throws(InputError) -> String {
        if let by, !campaign.parameterNames.contains(by) {
            let known = campaign.parameterNames
            throw InputError(
                "no run of the campaign has the parameter '\(by)'"
                    + (known.isEmpty ? " (its runs record no parameters)" : "; its parameters: \(known.joined(separator: ", "))"))
        }
        let escape = HTMLText.escape
        let title = "\(campaign.rig): \(campaign.failed) of \(campaign.iterations) failed"
        var page = HTMLText.head(title: title, style: PageStyle.css) + "<body>\n<header>\n"
        page +=
            "<h1>\(escape(campaign.rig)) campaign <span class=\"verdict \(campaign.failed + campaign.unknown > 0 ? "failed" : "passed")\">"
        page += "\(campaign.failed) of \(campaign.iterations) failed</span></h1>\n"
        var meta: [String] = []
        if let file = campaign.rigFile { meta.append(escape(file)) }
        if let schedule = campaign.schedule { meta.append("schedule \(escape(schedule))") }
        if let first = campaign.firstSeed, let count = campaign.seedCount {
            if count > 0, let from = UInt64(first) {
                let (last, overflow) = from.addingReportingOverflow(UInt64(count - 1))
                meta.append(count == 1 ? "seed \(from)" : "seeds \(from)–\(overflow ? "…" : String(last)) (\(count))")
            } else {
                meta.append(count > 0 ? "\(count) seeds from \(escape(first))" : "no seeds")
            }
        }
        if let shard = campaign.shard { meta.append("shard \(escape(shard))") }
        if let build = campaign.build { meta.append(escape(build)) }
        if let wall = campaign.wallNs {
            meta.append("ran \(TimeText.duration(wall))" + (campaign.iterationsPerSecond.map { ", \(fixed($0, 1)) iterations/s" } ?? ""))
        }
        page += "<div class=\"meta\">\(meta.joined(separator: " · "))</div>\n</header>\n<main>\n"
        if campaign.interrupted {
            page +=
                "<p class=\"detail\" id=\"interrupted\">The campaign was interrupted after \(campaign.iterations) of \(campaign.planned) iterations.</p>\n"
        }
        guard campaign.iterations > 0 || !campaign.runs.isEmpty else {
            page +=
                "<div class=\"empty\" id=\"empty\">This campaign ran no iterations (\(campaign.planned) planned): there is nothing to show.</div>\n"
            return page + "</main>\n" + HTMLText.errorBox + rendered + "</body>\n</html>\n"
        }
        page += rate(campaign)
        page += plot(campaign, by: by ?? campaign.firstVaryingParameter, linkPrefix: linkPrefix)
        page += tables(campaign)
        page += kept(campaign, linkPrefix: linkPrefix)
        page += failingRuns(campaign)
        return page + "</main>\n" + HTMLText.errorBox + rendered + "</body>\n</html>\n"
    }

    /// The page says it has been laid out (the browser tests wait for nothing else: the page has
    /// no other script).
    static let rendered = "<script>document.body.setAttribute(\"data-rendered\", \"true\");</script>\n"

    /// The failure rate, its interval and the counts.
    static func rate(_ c: Campaign) -> String {
        let rate = c.failureRate ?? (c.iterations > 0 ? Double(c.failed) / Double(c.iterations) : 0)
        var out = "<h2>Failure rate</h2>\n<div class=\"rate\" id=\"failure-rate\">\(percent(rate)) failed</div>\n"
        if let interval = c.interval {
            out +=
                "<div id=\"interval\">\(percent(interval.confidence, places: 0)) \(HTMLText.escape(interval.method.capitalizedFirst)) interval: "
            out += "\(percent(interval.low)) – \(percent(interval.high))</div>\n"
        }
        out += "<div class=\"meta\" id=\"counts\">\(c.failed) failed, \(c.passed) passed, \(c.unknown) unknown of \(c.iterations) iteration"
        out += "\(c.iterations == 1 ? "" : "s") (\(c.planned) planned)</div>\n"
        return out
    }

    /// Every iteration a point at its parameter's value, in a row by verdict, under the failure
    /// rate of each bin of the parameter's range.
    static func plot(_ c: Campaign, by parameter: String?, linkPrefix: String) -> String {
        var out = "<h2>Outcome by seeded parameter</h2>\n"
        guard let parameter else {
            let names = c.parameterNames
            let why =
                names.isEmpty
                ? "The runs record no seeded parameters: there is nothing to plot outcomes against."
                : "No seeded parameter varies across these runs (\(names.map(HTMLText.escape).joined(separator: ", "))): there is nothing to plot outcomes against."
            return out + "<p class=\"detail\" id=\"no-plot\">\(why)</p>\n"
        }
        let points = c.runs.compactMap { run -> (run: Campaign.Run, value: Double)? in
            run.parameters.first { $0.name == parameter }.map { (run, $0.value) }
        }
        let values = points.map(\.value)
        guard let low = values.min(), let high = values.max() else {
            return out + "<p class=\"detail\" id=\"no-plot\">No run has \(HTMLText.escape(parameter)).</p>\n"
        }
        let nanoseconds = parameter.hasSuffix(".delay") || parameter.hasSuffix(".start") || parameter.hasSuffix("_ns")
        func label(_ v: Double) -> String { nanoseconds ? TimeText.duration(Int64(v.rounded())) : fixed(v, 2) }
        let lo = low == high ? low - 1 : low
        let hi = low == high ? high + 1 : high
        let width = 900.0
        let height = 300.0
        let left = 70.0
        let right = 20.0
        let plotWidth = width - left - right
        func x(_ v: Double) -> Double { left + (v - lo) / (hi - lo) * plotWidth }
        let rows: [(verdict: String, y: Double)] = [("fail", 160), ("unknown", 200), ("pass", 240)]

        out += "<p class=\"meta\">Each iteration is a point at its <code>\(HTMLText.escape(parameter))</code>"
        out += (low == high ? " (the same in every run: \(label(low)))" : ", from \(label(low)) to \(label(high))")
        out += "; the bars above show the failure rate of each of \(bins) equal ranges of it.</p>\n"
        out += "<svg id=\"outcome-plot\" data-parameter=\"\(HTMLText.escape(parameter))\" data-points=\"\(points.count)\" "
        out += "width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">\n"
        // The failure rate per bin, 0 to 100% over 20…120.
        var total = [Int](repeating: 0, count: bins)
        var failing = [Int](repeating: 0, count: bins)
        for point in points {
            let bin = min(bins - 1, max(0, Int((point.value - lo) / (hi - lo) * Double(bins))))
            total[bin] += 1
            if point.run.verdict == "fail" { failing[bin] += 1 }
        }
        out += "<line class=\"grid\" x1=\"\(left)\" y1=\"20\" x2=\"\(left + plotWidth)\" y2=\"20\"/>"
        out += "<line class=\"axis\" x1=\"\(left)\" y1=\"120\" x2=\"\(left + plotWidth)\" y2=\"120\"/>\n"
        out += "<text x=\"4\" y=\"24\">100% failed</text><text x=\"4\" y=\"124\">0%</text>\n"
        for bin in 0..<bins where total[bin] > 0 {
            let rate = Double(failing[bin]) / Double(total[bin])
            let barHeight = rate * 100
            let x0 = left + Double(bin) / Double(bins) * plotWidth
            out += "<rect class=\"bin\" data-failed=\"\(failing[bin])\" data-runs=\"\(total[bin])\" x=\"\(fixed(x0 + 1, 1))\" "
            out +=
                "y=\"\(fixed(120 - barHeight, 1))\" width=\"\(fixed(plotWidth / Double(bins) - 2, 1))\" height=\"\(fixed(barHeight, 1))\">"
            out += "<title>\(failing[bin]) of \(total[bin]) failed</title></rect>\n"
        }
        for row in rows {
            out += "<text x=\"4\" y=\"\(Int(row.y) + 4)\">\(row.verdict)</text>"
            out += "<line class=\"grid\" x1=\"\(left)\" y1=\"\(row.y)\" x2=\"\(left + plotWidth)\" y2=\"\(row.y)\"/>\n"
        }
        out += "<line class=\"axis\" x1=\"\(left)\" y1=\"262\" x2=\"\(left + plotWidth)\" y2=\"262\"/>\n"
        for tick in 0...5 {
            let v = lo + (hi - lo) * Double(tick) / 5
            let anchor = tick == 0 ? "start" : (tick == 5 ? "end" : "middle")
            out += "<text x=\"\(fixed(x(v), 1))\" y=\"278\" text-anchor=\"\(anchor)\">\(label(v))</text>\n"
        }
        out += "<text x=\"\(fixed(left + plotWidth / 2, 1))\" y=\"296\" text-anchor=\"middle\">\(HTMLText.escape(parameter))</text>\n"
        if points.count <= pointLimit {
            let links = Dictionary(c.kept.compactMap { k in k.html.map { (k.seed, $0) } }, uniquingKeysWith: { a, _ in a })
            for point in points {
                let row = rows.first { $0.verdict == point.run.verdict } ?? rows[1]
                let y = row.y + jitter(point.run.seed)
                let title = "seed \(point.run.seed): \(point.run.verdict) · \(parameter) = \(label(point.value))"
                let circle =
                    "<circle class=\"\(row.verdict)\" data-seed=\"\(HTMLText.escape(point.run.seed))\" cx=\"\(fixed(x(point.value), 1))\" "
                    + "cy=\"\(fixed(y, 1))\" r=\"3\" fill-opacity=\"0.7\"><title>\(HTMLText.escape(title))</title></circle>"
                if let link = links[point.run.seed] {
                    out += "<a href=\"\(HTMLText.escape(linkPrefix + link))\">\(circle)</a>\n"
                } else {
                    out += circle + "\n"
                }
            }
        }
        out += "</svg>\n"
        if points.count > pointLimit {
            out += "<p class=\"meta\">\(points.count) runs: too many to draw as points; the bars show their failure rate.</p>\n"
        }
        if points.count < c.runs.count {
            out += "<p class=\"meta\">\(c.runs.count - points.count) run(s) without \(HTMLText.escape(parameter)) are not drawn.</p>\n"
        }
        return out
    }

    /// A point's offset within its row, from its seed: the same page for the same campaign.
    static func jitter(_ seed: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Double(hash % 25) - 12
    }

    /// Failures per expectation, problems by kind, duration percentiles.
    static func tables(_ c: Campaign) -> String {
        let escape = HTMLText.escape
        var out = "<h2>Failures per expectation</h2>\n"
        if c.byExpectation.isEmpty {
            out += "<p class=\"meta\">No expectation failed.</p>\n"
        } else {
            out += "<table id=\"by-expectation\"><tr><th>expectation</th><th class=\"number\">failures</th></tr>\n"
            for entry in c.byExpectation {
                out += "<tr><td>\(escape(entry.text))</td><td class=\"number\">\(entry.failures)</td></tr>\n"
            }
            out += "</table>\n"
        }
        let problems = c.byProblem.filter { $0.count > 0 }
        if !problems.isEmpty {
            out += "<h2>Problems</h2>\n<table id=\"by-problem\"><tr><th>kind</th><th class=\"number\">runs</th></tr>\n"
            for entry in problems { out += "<tr><td>\(escape(entry.kind))</td><td class=\"number\">\(entry.count)</td></tr>\n" }
            out += "</table>\n"
        }
        out += "<h2>Durations</h2>\n<table id=\"durations\"><tr><th></th><th class=\"number\">p50</th><th class=\"number\">p90</th>"
        out += "<th class=\"number\">p99</th></tr>\n"
        func row(_ name: String, _ p: Campaign.Percentiles) -> String {
            let cells = [p.p50, p.p90, p.p99].map { "<td class=\"number\">\($0.map(TimeText.duration) ?? "–")</td>" }.joined()
            return "<tr><td>\(escape(name))</td>\(cells)</tr>\n"
        }
        if let iteration = c.iterationDurations { out += row("iteration", iteration) }
        for actor in c.actorDurations { out += row(actor.actor, actor.percentiles) }
        return out + "</table>\n"
    }

    /// The kept failing seeds: timeline, trace, results and the replay command.
    static func kept(_ c: Campaign, linkPrefix: String) -> String {
        let escape = HTMLText.escape
        var out = "<h2>Kept failures</h2>\n"
        guard !c.kept.isEmpty else { return out + "<p class=\"meta\">No failing seed was kept.</p>\n" }
        out += "<table id=\"kept\"><tr><th>seed</th><th>timeline</th><th>trace</th><th>results</th><th>replay</th></tr>\n"
        func link(_ path: String?, _ words: String) -> String {
            guard let path else { return "–" }
            let target = path.hasPrefix("/") ? path : linkPrefix + path
            return "<a href=\"\(escape(target))\">\(words)</a>"
        }
        for k in c.kept {
            out += "<tr data-seed=\"\(escape(k.seed))\"><td>\(escape(k.seed))</td><td>\(link(k.html, "timeline"))</td>"
            out += "<td>\(link(k.trace, "trace"))</td><td>\(link(k.results, "results"))</td>"
            out += "<td>\(k.replay.map { "<code>\(escape($0))</code>" } ?? "–")</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// The runs that did not pass, first 500.
    static func failingRuns(_ c: Campaign) -> String {
        let escape = HTMLText.escape
        let failing = c.runs.filter { $0.verdict != "pass" }
        guard !failing.isEmpty else { return "" }
        var out = "<h2>Runs that did not pass</h2>\n<table id=\"failing-runs\"><tr><th>seed</th><th>verdict</th><th>failed</th>"
        out += "<th>problems</th><th class=\"number\">duration</th></tr>\n"
        for run in failing.prefix(500) {
            out +=
                "<tr><td>\(escape(run.seed))</td><td>\(escape(run.verdict))</td><td>\(run.failed.map(escape).joined(separator: "<br>"))</td>"
            out += "<td>\(run.problems.map(escape).joined(separator: "<br>"))</td>"
            out += "<td class=\"number\">\(run.durationNs.map(TimeText.duration) ?? "–")</td></tr>\n"
        }
        if failing.count > 500 { out += "<tr><td colspan=\"5\">… \(failing.count - 500) more</td></tr>\n" }
        return out + "</table>\n"
    }

    /// `2.40%` (a fraction as a percentage).
    static func percent(_ fraction: Double, places: Int = 2) -> String { fixed(fraction * 100, places) + "%" }
}

/// `value` with `places` decimals (no Foundation).
func fixed(_ value: Double, _ places: Int) -> String {
    guard value.isFinite else { return String(value) }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e15 else { return String(value) }
    let whole = Int64(scaled) / Int64(scale)
    var fraction = String(Int64(scaled) % Int64(scale))
    while fraction.count < places { fraction = "0" + fraction }
    return (value < 0 && scaled != 0 ? "-" : "") + "\(whole)" + (places > 0 ? "." + fraction : "")
}

extension String {
    /// The text with its first letter upper-case (`wilson` → `Wilson`).
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
