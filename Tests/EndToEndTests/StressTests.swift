import Foundation
import TestSupport
import Testing

/// Campaigns end to end: `rig stress`, `rig merge`, `rig run --repeat`.
@Suite(.serialized, .forks, .timeLimit(.minutes(10)))
struct StressTests {
    let race = Repository.file("Rigs/sp1-hotfix-race.yaml")

    /// The campaign record written to `DIR/campaign.json`.
    func campaign(_ directory: String) throws -> [String: Any] { try readJSON(directory + "/campaign.json") }

    @Test func aControlledCampaignKeepsItsFailingSeedsAndEachReplays() throws {
        let out = temporaryDirectory()
        // Seeds 20...39 under PCT hold 28 and 33, which fail every time.
        let stressed = runRig(["stress", race, "--iterations", "20", "--seed", "20", "--schedule", "pct", "--out", out])
        #expect(stressed.status == 1, "\(stressed)")
        #expect(stressed.stdout.contains("20 of 20 iterations"), "\(stressed)")
        #expect(stressed.stdout.contains("% (95% CI "), "\(stressed)")
        let record = try campaign(out)
        #expect(record["format"] as? String == "patchrig-campaign")
        #expect(record["iterations"] as? Int == 20)
        let failed = try #require(record["failed"] as? Int)
        #expect(failed >= 2)
        let runs = try #require(record["runs"] as? [[String: Any]])
        #expect(runs.map { $0["seed"] as? Int } == (20...39).map { $0 })
        let kept = try #require(record["kept"] as? [[String: Any]])
        #expect(kept.count == failed, "fewer failures than --keep-failures: all kept")
        #expect(kept.contains { $0["seed"] as? Int == 28 })
        for failure in kept {
            let directory = out + "/" + (failure["directory"] as? String ?? "?")
            for file in ["results.json", "trace.json", "app.stdout"] {
                #expect(FileManager.default.fileExists(atPath: directory + "/" + file), "\(directory)/\(file)")
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/machine"), "a kept failure keeps no machine")
            // The replay command, as printed: `rig run RIG --seed N --schedule pct`.
            let replay = try #require(failure["replay"] as? String)
            let words = replay.split(separator: " ").map(String.init)
            #expect(Array(words.prefix(2)) == ["rig", "run"])
            let replayed = runRig(Array(words.dropFirst()))
            #expect(replayed.status == 1, "\(replay): \(replayed)")
            #expect(replayed.stdout.contains("FAIL  every native image is fresh"), "\(replay)")
        }
    }

    @Test func shardsMergedAreOneCampaign() throws {
        let whole = temporaryDirectory()
        let common = ["stress", race, "--iterations", "12", "--seed", "24", "--schedule", "pct", "--keep-failures", "1"]
        #expect(runRig(common + ["--out", whole]).status == 1)
        var shards: [String] = []
        for i in 1...4 {
            let out = temporaryDirectory()
            _ = runRig(common + ["--shard", "\(i)/4", "--out", out])
            shards.append(out)
        }
        let merged = temporaryDirectory()
        let outcome = runRig(["merge"] + shards + ["--out", merged])
        #expect(outcome.status == 1, "\(outcome)")
        var one = try campaign(whole)
        var all = try campaign(merged)
        for key in ["wall_ns", "iterations_per_second"] {
            one[key] = nil
            all[key] = nil
        }
        func text(_ value: Any?) -> String {
            let data = try? JSONSerialization.data(withJSONObject: [value ?? NSNull()], options: [.sortedKeys, .fragmentsAllowed])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
        let differing = Set(one.keys).union(all.keys).filter { text(one[$0]) != text(all[$0]) }
        #expect(
            differing.isEmpty,
            "merged and one differ in \(differing.sorted()): \(differing.map { "\($0): \(one[$0] ?? "-") vs \(all[$0] ?? "-")" })")
        let kept = try #require((all["kept"] as? [[String: Any]])?.first?["directory"] as? String)
        #expect(FileManager.default.fileExists(atPath: merged + "/" + kept + "/results.json"), "the kept failure is copied")
        // The same shards twice overlap.
        #expect(runRig(["merge", shards[0], shards[0], "--out", temporaryDirectory()]).status == 2)
    }

    @Test func anInterruptedCampaignReportsTheFinishedIterationsAndLeavesNoWorker() throws {
        let out = temporaryDirectory()
        let process = TestProcess(
            [
                BuiltBinaries.rig, "stress", race, "--iterations", "200", "--parallel", "2", "--out", out, "--json", out + "/c.json",
                "--junit",
                out + "/c.xml",
            ])
        // Free runs of the race rig take a second or two each: interrupt in the middle of some.
        // Every worker seen over two seconds, the ones running at the interruption among them.
        var workers = Set<Int32>()
        for _ in 0..<200 where workers.isEmpty {
            usleep(50_000)
            workers.formUnion(children(of: process.pid, named: "rig-worker"))
        }
        for _ in 0..<40 {
            usleep(50_000)
            workers.formUnion(children(of: process.pid, named: "rig-worker"))
        }
        kill(process.pid, SIGINT)
        let outcome = process.wait()
        #expect(outcome.status == 130, "\(outcome)")
        let record = try readJSON(out + "/c.json")
        #expect(record["interrupted"] as? Bool == true)
        #expect((record["iterations"] as? Int ?? 0) < 200)
        #expect(try String(contentsOfFile: out + "/c.xml", encoding: .utf8).contains("</testsuites>"))
        #expect(!workers.isEmpty, "no worker of the campaign was seen: the test proved nothing")
        #expect(workers.filter(isAlive).isEmpty, "workers left: \(workers.filter(isAlive))")
    }

    /// A campaign's machines live in a tmpfs of its own (large folios), mounted over `/dev/shm`
    /// in a mount namespace its workers share and the host does not see; with
    /// `PATCHRIG_PRIVATE_TMPFS=0` they live in the host's `/dev/shm`. Root can always make the
    /// namespace (CI runs as root); other users only where user namespaces are allowed.
    @Test(.enabled(if: getuid() == 0)) func aCampaignsMachinesLiveInATmpfsOfItsOwn() throws {
        for own in [true, false] {
            let out = temporaryDirectory()
            let process = TestProcess(
                [BuiltBinaries.rig, "stress", race, "--iterations", "50", "--parallel", "2", "--out", out],
                environment: own ? [:] : ["PATCHRIG_PRIVATE_TMPFS": "0"])
            var worker: Int32?
            for _ in 0..<400 where worker == nil {
                usleep(25_000)
                worker = children(of: process.pid, named: "rig-worker").first
            }
            let mounts = worker.flatMap { try? String(contentsOfFile: "/proc/\($0)/mountinfo", encoding: .utf8) } ?? ""
            let seen = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/root/dev/shm")) ?? [])
                .filter { $0.hasPrefix("patchrig-run-\(process.pid)-") }
            let onHost = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? [])
                .filter { $0.hasPrefix("patchrig-run-\(process.pid)-") }
            kill(process.pid, SIGINT)
            _ = process.wait()
            #expect(worker != nil, "no worker of the campaign was seen: the test proved nothing")
            let ownTmpfs = mounts.split(separator: "\n").contains { $0.contains(" /dev/shm ") && $0.contains(" - tmpfs patchrig ") }
            #expect(ownTmpfs == own, "own: \(own)\n\(mounts)")
            #expect(seen.count == 1, "own: \(own), the campaign's /dev/shm: \(seen)")
            #expect(onHost.count == (own ? 0 : 1), "own: \(own), the host's /dev/shm: \(onHost)")
        }
        // Nothing was mounted where the tests run.
        let ours = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!ours.contains(" - tmpfs patchrig "))
    }

    @Test func badUsageExitsTwo() {
        for bad in [
            ["--iterations", "0"], ["--iterations", "5", "--parallel", "0"], ["--iterations", "5", "--shard", "3/2"],
            ["--iterations", "5", "--shard", "0/4"], ["--iterations", "5", "--keep-failures=-1"],
            ["--iterations", "5", "--time-limit", "soon"],
        ] {
            let outcome = runRig(["stress", race] + bad)
            #expect(outcome.status == 2, "\(bad): \(outcome)")
            #expect(outcome.stderr.contains("Usage"), "\(bad): \(outcome)")
        }
        let notACampaign = temporaryDirectory()
        #expect(runRig(["merge", notACampaign, "--out", temporaryDirectory()]).status == 2)
        #expect(runRig(["run", race, "--repeat", "0"]).status == 2)
    }

    @Test func runRepeatIsAShortCampaign() throws {
        let summary = temporaryDirectory() + "/summary.md"
        let outcome = runRig(
            ["run", Repository.file("Rigs/smoke.yaml"), "--repeat", "3", "--seed", "5"], environment: ["GITHUB_STEP_SUMMARY": summary])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("3 of 3 iterations (seeds 5...7, free), 0 failed: 0.0% (95% CI 0.0%–56.1%)"), "\(outcome)")
        #expect(try String(contentsOfFile: summary, encoding: .utf8).contains("## PatchRig stress: smoke — no failures"))
    }
}
