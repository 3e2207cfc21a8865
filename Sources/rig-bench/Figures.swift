// Every figure of a benchmark run, printed as it is measured and written to `--json FILE` at the
// end under stable keys.
import Glibc

/// One figure: a measured value beside the baseline measured in the same run.
struct Figure {
    /// The stable key (`spawn_to_hello`, `controlled_race_run`, ...).
    var key: String
    var title: String
    var value: Double
    /// `ns`, `ns/op`, `iterations/s`, `bytes`, `KiB`.
    var unit: String
    var baseline: Double
    var baselineName: String
    /// value / baseline, or baseline / value for a rate (`higherIsBetter`): above 1 is slower.
    var ratio: Double
    /// The target ratio, if the figure has one.
    var target: Double?
    /// Figures that are not ratios (an absolute target, the pieces of a floor).
    var extra: [(String, Double)] = []
}

final class Figures {
    private(set) var all: [Figure] = []

    /// Records and prints a figure. For a rate (`higherIsBetter`) the ratio is baseline / value.
    func record(
        _ key: String, _ title: String, value: Double, unit: String, baseline: Double, baselineName: String, target: Double? = nil,
        higherIsBetter: Bool = false, extra: [(String, Double)] = []
    ) {
        let ratio = higherIsBetter ? baseline / max(value, 1e-12) : value / max(baseline, 1e-12)
        let figure = Figure(
            key: key, title: title, value: value, unit: unit, baseline: baseline, baselineName: baselineName, ratio: ratio, target: target,
            extra: extra)
        all.append(figure)
        var line = "\(title): \(decimal(value)) \(unit) (\(baselineName) \(decimal(baseline)) \(unit)) ratio \(decimal(ratio))x"
        if let target { line += ", target <= \(target)x: \(ratio <= target ? "within" : "OVER")" }
        for (name, number) in extra { line += "; \(name) \(decimal(number))" }
        print(line)
        fflush(nil)
    }

    /// `{"format": "patchrig-bench", "version": 1, "quick": ..., "figures": {KEY: {...}}}`.
    func json(quick: Bool, cores: Int) -> String {
        var out =
            "{\n  \"format\": \"patchrig-bench\",\n  \"version\": 1,\n  \"quick\": \(quick),\n  \"cores\": \(cores),\n  \"figures\": {"
        for (i, f) in all.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    \"\(f.key)\": {\"title\": \(quoted(f.title)), \"value\": \(number(f.value)), \"unit\": \(quoted(f.unit)), "
            out += "\"baseline\": \(number(f.baseline)), \"baseline_name\": \(quoted(f.baselineName)), \"ratio\": \(number(f.ratio)), "
            out +=
                "\"target\": \(f.target.map(number) ?? "null"), \"within\": \(f.target.map { f.ratio <= $0 ? "true" : "false" } ?? "null")"
            for (name, value) in f.extra { out += ", \(quoted(name)): \(number(value))" }
            out += "}"
        }
        return out + "\n  }\n}\n"
    }
}

func decimal(_ x: Double) -> String {
    if x >= 100 { return String(Int(x.rounded())) }
    let hundredths = Int((x * 100).rounded())
    let frac = hundredths % 100
    return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
}

private func number(_ x: Double) -> String {
    x.isFinite ? (x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)) : "null"
}

private func quoted(_ text: String) -> String {
    "\"" + text.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"") + "\""
}

extension String {
    fileprivate func replacingAll(_ a: Character, _ b: String) -> String {
        var out = ""
        for c in self { if c == a { out += b } else { out.append(c) } }
        return out
    }
}
