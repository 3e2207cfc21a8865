import Foundation
import TestSupport
import Testing

/// Expectations on the registry, on "exactly one of" and on operations, judged on what real
/// processes did; `rig run --summary`; and commands refusing a directory that is not a machine.
@Suite(.serialized, .forks, .timeLimit(.minutes(10)))
struct RigFeatureTests {
    /// The soft-lock rig (an application holds mscoree.dll loaded, the .NET 2.0 package replaces
    /// it) with the new expectations, written with the repository's image and patch.
    static func softLockRig(expect: String) throws -> String {
        try temporaryFile(
            "soft-lock.yaml",
            """
            rig: soft-lock-expect
            machine:
              image: \(Repository.root)/Rigs/images/netfx11.yaml
            actors:
              - name: app
                role: app
                params: {load: 'C:\\Windows\\System32\\mscoree.dll', until: installer.installed}
              - name: installer
                role: installer
                start: {after: app.loaded}
                params: {patch: \(Repository.root)/Rigs/patches/netfx20-mscoree.yaml}
              - name: late-app
                role: app
                start: {after_exit: installer}
                params: {load: 'C:\\Windows\\System32\\mscoree.dll', run_for: 10ms}
            expect:
            \(expect)
            """)
    }

    func run(_ rig: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> (ProcessOutcome, [[String: Any]]) {
        let json = temporaryDirectory() + "/r.json"
        let outcome = execute(BuiltBinaries.rig, ["run", rig, "--json", json] + extra, environment: environment)
        let results = (try? readJSON(json)) ?? [:]
        return (outcome, results["expectations"] as? [[String: Any]] ?? [])
    }

    @Test func newExpectationsHoldOnWhatTheProcessesDid() throws {
        let rig = try Self.softLockRig(
            expect: """
                  registry:
                    'HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v2.0.50727': {Install: {dword: 1}, Version: 2.0.50727.42, Old: absent}
                  exactly_one:
                    - {of: [app, installer, late-app], exits: 3010}
                  operations:
                    - {process: installer, op: rename_aside, args: {file: 'c:\\windows\\system32\\MSCOREE.DLL'}, result: ok}
                    - {process: late-app, op: load, result: ok, count: 1}
                    - {result: failed to load mscorwks.dll, count: 0}
                """)
        let (outcome, expectations) = try run(rig)
        #expect(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
        #expect(expectations.count == 7)
        #expect(expectations.allSatisfy { $0["passed"] as? Bool == true }, "\(expectations)")
    }

    @Test func newExpectationsFailOnWhatTheProcessesDid() throws {
        let rig = try Self.softLockRig(
            expect: """
                  registry:
                    'HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v2.0.50727': {Install: {dword: 0}, Version: absent}
                  exactly_one:
                    - {of: [app, late-app], exits: 0}
                  operations:
                    - {process: app, op: rename_aside}
                    - {process: installer, op: rename_aside, count: 0}
                """)
        let (outcome, expectations) = try run(rig)
        #expect(outcome.status == 1, "\(outcome.stdout)\n\(outcome.stderr)")
        #expect(expectations.map { $0["passed"] as? Bool } == [false, false, false, false, false], "\(expectations)")
        #expect(expectations.map { $0["detail"] as? String }.first == "REG_DWORD 1")
        #expect(
            outcome.stdout.contains(
                "FAIL  exactly one of app, late-app exits with 0: app: exited with code 0; late-app: exited with code 0"))
    }

    @Test func aBadExpectationIsABadRig() throws {
        let rig = try Self.softLockRig(
            expect: """
                  registry: {'HKXX\\Software': {A: 1}}
                  exactly_one: [{of: [app], exits: 0}]
                  operations: [{process: nobody, count: -1}]
                """)
        let (outcome, _) = try run(rig)
        #expect(outcome.status == 2)
        let lines = outcome.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(outcome.stderr)")
        #expect(lines.allSatisfy { $0.hasPrefix(rig + ":") && $0.contains(": error: ") }, "\(outcome.stderr)")
    }

    @Test func theMarkdownSummaryIsWrittenAndAppendedToTheJobSummary() throws {
        let dir = temporaryDirectory()
        try "# earlier step\n".write(toFile: dir + "/step.md", atomically: true, encoding: .utf8)
        let (outcome, _) = try run(
            "Rigs/smoke.yaml", ["--summary", dir + "/s.md"], environment: ["GITHUB_STEP_SUMMARY": dir + "/step.md"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let summary = try String(contentsOfFile: dir + "/s.md", encoding: .utf8)
        #expect(summary.hasPrefix("## smoke: PASSED\n"))
        #expect(summary.contains("| PASS | installer exits with 3010 |"))
        #expect(summary.contains("| actor | role | pid | outcome | events |"))
        let step = try String(contentsOfFile: dir + "/step.md", encoding: .utf8)
        #expect(step == "# earlier step\n" + summary)
    }

    /// Each of these used to create drive_c/ or registry.db in the directory.
    @Test func commandsRefuseADirectoryThatIsNotAMachine() throws {
        let commands: [[String]] = [
            ["fs", "open", "DIR", "C:\\Windows\\a.dll", "--access", "read", "--share", "read"],
            ["fs", "pending", "DIR"],
            ["fs", "delete", "DIR", "C:\\a.txt"],
            ["reg", "get", "DIR", "HKLM\\SOFTWARE", "V"],
            ["reg", "dump", "DIR"],
            ["reg", "set", "DIR", "HKLM\\SOFTWARE\\X", "V", "--data", "1"],
            ["machine", "show", "DIR"],
            ["machine", "boot", "DIR"],
        ]
        for command in commands {
            for setup in ["empty", "drive_c only", "missing"] {
                let dir = temporaryDirectory() + "/target"
                if setup != "missing" { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
                if setup == "drive_c only" {
                    try FileManager.default.createDirectory(atPath: dir + "/drive_c", withIntermediateDirectories: true)
                }
                let before = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                let outcome = execute(BuiltBinaries.rig, command.map { $0 == "DIR" ? dir : $0 })
                #expect(outcome.status == 2, "\(command) on \(setup): \(outcome.stderr)")
                #expect(outcome.stderr.contains("not a machine: '\(dir)'"), "\(command) on \(setup): \(outcome.stderr)")
                let after = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                #expect(after.sorted() == before.sorted(), "\(command) on \(setup) created \(after)")
            }
        }
    }

    /// Workers make the same test: each used to create drive_c/ (and some registry.db) in it.
    @Test func workersRefuseADirectoryThatIsNotAMachine() throws {
        for (role, parameters, code) in [
            ("app", ["load=C:\\Windows\\a.dll"], Int32(87)), ("ngen", ["assemblies=all"], 87),
            ("netfxupdate", ["mode=service"], 87), ("smss", [], 2),
            ("installer", ["patch=C:\\Windows\\Installer\\X.msp"], 1639 & 0xff),
        ] {
            let dir = temporaryDirectory()
            let outcome = execute(BuiltBinaries.worker, [role, "machine=\(dir)"] + parameters)
            #expect(outcome.status == code, "\(role): \(outcome.stderr)")
            #expect(outcome.stderr.contains("\(role): not a machine: '\(dir)'"), "\(role): \(outcome.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [], "\(role)")
        }
    }
}
