import ArgumentParser
import Foundation
import Pictures

/// `rig report FILE... --html OUT`: draws runs' traces, or a stress campaign, as one
/// self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw runs' traces, or a stress campaign, as one self-contained HTML page.",
        discussion: """
            Each FILE is a run's trace (rig run --trace), drawn as its timeline (several traces: \
            one timeline after another), or a campaign (rig stress --json, rig merge), given alone \
            and drawn as the campaign page. A results record, another file, a trace or campaign of \
            another version and a truncated file are refused. Exit status: 0 when the page was \
            written, 2 for bad input or usage.
            """)

    @Argument(help: ArgumentHelp("Run traces (rig run --trace), or one campaign (rig stress --json, rig merge).", valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("Write the page to this file.", valueName: "page"))
    var html: String

    @Option(
        help: ArgumentHelp(
            "The campaign page plots each iteration against this seeded parameter, e.g. windowsupdate.delay.",
            discussion: "Default: the first parameter that varies across the campaign's runs.", valueName: "parameter"))
    var by: String?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give a run's trace (rig run --trace) or a campaign (rig stress --json)") }
    }

    func run() throws {
        var timelines: [RunTimeline] = []
        var campaigns: [(file: String, campaign: Campaign)] = []
        for file in files {
            switch try read(file) {
            case .run(let timeline): timelines.append(timeline)
            case .campaign(let campaign): campaigns.append((file, campaign))
            }
        }
        let page: String
        if let (file, campaign) = campaigns.first {
            guard files.count == 1 else {
                throw failure("\(file) is a campaign: give a campaign alone (its page links its kept runs' timelines)")
            }
            do {
                page = try CampaignPage.html(campaign, by: by, linkPrefix: Self.linkPrefix(from: html, to: file))
            } catch {
                throw failure("--by \(by ?? ""): \(error.description)")
            }
        } else {
            if by != nil {
                throw failure(
                    "--by applies to a campaign, and \(files.joined(separator: ", ")) \(files.count == 1 ? "is a run's trace" : "are runs' traces")"
                )
            }
            page = TimelinePage.html(timelines)
        }
        do { try page.write(toFile: html, atomically: true, encoding: .utf8) } catch {
            throw failure("cannot write \(html): \(error.localizedDescription)")
        }
        print("wrote \(html)")
    }

    /// The file's contents, recognised; a clear message naming it (exit 2) otherwise.
    private func read(_ file: String) throws -> ReportInput {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else { throw failure("\(file): no such file") }
        guard !isDirectory.boolValue else { throw failure("\(file): a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: file) else { throw failure("\(file): cannot read it") }
        guard let text = String(data: data, encoding: .utf8) else { throw failure("\(file): not UTF-8 text") }
        do { return try ReportInput.recognize(text) } catch { throw failure("\(file): \(error.description)") }
    }

    /// What to put before a campaign's relative paths so that they work from the page: the
    /// campaign's directory as seen from the page's (`""` when they are the same directory).
    static func linkPrefix(from page: String, to campaign: String) -> String {
        func directory(_ path: String) -> [String] {
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            let standard = (URL(fileURLWithPath: absolute).standardizedFileURL.path as NSString).deletingLastPathComponent
            return standard.split(separator: "/").map(String.init)
        }
        let from = directory(page)
        let to = directory(campaign)
        var common = 0
        while common < from.count, common < to.count, from[common] == to[common] { common += 1 }
        let parts = Array(repeating: "..", count: from.count - common) + to[common...]
        return parts.isEmpty ? "" : parts.joined(separator: "/") + "/"
    }
}
