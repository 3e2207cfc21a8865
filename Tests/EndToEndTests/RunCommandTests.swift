import Foundation
import TestSupport
import Testing

/// `rig run` as a user runs it: the built binaries, real workers, real files.
@Suite(.serialized, .forks, .timeLimit(.minutes(10)))
struct RunCommandTests {
    @Test func theSmokeRigPassesWithATraceAndAResultsRecord() throws {
        let dir = temporaryDirectory()
        let outcome = execute(
            BuiltBinaries.rig,
            [
                "run", "Rigs/smoke.yaml", "--trace", dir + "/t.json", "--json", dir + "/r.json", "--junit", dir + "/j.xml",
                "--out", dir + "/logs",
            ])
        #expect(outcome.status == 0, "stdout: \(outcome.stdout)\nstderr: \(outcome.stderr)")

        let results = try readJSON(dir + "/r.json")
        #expect(results["passed"] as? Bool == true)
        #expect(results["seed"] as? Int == 7)
        let actors = try #require(results["actors"] as? [[String: Any]])
        #expect(actors.map { $0["name"] as? String } == ["app", "installer", "logger", "reporter"])
        #expect(actors.map { $0["exit_code"] as? Int } == [0, 3010, 0, 1])
        let pids = actors.compactMap { $0["pid"] as? Int }
        #expect(Set(pids).count == 4)
        let expectations = try #require(results["expectations"] as? [[String: Any]])
        #expect(expectations.count == 4 && expectations.allSatisfy { $0["passed"] as? Bool == true })

        // The trace names each worker process by actor and role, and has their operations.
        let trace = try readJSON(dir + "/t.json")
        let events = try #require(trace["traceEvents"] as? [[String: Any]])
        let names = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "process_name" }
        let workerNames = Set(
            names.compactMap { event -> String? in
                guard let pid = event["pid"] as? Int, pids.contains(pid) else { return nil }
                return (event["args"] as? [String: Any])?["name"] as? String
            })
        #expect(workerNames.count >= 3)
        #expect(workerNames.contains("installer (script)"))
        let operations = events.filter { $0["ph"] as? String == "X" && pids.contains($0["pid"] as? Int ?? -1) }
        #expect(operations.contains { $0["name"] as? String == "wait" })
        #expect(operations.contains { $0["name"] as? String == "emit" })

        // Logs kept with --out; JUnit has one test case per expectation.
        #expect(FileManager.default.fileExists(atPath: dir + "/logs/installer.stderr"))
        let junit = try String(contentsOfFile: dir + "/j.xml", encoding: .utf8)
        #expect(junit.components(separatedBy: "<testcase").count - 1 == 4)
    }

    /// An actor killed by its time limit never said how it would have exited: the expectation on
    /// its exit is `unknown` — not passed, told apart from a failure in every output — and the run
    /// fails.
    @Test func anExitCutShortByATimeoutIsUnknown() throws {
        let rig = try temporaryFile(
            "slow.yaml",
            """
            actors:
              - {name: slow, role: script, timeout: 100ms, steps: [{sleep: 10s}]}
              - {name: quick, role: script, steps: [{exit: 4}]}
            expect:
              exit: {slow: 0, quick: 0}
            """)
        let dir = temporaryDirectory()
        let outcome = execute(BuiltBinaries.rig, ["run", rig, "--json", dir + "/r.json", "--junit", dir + "/j.xml"])
        #expect(outcome.status == 1)
        #expect(
            outcome.stdout.contains("UNKNOWN  slow exits with 0: timed out after 100ms; killed (killed by signal 9)\n"), "\(outcome.stdout)"
        )
        #expect(outcome.stdout.contains("FAIL  quick exits with 0: exited with code 4\n"))
        #expect(outcome.stdout.contains("slow: FAILED (1 of 2 expectations failed, 1 unknown, 1 problem)"))
        let results = try readJSON(dir + "/r.json")
        #expect(results["passed"] as? Bool == false)
        let expectations = try #require(results["expectations"] as? [[String: Any]])
        #expect(expectations.map { $0["verdict"] as? String } == ["unknown", "fail"])
        #expect(expectations.map { $0["passed"] as? Bool } == [false, false])
        let junit = try String(contentsOfFile: dir + "/j.xml", encoding: .utf8)
        #expect(junit.contains("errors=\"1\""))
        #expect(junit.contains("<error message=\"timed out after 100ms; killed (killed by signal 9)\" type=\"unknown\">"))
    }

    @Test func aFailingExpectationExitsOneWithTheReplayCommand() throws {
        let rig = try temporaryFile(
            "fails.yaml",
            """
            actors:
              - name: a
                role: script
                steps:
                  - exit: 4
            expect:
              exit:
                a: 0
            """)
        let outcome = execute(BuiltBinaries.rig, ["run", rig, "--seed", "99"])
        #expect(outcome.status == 1)
        // The command, then the build that ran it (what `rig --version` prints).
        let build = try execute(BuiltBinaries.rig, ["--version"]).stdout.trimmingCharacters(in: .newlines)
        #expect(outcome.stdout.contains("replay: rig run \(rig) --seed 99   (\(build))\n"), "stdout: \(outcome.stdout)")
    }

    @Test func theReplayCommandQuotesAPathTheShellWouldSplit() throws {
        let rig = try temporaryFile(
            "it's failing.yaml", "actors:\n  - name: a\n    role: script\n    steps:\n      - exit: 4\nexpect:\n  exit:\n    a: 0\n")
        let outcome = try execute(BuiltBinaries.rig, ["run", rig, "--seed", "5"])
        #expect(outcome.status == 1)
        let quoted = "'" + rig.replacingOccurrences(of: "'", with: "'\\''") + "'"
        #expect(outcome.stdout.contains("replay: rig run \(quoted) --seed 5   (rig "), "stdout: \(outcome.stdout)")
    }

    @Test func versionNamesTheVersionAndTheCommitOfTheBuild() throws {
        let outcome = try execute(BuiltBinaries.rig, ["--version"])
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        // A commit recorded by scripts/build-commit (12 hex digits, `-dirty` for a changed tree),
        // or `unknown` for a plain `swift build`.
        let line = try Regex(#"rig [0-9]+\.[0-9]+\.[0-9]+ commit ([0-9a-f]{12}(-dirty)?|unknown)\n"#)
        #expect(outcome.stdout.wholeMatch(of: line) != nil, "stdout: \(outcome.stdout)")
    }

    @Test(arguments: [
        ("actors:\n  - name: a\n    role: script\n    colour: red\n", ":4:5: error: unknown key 'colour'"),
        ("actors:\n  - name: a\n    role: plumber\n", ":3:11: error: unknown role 'plumber'"),
        ("actors:\n  - name: a\n    role: script\n    timeout: 5 parsecs\n", ":4:14: error:"),
        ("actors: [\n", ": error:"),
        (
            "actors:\n  - name: a\n    role: script\n    start: {after: b.x}\n  - name: b\n    role: script\n    start: {after: a.y}\n",
            "a → b → a"
        ),
    ])
    func aBadRigExitsTwoWithAPositionAndSpawnsNothing(yaml: String, message: String) throws {
        let rig = try temporaryFile("bad.yaml", yaml)
        let logs = temporaryDirectory() + "/logs"
        let outcome = execute(BuiltBinaries.rig, ["run", rig, "--out", logs])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(rig) && outcome.stderr.contains(message), "stderr: \(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: logs), "nothing may be spawned for a bad rig")
    }
}

/// A worker the test writes as a script (`.forkFree`: executing a file just written must not
/// meet a child forked beside it still holding the file open for writing).
@Suite(.serialized, .forkFree, .timeLimit(.minutes(10)))
struct ImpostorWorkerTests {
    @Test func aWorkerSendingGarbageIsKilledAndNamed() throws {
        let impostor = try temporaryFile("impostor", "#!/bin/sh\nprintf '\\003\\000\\000\\000\\356\\001\\002' >&3\nsleep 30\n")
        chmod(impostor, 0o755)
        let rig = try temporaryFile("one.yaml", "actors:\n  - name: liar\n    role: script\n")
        let outcome = execute(BuiltBinaries.rig, ["run", rig], environment: ["RIG_WORKER": impostor])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.contains("liar") && outcome.stdout.contains("malformed frame"), "stdout: \(outcome.stdout)")
    }
}

/// No process outlives its run.
@Suite(.serialized, .forks, .timeLimit(.minutes(10)))
struct OrphanTests {
    let sleepers = """
        rig: sleepers
        actors:
          - name: a
            role: script
            steps: [{sleep: 60s}]
          - name: b
            role: script
            steps: [{sleep: 60s}]
          - name: c
            role: script
            steps: [{emit: up}, {sleep: 60s}]
        """

    /// Starts `rig run` on the sleepers rig and waits until its three workers run.
    func startRun(_ extra: [String] = []) throws -> (TestProcess, [Int32]) {
        let rig = try temporaryFile("sleepers.yaml", sleepers)
        let process = TestProcess([BuiltBinaries.rig, "run", rig] + extra)
        var workers: [Int32] = []
        for _ in 0..<500 where workers.count < 3 {
            usleep(10_000)
            workers = children(of: process.pid, named: "rig-worker")
        }
        return (process, workers)
    }

    @Test func killingTheCoordinatorLeavesNoWorkerAlive() throws {
        let (process, workers) = try startRun()
        #expect(workers.count == 3)
        kill(process.pid, SIGKILL)
        process.wait()
        sleep(2)
        let survivors = workers.filter(isAlive)
        #expect(survivors.isEmpty, "still alive 2 s after the coordinator was killed: \(survivors)")
    }

    @Test func interruptingTheCoordinatorEndsTheWorkersAndReports() throws {
        let dir = temporaryDirectory()
        let (process, workers) = try startRun(["--json", dir + "/r.json"])
        #expect(workers.count == 3)
        kill(process.pid, SIGINT)
        let outcome = process.wait()
        #expect(outcome.status == 130, "\(outcome)")
        #expect(workers.filter(isAlive).isEmpty)
        let results = try readJSON(dir + "/r.json")
        #expect(results["passed"] as? Bool == false)
        #expect((results["problems"] as? [String])?.contains { $0.contains("interrupted by SIGINT") } == true)
    }

    /// SIGINT and SIGTERM at moments spread over a run in which one actor waits on another: the
    /// coordinator kills the workers and then tells the waiter its event will never come, a
    /// write to a killed process. Every run must end 130/143 with all its outputs written
    /// (before, about half died of SIGPIPE with status 141 and no outputs).
    @Test func interruptedRunsAlwaysWriteTheirOutputs() throws {
        let rig = try temporaryFile(
            "interrupted.yaml",
            """
            rig: interrupted
            actors:
              - name: slow
                role: script
                steps: [{sleep: 10s}, {emit: go}]
              - name: waiter
                role: script
                steps: [{wait: slow.go}, {exit: 0}, {emit: never}]
              - name: later
                role: script
                start: {after: slow.go}
                steps: [{wait: waiter.never}]
            """)
        var random = SystemRandomNumberGenerator()
        for (trial, signal) in (Array(repeating: SIGINT, count: 8) + Array(repeating: SIGTERM, count: 8)).enumerated() {
            let dir = temporaryDirectory()
            let process = TestProcess(
                [BuiltBinaries.rig, "run", rig, "--json", dir + "/r.json", "--trace", dir + "/t.json", "--junit", dir + "/j.xml"])
            // From 30 ms on (before that the process may not have reached its first instruction).
            usleep(UInt32.random(in: 30_000...300_000, using: &random))
            kill(process.pid, signal)
            let outcome = process.wait()
            let status = outcome.signal.map { -$0 } ?? outcome.status
            #expect(status == 128 + signal, "trial \(trial): status \(status)")
            let results = try? readJSON(dir + "/r.json")
            #expect(results?["passed"] as? Bool == false, "trial \(trial): no results record")
            #expect(FileManager.default.fileExists(atPath: dir + "/t.json"), "trial \(trial): no trace")
            #expect(FileManager.default.fileExists(atPath: dir + "/j.xml"), "trial \(trial): no JUnit")
            #expect(livePids(named: "rig-worker").filter { parent(of: $0) == process.pid }.isEmpty)
        }
    }

    /// Seed 000's serialized rig with its post-reboot pass SIGKILLed from outside: the run must
    /// not pass quietly (it did: nothing looked at how the pass ended).
    @Test func aPassKilledFromOutsideIsAProblem() throws {
        // The pass is short: a kill that comes after it exited misses, and the run is tried again.
        var landed = false
        for _ in 0..<5 where !landed {
            let dir = temporaryDirectory()
            let process = TestProcess([BuiltBinaries.rig, "run", "Rigs/sp1-hotfix-race-serialized.yaml", "--json", dir + "/r.json"])
            var victim: Int32?
            for _ in 0..<3000 where victim == nil && process.isRunning {
                usleep(2_000)
                // This run's pass only: other tests' runs go on beside this one.
                victim = children(of: process.pid, named: "rig-worker").first {
                    commandLine(of: $0).dropFirst().first == "netfxupdate"
                }
            }
            let pid = try #require(victim, "the post-reboot pass never ran")
            kill(pid, SIGKILL)
            let outcome = process.wait()
            let results = try readJSON(dir + "/r.json")
            let actors = try #require(results["actors"] as? [[String: Any]])
            guard actors.first(where: { $0["pid"] as? Int == Int(pid) })?["signal"] as? Int == Int(SIGKILL) else { continue }
            landed = true
            #expect(outcome.status == 1, "\(outcome)")
            let problems = try #require(results["problems"] as? [String])
            #expect(problems.contains { $0.contains("killed by signal 9, which the rig did not inject") }, "\(problems)")
        }
        #expect(landed, "no kill landed while the pass ran")
    }

    @Test func aKilledCoordinatorsDirectoryIsRemovedByTheNextRun() throws {
        let rig = try temporaryFile("sleeper.yaml", "actors: [{name: a, role: script, steps: [{sleep: 30s}]}]\n")
        let process = TestProcess([BuiltBinaries.rig, "run", rig])
        let mine = "patchrig-run-\(process.pid)-"
        var left: [String] = []
        for _ in 0..<500 where left.isEmpty {
            usleep(10_000)
            left = (try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())).filter { $0.hasPrefix(mine) }
        }
        #expect(left.count == 1)
        usleep(200_000)
        kill(process.pid, SIGKILL)
        process.wait()
        #expect(FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "/" + left[0]))
        #expect(execute(BuiltBinaries.rig, ["run", "Rigs/smoke.yaml"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "/" + left[0]), "the next run removes it")
    }

    @Test func aFailedRunKeepsItsLogsButNotItsMachine() throws {
        let rig = try temporaryFile(
            "fails.yaml",
            """
            machine:
            actors: [{name: a, role: script, steps: [{exit: 4}]}]
            expect: {exit: {a: 0}}
            """)
        let outcome = execute(BuiltBinaries.rig, ["run", rig])
        #expect(outcome.status == 1)
        let line = try #require(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("worker logs kept in ") })
        let kept = String(line.dropFirst("worker logs kept in ".count).prefix { $0 != " " })
        #expect(FileManager.default.fileExists(atPath: kept + "/a.stderr"))
        #expect(!FileManager.default.fileExists(atPath: kept + "/machine"))
        try? FileManager.default.removeItem(atPath: kept)
    }

    @Test func aSymlinkPlantedInTheOutputDirectoryIsNotFollowed() throws {
        let dir = temporaryDirectory()
        let outside = dir + "/outside.txt"
        try "precious\n".write(toFile: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/out/a.stdout", withDestinationPath: outside)
        let rig = try temporaryFile("one.yaml", "actors: [{name: a, role: script}]\n")
        let outcome = execute(BuiltBinaries.rig, ["run", rig, "--out", dir + "/out"])
        #expect(outcome.status == 1, "the actor cannot start: \(outcome.stdout)")
        #expect(outcome.stdout.contains("cannot create its log files"))
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "precious\n")
    }
}
