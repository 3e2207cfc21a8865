import Foundation
import Report
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct CampaignRecordTests {
    static func record(_ runs: [CampaignRun], seeds: CampaignRecord.SeedRange? = nil, shard: CampaignRecord.Shard? = nil) -> CampaignRecord
    {
        let first = runs.map(\.seed).min() ?? 1
        return CampaignRecord(
            rig: "race", rigFile: "Rigs/race.yaml", build: "rig 0.1.0 commit test", schedule: .init(strategy: "pct", depth: 2, steps: 150),
            seeds: seeds ?? .init(first: first, count: runs.count), shard: shard, keepFailures: 2, planned: runs.count, runs: runs,
            kept: runs.filter { !$0.passed }.map {
                KeptFailure(
                    seed: $0.seed, directory: "failures/seed-\($0.seed)", trace: nil, results: "failures/seed-\($0.seed)/results.json",
                    replay: "rig run Rigs/race.yaml --seed \($0.seed) --schedule pct")
            }, interrupted: false, stoppedBy: nil, wallNs: 1_000_000_000)
    }

    static func run(_ seed: UInt64, failed: [String] = [], problems: [String] = [], ns: UInt64 = 100) -> CampaignRun {
        CampaignRun(
            seed: seed, verdict: failed.isEmpty && problems.isEmpty ? "pass" : "fail", durationNs: ns, failed: failed, problems: problems,
            parameters: ["windowsupdate.delay": seed * 1000], actorNs: ["installer": ns / 2])
    }

    @Test func theWilsonIntervalMatchesPublishedValues() {
        // 2 of 20 and 0 of 10: values from Wilson (1927) as tabulated by Newcombe (1998).
        let twenty = CampaignRecord.wilson(failures: 2, of: 20)
        #expect(abs(twenty.low - 0.0279) < 0.0001 && abs(twenty.high - 0.3010) < 0.0001)
        let none = CampaignRecord.wilson(failures: 0, of: 10)
        #expect(none.low == 0 && abs(none.high - 0.2775) < 0.0001, "not empty at 0 failures")
        let all = CampaignRecord.wilson(failures: 10, of: 10)
        #expect(abs(all.high - 1) < 1e-9 && abs(all.low - 0.7225) < 0.0001)
    }

    @Test func percentilesAreByNearestRank() throws {
        let p = try #require(CampaignRecord.percentiles((1...100).map { UInt64($0) }))
        #expect(p == .init(p50: 50, p90: 90, p99: 99))
        #expect(CampaignRecord.percentiles([7]) == .init(p50: 7, p90: 7, p99: 7))
        #expect(CampaignRecord.percentiles([]) == nil)
    }

    @Test func countsRatesAndTheFirstFailingSeedsKept() {
        let runs = [
            Self.run(5, failed: ["every native image is fresh"]), Self.run(1),
            Self.run(3, failed: ["every native image is fresh", "exit"]),
            Self.run(2, problems: ["timeout"]), Self.run(4),
        ]
        let record = Self.record(runs)
        #expect(record.iterations == 5 && record.passed == 2 && record.failed == 3)
        #expect(record.runs.map(\.seed) == [1, 2, 3, 4, 5], "by seed, whatever order they finished in")
        #expect(record.failureRate == 0.6)
        #expect(record.byExpectation == [.init(text: "every native image is fresh", failures: 2), .init(text: "exit", failures: 1)])
        #expect(record.byProblem == [.init(kind: "timeout", count: 1)])
        #expect(record.kept.map(\.seed) == [2, 3], "the first keep_failures failing seeds")
        #expect(record.durationsNs.actors["installer"]?.p50 == 50)
    }

    @Test func anEmptyCampaignHasNoRate() {
        let record = Self.record([], seeds: .init(first: 1, count: 0))
        #expect(record.iterations == 0 && record.failureRate == nil && record.interval == nil)
        #expect(record.text().contains("no iterations"))
    }

    @Test func shardSlicesCoverEveryIterationOnce() {
        for total in [1, 2, 7, 500, 2001] {
            for count in 1...9 {
                let slices = (1...count).map { CampaignRecord.Shard(index: $0, count: count).slice(of: total) }
                #expect(slices.flatMap { Array($0) } == Array(0..<total), "\(total) in \(count)")
            }
        }
    }

    @Test func mergedShardsAreTheWholeCampaign() throws {
        let runs = (1...12).map { Self.run(UInt64($0), failed: $0 % 5 == 0 ? ["fresh"] : []) }
        let whole = Self.record(runs)
        let shards = (1...4).map { i -> CampaignRecord in
            let shard = CampaignRecord.Shard(index: i, count: 4)
            let slice = shard.slice(of: 12)
            return Self.record(Array(runs[slice]), seeds: .init(first: UInt64(slice.lowerBound + 1), count: slice.count), shard: shard)
        }
        var merged = try CampaignMerge.merge(shards.reversed())
        #expect(merged.iterationsPerSecond != 0)
        merged.iterationsPerSecond = whole.iterationsPerSecond
        #expect(merged == whole)
    }

    @Test func shardsThatAreNotOneCampaignAreRefused() {
        let a = Self.record([Self.run(1), Self.run(2)])
        var other = Self.record([Self.run(3)])
        other.rig = "smoke"
        var schedule = Self.record([Self.run(3)])
        schedule.schedule = .init(strategy: "free")
        let overlapping = Self.record([Self.run(2), Self.run(3)])
        for (shards, message) in [
            ([a, other], "different rigs"), ([a, schedule], "different schedules"), ([a, overlapping], "overlap"),
        ] {
            #expect(throws: CampaignMerge.Mismatch.self) { try CampaignMerge.merge(shards) }
            do { _ = try CampaignMerge.merge(shards) } catch { #expect(error.description.contains(message), "\(error)") }
        }
    }

    @Test func theRecordReadsBackAndBadFilesAreNamed() throws {
        let record = Self.record([Self.run(1), Self.run(2, failed: ["fresh"])])
        let directory = NSTemporaryDirectory() + "/patchrig-campaign-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/campaign.json"
        try record.json().write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try CampaignRecord.read(path) == record)
        for (text, message) in [
            (String(record.json().prefix(80)), "cut short"), ("{\"format\": \"patchrig-campaign\", \"version\": 2}", "version 2"),
            ("{\"format\": \"patchrig-schedule\", \"version\": 1}", "not a campaign record"),
            ("{\"format\": \"patchrig-campaign\", \"version\": 1}", "missing or bad field"),
        ] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try CampaignRecord.read(path)
                Issue.record("read \(text)")
            } catch { #expect(error.description.contains(message) && error.description.contains(path), "\(error)") }
        }
    }

    @Test func theJUnitHasOneCaseWithAFailurePerKeptSeed() {
        let record = Self.record([
            Self.run(1), Self.run(2, failed: ["fresh"]), Self.run(3, failed: ["fresh"]), Self.run(4, failed: ["fresh"]),
        ])
        let xml = record.junit()
        #expect(xml.components(separatedBy: "<testcase ").count == 2)
        #expect(xml.components(separatedBy: "type=\"failing seed\"").count == 3)
        #expect(xml.contains("rig run Rigs/race.yaml --seed 2 --schedule pct"))
        #expect(xml.contains("1 more failing seeds not kept"))
        let document = try? XMLDocument(xmlString: xml)
        #expect(document != nil)
    }

    @Test func problemsAreCountedByKind() {
        #expect(CampaignRun.kind(ofProblem: "the run timed out after 60s") == "timeout")
        #expect(CampaignRun.kind(ofProblem: "actor 'ngen': timed out after 5s") == "timeout")
        #expect(CampaignRun.kind(ofProblem: "interrupted by SIGINT") == "interrupted")
        #expect(CampaignRun.kind(ofProblem: "nothing can go on: every process waits") == "deadlock")
        #expect(CampaignRun.kind(ofProblem: "actor 'app': died") == "actor")
        #expect(CampaignRun.kind(ofProblem: "something else") == "other")
    }
}
