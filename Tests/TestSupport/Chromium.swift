import Foundation
import Testing

/// Headless Chromium (Debian's `chromium`, which `scripts/setup` installs when missing), for the
/// tests that open the HTML pages in a real browser. Every page is loaded with a fresh profile,
/// its console written to stderr, a network log of every request, and a proxy that goes nowhere
/// for every host (`<-loopback>`: even localhost), so a page that needed the network would show
/// it, not quietly fetch.
public enum Chromium {
    /// `$CHROMIUM`, else `chromium` or `chromium-browser` on the PATH; nil when there is none.
    public static let executable: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["CHROMIUM"], !path.isEmpty { return path }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }()

    /// Whether the browser tests run: a browser is installed, or this is CI (`CI=true`), where
    /// its absence must fail the tests rather than skip them.
    public static var testsRun: Bool { executable != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The browser, or nil with an issue recorded (the test fails, saying what is missing).
    public static func require() -> String? {
        guard let executable else {
            Issue.record("headless Chromium is not installed (scripts/setup installs Debian's chromium; or set CHROMIUM)")
            return nil
        }
        return executable
    }

    /// What a page did in the browser.
    public struct Visit: Sendable, CustomStringConvertible {
        /// The DOM once the page had loaded and its scripts had run (`--dump-dom`).
        public var dom: String
        /// The page's console messages (errors, warnings, logs), as the browser logged them.
        public var console: [String]
        /// The addresses the page asked for over the network (the browser's own background
        /// requests left out).
        public var requests: [String]
        /// How the browser ended, with its output.
        public var outcome: ProcessOutcome

        public var description: String {
            "console: \(console)\nrequests: \(requests)\nstatus \(outcome.status)\nstderr (end): \(outcome.stderr.suffix(2_000))"
        }
    }

    /// The flags of every run: headless, no sandbox (containers), no GPU, a fresh profile in
    /// `scratch`, no first-run chores, and the dead proxy.
    static func flags(_ scratch: String) -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--user-data-dir=\(scratch)/profile",
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        ]
    }

    /// Loads `file` (an absolute path; `fragment` is added to its address, e.g. `selftest`) in a
    /// window of `width`×`height` and returns what it did.
    public static func visit(_ file: String, fragment: String = "", width: Int = 1400, height: Int = 900) -> Visit? {
        guard let browser = require() else { return nil }
        let scratch = Scratch("patchrig-browser")
        let netLog = scratch.path + "/netlog.json"
        let address = URL(fileURLWithPath: file).absoluteString + (fragment.isEmpty ? "" : "#" + fragment)
        return withExtendedLifetime(scratch) {
            let outcome = execute(
                browser,
                flags(scratch.path) + [
                    "--window-size=\(width),\(height)", "--enable-logging=stderr", "--v=0", "--log-net-log=\(netLog)", "--dump-dom",
                    address,
                ])
            let console = outcome.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
            return Visit(dom: outcome.stdout, console: console, requests: pageRequests(netLog), outcome: outcome)
        }
    }

    /// Writes a screenshot of `file` at `width`×`height` to `png`.
    @discardableResult
    public static func screenshot(_ file: String, to png: String, width: Int = 1400, height: Int = 900) -> ProcessOutcome? {
        guard let browser = require() else { return nil }
        let scratch = Scratch("patchrig-browser")
        return withExtendedLifetime(scratch) {
            execute(
                browser,
                flags(scratch.path) + [
                    "--window-size=\(width),\(height)", "--screenshot=\(png)", URL(fileURLWithPath: file).absoluteString,
                ])
        }
    }

    /// The size of a PNG image and how many of its pixels have exactly each colour of `colors`
    /// (`#rrggbb`), counted by the browser itself (the image inline as a data address, drawn on
    /// a canvas).
    public static func pixels(ofPNG png: String, colors: [String]) throws -> (width: Int, height: Int, counts: [String: Int])? {
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        let scratch = Scratch("patchrig-pixels")
        let keys = colors.map { "\"\($0.dropFirst().lowercased())\": 0" }.joined(separator: ", ")
        let page = """
            <!DOCTYPE html><html><body><img id="png" src="data:image/png;base64,\(data.base64EncodedString())"><output id="counts"></output>
            <script>
            window.addEventListener("load", function () {
              var image = document.getElementById("png"), canvas = document.createElement("canvas");
              canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
              var context = canvas.getContext("2d"); context.drawImage(image, 0, 0);
              var px = context.getImageData(0, 0, canvas.width, canvas.height).data, want = {\(keys)};
              for (var i = 0; i < px.length; i += 4) {
                var key = ((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]).toString(16).padStart(6, "0");
                if (key in want) want[key]++;
              }
              var out = document.getElementById("counts");
              out.setAttribute("data-size", canvas.width + "x" + canvas.height);
              for (var key in want) out.setAttribute("data-c" + key, String(want[key]));
            });
            </script></body></html>
            """
        scratch.write("pixels.html", page)
        guard let visit = withExtendedLifetime(scratch, { visit(scratch.path + "/pixels.html") }) else { return nil }
        guard let size = attribute("data-size", in: visit.dom)?.split(separator: "x").compactMap({ Int($0) }), size.count == 2 else {
            Issue.record("the browser did not read \(png): \(visit)")
            return nil
        }
        var counts: [String: Int] = [:]
        for color in colors { counts[color] = attribute("data-c\(color.dropFirst().lowercased())", in: visit.dom).flatMap { Int($0) } }
        return (size[0], size[1], counts)
    }

    /// The value of the first attribute `name="..."` in `html`.
    public static func attribute(_ name: String, in html: String) -> String? {
        guard let start = html.range(of: " \(name)=\"") else { return nil }
        let rest = html[start.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// The requests of the network log that a page made: those with an initiator, the browser's
    /// own (its update checks, initiated by "not an origin") left out.
    static func pageRequests(_ netLog: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: netLog),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let events = root["events"] as? [[String: Any]]
        else { return ["(no network log was written)"] }
        var seen: [String] = []
        for event in events {
            guard let params = event["params"] as? [String: Any], let url = params["url"] as? String,
                let initiator = params["initiator"] as? String, initiator != "not an origin", !seen.contains(url)
            else { continue }
            seen.append(url)
        }
        return seen
    }
}
