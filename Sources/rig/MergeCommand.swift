import ArgumentParser
import Foundation
import Report

/// `rig merge DIR...`: combines the outputs of a campaign's shards into one record.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the outputs of `rig stress --shard` runs into one campaign record.",
        discussion: """
            Each DIR is a shard's --out directory (holding campaign.json). The shards must be of \
            the same rig, schedule and build, and their seeds must not overlap. The merged record \
            is what one machine would have written for the same seeds (but for wall_ns and \
            iterations_per_second); the kept failing seeds are copied into --out. Exit status: 0 \
            when no iteration failed, 1 when one did, 2 for bad usage or shards that do not fit.
            """)

    @Argument(help: "The shards' --out directories (or their campaign.json files).")
    var shards: [String]

    @Option(help: "Where the merged campaign.json and the kept failures go.")
    var out: String

    @Option(help: "Write the merged campaign record here too.")
    var json: String?

    @Option(help: "Write JUnit XML.")
    var junit: String?

    @Option(help: "Write the Markdown summary; it is also appended to $GITHUB_STEP_SUMMARY when that is set.")
    var summary: String?

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("name at least one shard directory") }
    }

    func run() throws {
        var records: [(record: CampaignRecord, directory: String)] = []
        for shard in shards {
            let file = shard.hasSuffix(".json") ? shard : shard + "/campaign.json"
            do { records.append((try CampaignRecord.read(file), (file as NSString).deletingLastPathComponent)) } catch {
                throw ValidationError(error.description)
            }
        }
        let merged: CampaignRecord
        do { merged = try CampaignMerge.merge(records.map(\.record)) } catch { throw ValidationError(error.description) }
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw failure("--out \(out): cannot create the directory: \(error.localizedDescription)")
        }
        // The kept failures, from the shard that kept each.
        for failure in merged.kept {
            guard let source = records.first(where: { $0.record.kept.contains(failure) }) else { continue }
            let target = out + "/" + failure.directory
            try? FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: target)
            try? FileManager.default.copyItem(atPath: source.directory + "/" + failure.directory, toPath: target)
        }
        try writeCampaignOutputs(merged, directory: out, json: json, junit: junit, summary: summary)
        if merged.failed > 0 { throw ExitCode(1) }
    }
}
