import Foundation
import TestSupport
import Testing

/// Faults a rig injects, end to end through `rig run`: the guarantees that must hold at every
/// point a fault can land, tried at each of them.
@Suite(.serialized, .forks, .timeLimit(.minutes(10)))
struct FaultTests {
    /// A rig on the netfx11 image whose reboot has two pending renames to apply: two editors
    /// hard-lock mscoree.dll and msvcr71.dll, so the installer queues both for the boot.
    func bootRig(faults: String = "") throws -> String {
        try temporaryFile(
            "boot.yaml",
            """
            rig: boot-power-loss
            machine:
              image: \(Repository.root)/Rigs/images/netfx11.yaml
              steps:
                - reboot: {after_exit: installer}
            actors:
              - name: editor
                role: app
                params: {hold: 'C:\\Windows\\System32\\mscoree.dll', until: reboot1.down}
              - name: editor2
                role: app
                params: {hold: 'C:\\Windows\\System32\\msvcr71.dll', until: reboot1.down}
              - name: installer
                role: installer
                start: {after: editor2.loaded}
                params: {patch: \(Repository.root)/Rigs/patches/netfx20-mscoree-crt.yaml, files_in_use: ignore}
            \(faults)
            """)
    }

    func run(_ rig: String) throws -> [String: Any] {
        let dir = temporaryDirectory()
        let outcome = execute(BuiltBinaries.rig, ["run", rig, "--json", dir + "/r.json"])
        #expect(outcome.status == 0 || outcome.status == 1, "\(outcome.stdout)\n\(outcome.stderr)")
        return try readJSON(dir + "/r.json")
    }

    /// The machine part of a results record, as comparable text.
    func machine(_ results: [String: Any]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: results["machine"] ?? NSNull(), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Power lost at each operation of Session Manager, then the boot that follows: the machine
    /// ends as after an uninterrupted boot (renames are applied once, in order, none lost).
    @Test func aBootCutByAPowerLossAtAnyStepEndsLikeAnUninterruptedOne() throws {
        let clean = try run(try bootRig())
        #expect(clean["passed"] as? Bool == true)
        let expected = try machine(clean)
        #expect(expected.contains("2.0.50727.42"), "the boot applied the renames: \(expected)")
        let actors = try #require(clean["actors"] as? [[String: Any]])
        let smssOperations = try #require(actors.first { $0["name"] as? String == "reboot1/smss" }?["events"] as? Int)
        #expect(smssOperations >= 3)
        for k in 1...smssOperations {
            let results = try run(
                try bootRig(faults: "faults: [{name: crash, power_loss: reboot1/smss, op: any, nth: \(k)}]"))
            let fault = try #require((results["faults"] as? [[String: Any]])?.first)
            #expect(fault["injected"] as? Bool == true, "operation \(k): \(fault)")
            let after = try #require(results["actors"] as? [[String: Any]])
            #expect(after.first { $0["name"] as? String == "crash/smss" }?["exit_code"] as? Int == 0, "operation \(k)")
            #expect(try machine(results) == expected, "power lost before Session Manager's operation \(k)")
            #expect(results["problems"] as? [String] == [], "operation \(k)")
        }
    }

    /// Written data not flushed is lost with the power. ngen writes a native image beside its
    /// place and renames it in without flushing it: the power lost just before it commits its
    /// second image takes the first one's bytes, and that image is then damaged — stale, never
    /// reported fresh — while the rest of the machine is as the hotfix left it.
    @Test func aPowerLossLosesWhatWasNotFlushed() throws {
        let rig = try temporaryFile(
            "lost.yaml",
            """
            rig: lost
            machine:
              image: \(Repository.root)/Rigs/images/netfx11.yaml
            actors:
              - name: hotfix
                role: installer
                params: {patch: \(Repository.root)/Rigs/patches/kb886903.yaml}
              - name: later
                role: script
                start: {after: crash.booted}
            faults:
              - {name: crash, power_loss: hotfix/ngen, op: commit_image, nth: 2}
            expect:
              exit: {later: 0}
              files: {'C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\mscorwks.dll': 1.1.4322.2037}
            """)
        let results = try run(rig)
        let fault = try #require((results["faults"] as? [[String: Any]])?.first)
        #expect(fault["injected"] as? Bool == true)
        let detail = try #require(fault["detail"] as? String)
        #expect(detail.hasPrefix("killed 2 processes; unflushed writes lost in C:\\Windows\\assembly\\"), "\(detail)")
        let outcome = try #require(
            (results["actors"] as? [[String: Any]])?.first { $0["name"] as? String == "hotfix/ngen" }?["outcome"] as? String)
        #expect(outcome == "killed by signal 9 (fault: power loss at hotfix/ngen before its commit_image #2)")
        #expect(results["passed"] as? Bool == true, "the boot after it ran and `later` started after crash.booted")
        let images = try #require((results["machine"] as? [String: Any])?["native_images"] as? [String: [String: Any]])
        #expect(!images.values.contains { $0["status"] as? String == "fresh" }, "\(images)")
        #expect(images.values.contains { ($0["why"] as? [String])?.contains { $0.contains("damaged") } == true }, "\(images)")
    }

    @Test func aPowerLossByTimeBootsTheMachine() throws {
        let rig = try temporaryFile(
            "timed.yaml",
            """
            rig: timed
            machine:
            actors:
              - name: sleeper
                role: script
                steps: [{sleep: 10s}]
              - name: after
                role: script
                start: {after: blackout.booted}
            faults:
              - {name: blackout, power_loss: machine, at: 200ms, logon: admin}
            expect:
              exit: {after: 0}
            """)
        let results = try run(rig)
        #expect(results["passed"] as? Bool == true, "\(results)")
        let sleeper = try #require((results["actors"] as? [[String: Any]])?.first { $0["name"] as? String == "sleeper" })
        #expect(sleeper["outcome"] as? String == "killed by signal 9 (fault: power loss at 200ms)")
    }

    /// The trace shows the run as one slice, the reboot's phases on a machine lane, and the
    /// coordinator's spawn slices start where the child's lane starts.
    @Test func theTraceHasTheRunAndTheMachineLane() throws {
        let dir = temporaryDirectory()
        let outcome = execute(BuiltBinaries.rig, ["run", "Rigs/hard-lock-deferred.yaml", "--trace", dir + "/t.json"])
        #expect(outcome.status == 0, "\(outcome.stdout)")
        let events = try #require(try readJSON(dir + "/t.json")["traceEvents"] as? [[String: Any]])
        let run = try #require(events.first { $0["name"] as? String == "run" })
        #expect((run["dur"] as? Double ?? 0) > 1000, "the run slice spans the run: \(run)")
        let machine = events.filter { $0["cat"] as? String == "machine" }.compactMap { $0["name"] as? String }
        #expect(machine == ["reboot1", "shutdown", "Session Manager", "services"], "\(machine)")
        let lane = try #require(events.first { $0["name"] as? String == "thread_name" })
        #expect((lane["args"] as? [String: Any])?["name"] as? String == "machine")
        let spawns = events.filter { $0["name"] as? String == "spawn" }
        let startUps = events.filter { $0["name"] as? String == "start-up" }
        #expect(!spawns.isEmpty && spawns.count == startUps.count)
        let spawnStarts = Set(spawns.compactMap { $0["ts"] as? Double })
        #expect(startUps.allSatisfy { spawnStarts.contains($0["ts"] as? Double ?? -1) }, "each spawn begins with its child's lane")
    }

    /// JUnit test cases are named the same in every run of a rig (no pids in their names).
    @Test func junitNamesStayTheSameFromRunToRun() throws {
        let rig = try temporaryFile("slow.yaml", "actors: [{name: a, role: script, timeout: 100ms, steps: [{sleep: 10s}]}]\n")
        var names: [[String]] = []
        for _ in 0..<2 {
            let dir = temporaryDirectory()
            _ = execute(BuiltBinaries.rig, ["run", rig, "--junit", dir + "/j.xml"])
            let xml = try String(contentsOfFile: dir + "/j.xml", encoding: .utf8)
            names.append(xml.components(separatedBy: "name=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) })
        }
        #expect(names[0] == names[1])
        #expect(names[0].contains("problem: actor &apos;a&apos;: timed out after 100ms; killed"), "\(names[0])")
    }
}
