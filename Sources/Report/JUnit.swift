import RigModel

/// A run as JUnit XML (`rig run --junit FILE`) for CI: one `testsuite` named after the rig, one
/// `testcase` per expectation (with a `failure` carrying what was seen when it failed, an `error`
/// of type `unknown` when it could not be judged), then one `testcase` per run problem (always
/// failed). A run with neither gets a single passing `run` case so that the suite is never empty.
public enum JUnitWriter {
    /// The report as XML text (UTF-8, ending in a newline).
    public static func xml(_ history: RunHistory) -> String {
        let verdict = Checks.verdict(history)
        let suite = history.rig.name
        let seconds = seconds(from: history.startNs, to: history.endNs)
        var cases: [String] = []
        for result in verdict.expectations {
            switch result.verdict {
            case .pass: cases.append(testcase(suite: suite, name: result.text, failure: nil, type: "expectation"))
            case .fail(let detail): cases.append(testcase(suite: suite, name: result.text, failure: detail, type: "expectation"))
            case .unknown(let detail):
                cases.append(testcase(suite: suite, name: result.text, failure: detail, type: "unknown", element: "error"))
            }
        }
        for problem in verdict.problems {
            cases.append(testcase(suite: suite, name: "problem: \(problem)", failure: problem, type: "problem"))
        }
        if cases.isEmpty { cases.append(testcase(suite: suite, name: "run", failure: nil, type: "")) }
        let tests = cases.count
        let failures = verdict.failedCount + verdict.problems.count
        let errors = verdict.unknownCount
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"PatchRig\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(seconds)\">\n"
        out +=
            "  <testsuite name=\(attribute(suite)) tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"0\" time=\"\(seconds)\">\n"
        out += "    <properties>\n"
        out += "      <property name=\"file\" value=\(attribute(history.rig.file))/>\n"
        out += "      <property name=\"seed\" value=\"\(history.seed)\"/>\n"
        out += "    </properties>\n"
        for c in cases { out += c }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// A test case; with `failure`, a `failure` element (or `element`: `error`) carrying it.
    static func testcase(suite: String, name: String, failure: String?, type: String, element: String = "failure") -> String {
        let open = "    <testcase classname=\(attribute(suite)) name=\(attribute(name)) time=\"0\""
        guard let failure else { return open + "/>\n" }
        return open + ">\n"
            + "      <\(element) message=\(attribute(failure)) type=\(attribute(type))>\(text(failure))</\(element)>\n"
            + "    </testcase>\n"
    }

    /// Seconds with millisecond precision, as JUnit's `time` attribute wants.
    static func seconds(from start: UInt64, to end: UInt64) -> String {
        let ms = (end > start ? end - start : 0) / 1_000_000
        let fraction = String(ms % 1_000)
        return "\(ms / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// A double-quoted attribute value with `& < > " '` and line breaks escaped.
    static func attribute(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: appendLegal(scalar, to: &out)
            }
        }
        return out + "\""
    }

    /// Element text with `& < >` escaped.
    static func text(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\n", "\r", "\t": out.unicodeScalars.append(scalar)
            default: appendLegal(scalar, to: &out)
            }
        }
        return out
    }

    /// XML 1.0 cannot carry most control characters, even escaped: they become U+FFFD.
    private static func appendLegal(_ scalar: Unicode.Scalar, to out: inout String) {
        let v = scalar.value
        let legal = v >= 0x20 && v != 0xFFFE && v != 0xFFFF
        out.unicodeScalars.append(legal ? scalar : "\u{FFFD}")
    }
}
