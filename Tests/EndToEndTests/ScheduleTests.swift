import Foundation
import TestSupport
import Testing

/// Controlled schedules of real processes, end to end through `rig run` and `rig explore`.
@Suite(.serialized, .forks, .timeLimit(.minutes(10)))
struct ScheduleTests {
    let race = Repository.file("Rigs/sp1-hotfix-race.yaml")

    /// The `digest` a run prints in its `schedule:` line.
    func digest(_ outcome: ProcessOutcome) -> String? {
        guard let line = outcome.stdout.split(separator: "\n").first(where: { $0.hasPrefix("schedule: ") }) else { return nil }
        return line.split(separator: " ").last.map(String.init)
    }

    @Test func theSameSeedGivesTheSameOrderOfOperationsAndOutcome() throws {
        for (schedule, seed) in [("pct", "28"), ("random", "3")] {
            let first = runRig(["run", race, "--schedule", schedule, "--seed", seed])
            let second = runRig(["run", race, "--schedule", schedule, "--seed", seed])
            #expect(digest(first) != nil, "\(first)")
            #expect(digest(first) == digest(second), "\(schedule) \(seed)")
            #expect(first.status == second.status, "\(schedule) \(seed): \(first.status) then \(second.status)")
        }
        // Another seed takes another path (the seed draws the start jitter and the strategy).
        let other = runRig(["run", race, "--schedule", "pct", "--seed", "29"])
        #expect(digest(other) != digest(runRig(["run", race, "--schedule", "pct", "--seed", "28"])))
    }

    @Test func aSavedScheduleReplaysExactly() throws {
        let directory = temporaryDirectory()
        let file = directory + "/s.json"
        let saved = runRig(["run", race, "--schedule", "pct", "--seed", "28", "--save-schedule", file])
        #expect(FileManager.default.fileExists(atPath: file), "\(saved)")
        for _ in 0..<2 {
            let replayed = runRig(["run", race, "--replay", file])
            #expect(digest(replayed) == digest(saved), "\(replayed)")
            #expect(replayed.status == saved.status)
            #expect(!replayed.stdout.contains("another path"))
        }
    }

    @Test func aScheduleOfAnotherRigOrNoScheduleIsRefused() throws {
        let directory = temporaryDirectory()
        let file = directory + "/s.json"
        _ = runRig(["run", Repository.file("Rigs/smoke.yaml"), "--schedule", "random", "--save-schedule", file])
        let other = runRig(["run", race, "--replay", file])
        #expect(other.status == 2)
        #expect(other.stderr.contains("the schedule is of rig 'smoke', not 'sp1-hotfix-race'"), "\(other)")
        let notOne = try temporaryFile("x.json", "{\"format\": \"something else\"}")
        let refused = runRig(["run", race, "--replay", notOne])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("not a schedule"), "\(refused)")
        for bad in [
            ["--schedule", "sometimes"], ["--schedule", "pct", "--depth", "0"], ["--depth", "2"], ["--replay", file, "--seed", "3"],
        ] {
            let outcome = runRig(["run", race] + bad)
            #expect(outcome.status == 2, "\(bad): \(outcome)")
        }
        for bad in [["--budget", "0"], ["--strategy", "sometimes"], ["--depth", "0"]] {
            let outcome = runRig(["explore", race] + bad)
            #expect(outcome.status == 2, "\(bad): \(outcome)")
        }
    }

    @Test func exploreFindsTheRaceAndItsShrunkScheduleStillFails() throws {
        let directory = temporaryDirectory()
        let explored = runRig(["explore", race, "--budget", "100", "--seed", "20", "--out", directory])
        #expect(explored.status == 1, "\(explored)")
        let file = try #require(
            explored.stdout.split(separator: "\n").first { $0.contains("schedule file: ") }.map {
                String($0.split(separator: " ").last!)
            }, "\(explored)")
        // "shrunk in 3 runs: 3 → 2 deviations, ...": shrinking took at least one deviation out.
        let shrunk = try #require(explored.stdout.split(separator: "\n").first { $0.contains("shrunk in ") }, "\(explored)")
        let counts = shrunk.split(separator: ",")[0].split(separator: " ").compactMap { Int($0) }
        #expect(counts.count == 3 && counts[2] < counts[1], "\(shrunk)")
        let replayed = runRig(["run", race, "--replay", file])
        #expect(replayed.status == 1, "\(replayed)")
        #expect(replayed.stdout.contains("FAIL  every native image is fresh"), "\(replayed)")
    }
}
