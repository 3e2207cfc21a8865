/// Text made safe for HTML, and the parts every page shares.
enum HTMLText {
    /// `text` escaped for an element's content or a quoted attribute value.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// JSON text made safe inside `<script type="application/json">`: every `<` (found only
    /// inside strings) written `\u003c`, so no `</script>` or `<!--` can end or confuse the
    /// element; the JSON means the same.
    static func scriptSafe(_ json: String) -> String {
        json.replacingAll("<", with: "\\u003c")
    }

    /// The start of every page: no request may leave it (`default-src 'none'`; its own inline
    /// styles and scripts only), and a first script that records every error and blocked request
    /// into `#errors`, so that a test (or a user) can see what went wrong.
    static func head(title: String, style: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        <script>\(errorRecorder)</script>
        </head>

        """
    }

    /// Records uncaught errors, `console.error` calls and requests the page's policy blocked into
    /// `<pre id="errors">` (and `data-errors` on it): the page must never show one.
    static let errorRecorder = #"""
        (function () {
          var seen = [];
          function record(text) {
            seen.push(String(text));
            var box = document.getElementById("errors");
            if (box) { box.textContent = seen.join("\n"); box.hidden = false; box.setAttribute("data-errors", String(seen.length)); }
          }
          window.addEventListener("error", function (e) { record("error: " + (e.message || e.type) + (e.filename ? " at " + e.filename + ":" + e.lineno : "")); });
          window.addEventListener("unhandledrejection", function (e) { record("unhandled rejection: " + e.reason); });
          document.addEventListener("securitypolicyviolation", function (e) { record("blocked request: " + e.blockedURI + " (" + e.violatedDirective + ")"); });
          var original = console.error;
          console.error = function () { record("console.error: " + Array.prototype.join.call(arguments, " ")); return original.apply(console, arguments); };
          window.__recordError = record;
          document.addEventListener("DOMContentLoaded", function () { var box = document.getElementById("errors"); if (box && seen.length) { box.textContent = seen.join("\n"); box.hidden = false; box.setAttribute("data-errors", String(seen.length)); } });
        })();
        """#

    /// The end of every page: the error box, then the closing tags.
    static let errorBox = "<pre id=\"errors\" hidden data-errors=\"0\"></pre>\n"
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
