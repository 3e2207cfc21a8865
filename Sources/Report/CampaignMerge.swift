/// Combines the records of a campaign's shards.
public enum CampaignMerge {
    /// Shards that cannot be one campaign.
    public struct Mismatch: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// One record for the shards' seeds together: the same as one machine would have written
    /// for those seeds, but for `wall_ns` (the longest shard's) and `iterations_per_second`.
    /// The shards must be of one rig, schedule and build, and their seeds must not overlap.
    public static func merge(_ shards: [CampaignRecord]) throws(Mismatch) -> CampaignRecord {
        guard let first = shards.first else { throw Mismatch(description: "no shards") }
        for shard in shards.dropFirst() {
            if shard.rig != first.rig { throw Mismatch(description: "the shards are of different rigs: \(first.rig) and \(shard.rig)") }
            if shard.schedule != first.schedule {
                throw Mismatch(description: "the shards ran different schedules: \(first.schedule.strategy) and \(shard.schedule.strategy)")
            }
            if shard.build != first.build {
                throw Mismatch(description: "the shards were run by different builds: \(first.build) and \(shard.build)")
            }
        }
        let sorted = shards.sorted { $0.seeds.first < $1.seeds.first }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.seeds.count > 0 && a.seeds.end > b.seeds.first {
            throw Mismatch(description: "the shards overlap: \(a.seedsText) and \(b.seedsText)")
        }
        let seeds = CampaignRecord.SeedRange(
            first: sorted.first { $0.seeds.count > 0 }?.seeds.first ?? first.seeds.first, count: sorted.map(\.seeds.count).reduce(0, +))
        let interrupted = shards.contains(where: \.interrupted)
        return CampaignRecord(
            rig: first.rig, rigFile: first.rigFile, build: first.build, schedule: first.schedule, seeds: seeds, shard: nil,
            keepFailures: shards.map(\.keepFailures).max() ?? 0, planned: shards.map(\.planned).reduce(0, +),
            runs: shards.flatMap(\.runs), kept: shards.flatMap(\.kept), interrupted: interrupted,
            stoppedBy: shards.compactMap(\.stoppedBy).first, wallNs: shards.map(\.wallNs).max() ?? 0)
    }
}
