import Foundation
import TestSupport
import Testing
import WindowsModel

@testable import RigModel

/// A directory with a rig's neighbours: `images/small.yaml` (a valid image), `images/bad.yaml`
/// (an image with an unknown key), `patches/sp1.yaml` (a patch fitting small.yaml), `patches/broken.yaml` (not YAML).
private final class RigDirectory {
    private let files: RigFileDirectory
    var path: String { files.path }
    init() throws {
        files = try RigFileDirectory("machinerig")
        try FileManager.default.createDirectory(atPath: path + "/images", withIntermediateDirectories: true)
        try files.write(
            "images/small.yaml",
            """
            image: small
            files:
              - {path: C:\\Windows\\System32\\mscoree.dll, version: 1.1.4322.573, size: 4096}
            """)
        try files.write("images/bad.yaml", "image: bad\nfilez: []\n")
        try files.write(
            "patches/sp1.yaml",
            """
            patch: SP1
            era: runonce
            product: .NETFramework\\1.1
            files:
              - {path: C:\\Windows\\System32\\mscoree.dll, version: 1.1.4322.2032, size: 4096}
            """)
        try files.write("patches/broken.yaml", "files: [a, b\n")
    }

    var rigFile: String { path + "/r.yaml" }

    /// The errors of `yaml` read as `r.yaml` in this directory, with the directory left out.
    func errors(_ yaml: String) -> [String] { files.errors(yaml) }

    func parse(_ yaml: String) throws -> Rig { try RigLoader.parse(yaml: yaml, file: rigFile) }
}

@Suite struct MachineRigTests {
    @Test func machineSectionDecodesToTheModel() throws {
        let dir = try RigDirectory()
        let rig = try dir.parse(
            """
            machine:
              image: images/small.yaml
              profile: win9x
              steps:
                - reboot: {after_exit: installer, logon: admin}
                - logon: {as: admin, after: reboot1.booted, delay: 1s}
                - reboot: {name: second, at: 5s, jitter: 10ms}
                - reboot:
            actors:
              - name: installer
                role: installer
                params: {patch: patches/sp1.yaml, files_in_use: retry, retry_limit: 2s}
              - name: after
                role: script
                start: {after: reboot1.booted}
                steps:
                  - wait: second.done
            """)
        let machine = try #require(rig.machine)
        #expect(machine.image == dir.path + "/images/small.yaml")
        #expect(machine.profile == .win9x)
        #expect(machine.position == SourcePosition(file: dir.rigFile, line: 1, column: 1))
        #expect(machine.steps.map(\.name) == ["reboot1", "logon1", "second", "reboot3"])
        #expect(machine.steps[0].start == .afterExit(actor: "installer", delay: .zero, jitter: .zero))
        guard case .reboot(logon: .admin) = machine.steps[0].kind else {
            Issue.record("step 1 is \(machine.steps[0].kind)")
            return
        }
        #expect(machine.steps[0].position == SourcePosition(file: dir.rigFile, line: 5, column: 7))
        guard case .logon(.admin) = machine.steps[1].kind else {
            Issue.record("step 2 is \(machine.steps[1].kind)")
            return
        }
        #expect(machine.steps[1].start == .afterEvent(actor: "reboot1", event: "booted", delay: .seconds(1), jitter: .zero))
        guard case .reboot(logon: .none) = machine.steps[2].kind else {
            Issue.record("step 3 is \(machine.steps[2].kind)")
            return
        }
        #expect(machine.steps[2].start == .at(.seconds(5), jitter: .milliseconds(10)))
        #expect(machine.steps[3].start == .at(.zero, jitter: .zero))
        // The patch is kept resolved against the rig file's directory.
        #expect(
            rig.actors[0].parameters.map(\.value) == [dir.path + "/patches/sp1.yaml", "retry", "2s"])
        #expect(rig.actors[1].start == .afterEvent(actor: "reboot1", event: "booted", delay: .zero, jitter: .zero))
    }

    @Test func anEmptyMachineIsAMinimalNTMachine() throws {
        let dir = try RigDirectory()
        let rig = try dir.parse("machine:\nactors:\n  - {name: a, role: app}\n")
        let machine = try #require(rig.machine)
        #expect(machine.image == nil)
        #expect(machine.profile == .nt)
        #expect(machine.steps.isEmpty)
        #expect(try dir.parse("actors:\n  - {name: a, role: script}\n").machine == nil)
    }

    @Test func machineSectionErrors() throws {
        let dir = try RigDirectory()
        let yaml = """
            machine:
              image: images/none.yaml
              profile: nt4
              disk: 10
              steps:
                - logon: {as: admin}
                - reboot: {logon: root, nme: x}
                - reboot: {after_exit: a, at: 1s}
                - shutdown: {}
                - {}
                - reboot
                - logon: {as: none}
                - logon:
                - reboot: {name: a}
                - reboot: {name: reboot1}
                - reboot: {name: 2nd}
            actors:
              - {name: a, role: script}
            """
        #expect(
            dir.errors(yaml) == [
                "r.yaml:2:10: error: no machine image file 'images/none.yaml' (looked for images/none.yaml)",
                "r.yaml:3:12: error: unknown profile 'nt4' (did you mean 'nt'?)",
                "r.yaml:4:3: error: unknown key 'disk' in 'machine' (known: image, profile, steps)",
                "r.yaml:6:7: error: logon before a boot: the machine must be rebooted first",
                "r.yaml:7:23: error: unknown logon 'root' (known: none, user, admin)",
                "r.yaml:7:29: error: unknown key 'nme' in 'reboot' (did you mean 'name'?)",
                "r.yaml:8:31: error: start takes one of 'at', 'after' or 'after_exit', not both 'after_exit' and 'at'",
                "r.yaml:9:7: error: unknown key 'shutdown' in machine step 4 (known: reboot, logon)",
                "r.yaml:10:7: error: machine step 5 is empty; write one of reboot, logon",
                "r.yaml:11:7: error: machine step 6 must be one action such as 'reboot: {after_exit: installer}', not 'reboot'",
                "r.yaml:12:19: error: a logon step logs someone on: 'as' is user or admin",
                "r.yaml:13:7: error: a logon step needs 'as' (user or admin)",
                "r.yaml:14:22: error: step name 'a' is the name of an actor (at 18:12); actors and steps need different names",
                "r.yaml:15:22: error: duplicate step name 'reboot1' (first used at 7:7)",
                "r.yaml:16:22: error: bad step name '2nd': use a letter, then letters, digits, '_' or '-'",
            ])
    }

    @Test func imageErrorsAreReportedAsTheLoaderReportsThem() throws {
        let dir = try RigDirectory()
        #expect(
            dir.errors("machine: {image: images/bad.yaml}\nactors:\n  - {name: a, role: script, start: {after: b.x}}\n") == [
                "r.yaml:3:44: error: unknown actor 'b' in start (did you mean 'a'?)",
                "images/bad.yaml:2:1: error: unknown key 'filez' in the image (did you mean 'files'?)",
            ])
    }

    @Test func stepReferences() throws {
        let dir = try RigDirectory()
        let yaml = """
            machine:
              steps:
                - reboot: {after: logon1.done}
                - logon: {as: user, after: reboot1.logon}
                - reboot: {after_exit: reboot1}
                - reboot: {after: reboot9.done}
                - reboot: {after: reboot2.down}
            actors:
              - name: a
                role: script
                start: {after_exit: reboot1}
                steps:
                  - wait: reboot1.ready
                  - wait: logon1.logon
              - {name: b, role: script, start: {after: reboot2.booted}}
            expect:
              exit: {reboot1: 0, reboot1/smss: 0, a/child: 0, nobody/x: 0, 'a//y': 0}
            """
        #expect(
            dir.errors(yaml) == [
                "r.yaml:3:7: error: actors and machine steps start after each other in a cycle, so none can start: reboot1 → logon1 → reboot1",
                "r.yaml:3:23: error: step 'reboot1' cannot start after a later step ('logon1'); steps start after earlier steps",
                "r.yaml:4:32: error: machine step 'reboot1' has no event 'logon' (its events: down, service-*, booted, done)",
                "r.yaml:5:28: error: 'reboot1' is a machine step, not a process: start after one of its events instead, e.g. after: reboot1.done",
                "r.yaml:6:23: error: unknown actor or machine step 'reboot9' in start (did you mean 'reboot1'?)",
                "r.yaml:11:25: error: 'reboot1' is a machine step, not a process: start after one of its events instead, e.g. after: reboot1.done",
                "r.yaml:13:15: error: machine step 'reboot1' has no event 'ready' (its events: down, service-*, booted, done)",
                "r.yaml:17:10: error: 'reboot1' is a machine step, not a process, in expect.exit",
                "r.yaml:17:51: error: unknown actor or machine step 'nobody' in expect.exit (actors: a, b; steps: reboot1, logon1, reboot2, reboot3, reboot4)",
                "r.yaml:17:64: error: bad process name 'a//y' in expect.exit: write actor/label, e.g. setup/msiexec",
            ])
    }

    @Test func theBootsPerCommandEventsAreNamedByPrefix() throws {
        let dir = try RigDirectory()
        func rig(_ profile: String, _ events: [String]) -> String {
            var text =
                "machine:\n  profile: \(profile)\n  steps:\n    - reboot: {logon: admin}\n    - logon: {as: user, after: reboot1.done}\nactors:\n"
            for (index, event) in events.enumerated() { text += "  - {name: a\(index), role: script, start: {after: \(event)}}\n" }
            return text
        }
        // Every form a rig may write, on NT.
        let good = [
            "reboot1.logon", "reboot1.runonce", "reboot1.RunOnce-NetFxUpdate_KB886903", "reboot1.Run-Tray",
            "reboot1.service-NetFxUpdate", "logon1.Run-Tray", "logon1.runonce",
        ]
        #expect(dir.errors(rig("nt", good)) == [])
        #expect(
            dir.errors(rig("nt", ["reboot1.RunOnce-", "logon1.service-NetFxUpdate", "reboot1.runonce-X"])) == [
                "r.yaml:7:45: error: machine step 'reboot1' has no event 'RunOnce-' (did you mean 'runonce'?) (its events: down, service-*, booted, logon, runonce, RunOnce-*, Run-*, done)",
                "r.yaml:8:45: error: machine step 'logon1' has no event 'service-NetFxUpdate' (its events: logon, runonce, RunOnce-*, Run-*, done)",
                "r.yaml:9:45: error: machine step 'reboot1' has no event 'runonce-X' (did you mean 'runonce'?) (its events: down, service-*, booted, logon, runonce, RunOnce-*, Run-*, done)",
            ])
        // Windows 9x starts no services at boot.
        #expect(
            dir.errors(rig("win9x", ["reboot1.RunOnce-X", "reboot1.service-NetFxUpdate"])) == [
                "r.yaml:8:45: error: machine step 'reboot1' has no event 'service-NetFxUpdate' (its events: down, booted, logon, runonce, RunOnce-*, Run-*, done)"
            ])
        #expect(StepEvents.startup(.runOnce, "!Fix it.now") == "RunOnce-_Fix_it_now")
        #expect(StepEvents.service("NetFxUpdate") == "service-NetFxUpdate")
    }

    @Test func cyclesThroughSteps() throws {
        let dir = try RigDirectory()
        // An installer needs a patch; this one fits the minimal machine.
        try """
        patch: ADD1
        era: runonce
        files: [{path: C:\\Windows\\System32\\new.dll, version: 1.0.0.0, size: 4096, adds: true}]
        """.write(toFile: dir.path + "/patches/add.yaml", atomically: true, encoding: .utf8)
        let yaml = """
            actors:
              - {name: installer, role: installer, start: {after: reboot1.booted}, params: {patch: patches/add.yaml}}
              - {name: app, role: app, start: {after: app2.loaded}}
              - {name: app2, role: app, start: {after_exit: app}}
            machine:
              steps:
                - reboot: {after_exit: installer}
                - reboot: {after: reboot1.done}
                - logon: {as: admin, after: logon1.done}
            """
        #expect(
            dir.errors(yaml) == [
                "r.yaml:2:12: error: actors and machine steps start after each other in a cycle, so none can start: installer → reboot1 → installer",
                "r.yaml:3:12: error: actors start after each other in a cycle, so none can start: app → app2 → app",
                "r.yaml:9:33: error: step 'logon1' cannot start after itself",
            ])
    }

    @Test func machineRolesNeedAMachine() throws {
        let dir = try RigDirectory()
        let yaml = """
            actors:
              - {name: s, role: script}
              - {name: i, role: installer}
              - {name: n, role: ngen}
            """
        #expect(
            dir.errors(yaml) == [
                "r.yaml:3:21: error: actor 'i' plays 'installer', which works on a machine; add a 'machine:' section",
                "r.yaml:4:21: error: actor 'n' plays 'ngen', which works on a machine; add a 'machine:' section",
            ])
    }

    @Test func parameterValues() throws {
        let dir = try RigDirectory()
        let yaml = """
            machine:
            actors:
              - name: i
                role: installer
                params: {patch: patches/none.yaml, files_in_use: retyr, retry_limit: 5, era: service}
              - name: s
                role: setup
                params:
                  packages: [patches/sp1.yaml, patches/gone.yaml]
                  mode: chained
                  files_in_use: exit
              - name: n
                role: ngen
                params: {action: uninstall, install_mutex: release, assemblies: System.Web}
              - name: u
                role: netfxupdate
                params: {mode: bootstrapper}
              - name: a
                role: app
                params: {load: 'C:\\Windows\\System32\\mscoree.dll, D:\\x.dll', hold: 'C:\\a\\..\\b', until: ghost.done, run_for: 1h}
              - name: b
                role: app
                params: {until: b.loaded, run_for: 1s}
              - name: w
                role: windowsupdate
                params: {patch: patches/broken.yaml, delay: 30s, jitter: ten}
              - name: w2
                role: windowsupdate
                params: {patch: patches/broken.yaml}
            """
        #expect(
            dir.errors(yaml) == [
                "r.yaml:5:21: error: no patch file patches/none.yaml",
                "r.yaml:5:54: error: parameter 'files_in_use' of role 'installer' must be retry, exit or ignore, not 'retyr' (did you mean 'retry'?)",
                "r.yaml:5:74: error: parameter 'retry_limit': '5' needs a unit (ns, us, ms, s, m), e.g. 5ms",
                "r.yaml:9:36: error: no patch file patches/gone.yaml",
                "r.yaml:10:13: error: parameter 'mode' of role 'setup' must be bootstrapper, not 'chained'",
                "r.yaml:14:22: error: parameter 'action' of role 'ngen' must be install or update, not 'uninstall' (did you mean 'install'?)",
                "r.yaml:14:48: error: parameter 'install_mutex' of role 'ngen' must be hold, not 'release'",
                "r.yaml:17:20: error: parameter 'mode' of role 'netfxupdate' must be runonce or service, not 'bootstrapper'",
                "r.yaml:20:20: error: parameter 'load': invalid path 'D:\\x.dll': is on drive D: — the machine has drive C: only",
                "r.yaml:20:71: error: parameter 'hold': invalid path 'C:\\a\\..\\b': contains '..'",
                "r.yaml:20:91: error: unknown actor 'ghost' in until (actors: i, s, n, u, a, b, w, w2)",
                "r.yaml:20:112: error: parameter 'run_for': '1h' has an unknown unit 'h' (units: ns, us, ms, s, m)",
                "r.yaml:23:21: error: actor 'b' cannot run until its own event",
                "r.yaml:26:62: error: parameter 'jitter': 'ten' is not a duration; write a number and a unit (ns, us, ms, s, m), e.g. 250ms",
                // The minimal machine has no mscoree.dll for sp1.yaml to replace.
                "patches/sp1.yaml:5:5: error: the patch replaces C:\\Windows\\System32\\mscoree.dll, which image 'minimal' does not have (a new file needs 'adds: true')",
                "patches/broken.yaml:2:1: error: malformed YAML: did not find expected ',' or ']' (while parsing a flow sequence at 1:8)",
            ])
    }

    @Test func packagesAsTextAndGoodValues() throws {
        let dir = try RigDirectory()
        let rig = try dir.parse(
            """
            machine:
              image: images/small.yaml
              steps:
                - reboot: {after_exit: s, logon: admin}
            actors:
              - name: s
                role: setup
                params: {packages: 'patches/sp1.yaml, patches/sp1.yaml', mode: bootstrapper, era: runonce}
              - name: a
                role: app
                params: {load: 'C:\\Windows\\System32\\mscoree.dll,C:\\Windows\\mscorwks.dll', until: reboot1.down}
            """)
        let sp1 = dir.path + "/patches/sp1.yaml"
        #expect(rig.actors[0].parameters.map(\.value) == ["\(sp1),\(sp1)", "bootstrapper", "runonce"])
        #expect(rig.actors[1].parameters[1].value == "reboot1.down")
    }

    @Test func validatePatchChecksThePatchAgainstTheImage() throws {
        let dir = try RigDirectory()
        let at = SourcePosition(file: "r.yaml", line: 3, column: 4)
        #expect(RigLoader.validatePatch(path: dir.path + "/patches/sp1.yaml", image: nil, at: at).isEmpty)
        // The minimal machine has no mscoree.dll for the patch to replace.
        let misfit = RigLoader.validatePatch(path: dir.path + "/patches/sp1.yaml", image: .minimal, at: at)
        #expect(misfit.count == 1 && misfit[0].position.file.hasSuffix("patches/sp1.yaml"), "\(misfit)")
        #expect(
            RigLoader.validatePatch(path: dir.path + "/patches", image: nil, at: at).map(\.description)
                == ["r.yaml:3:4: error: no patch file \(dir.path)/patches"])
    }

    @Test func machineExpectationsDecode() throws {
        let dir = try RigDirectory()
        let rig = try dir.parse(
            """
            machine:
            actors:
              - {name: app1, role: app}
            expect:
              files: {'C:\\Windows\\System32\\mscoree.dll': 2.0.50727.042, 'C:\\Windows\\x.tmp': absent}
              native_images: {System.Web: stale, all: fresh}
              pending_renames: 2
              loaded:
                app1: {'C:\\Windows\\System32\\mscoree.dll': 1.1.4322.573}
              services: {NetFxUpdate: absent}
              run: {Updater: present}
              runonce: {NetFxUpdate_KB1: present}
              exit: {app1: 0}
            """)
        let f = dir.rigFile
        #expect(
            rig.expectations == [
                Expectation(
                    .fileVersion(path: "C:\\Windows\\System32\\mscoree.dll", version: "2.0.50727.42"),
                    at: SourcePosition(file: f, line: 5, column: 11)),
                Expectation(.fileVersion(path: "C:\\Windows\\x.tmp", version: nil), at: SourcePosition(file: f, line: 5, column: 61)),
                Expectation(.nativeImage(assembly: "System.Web", status: "stale"), at: SourcePosition(file: f, line: 6, column: 19)),
                Expectation(.nativeImage(assembly: "all", status: "fresh"), at: SourcePosition(file: f, line: 6, column: 38)),
                Expectation(.pendingRenames(count: 2), at: SourcePosition(file: f, line: 7, column: 3)),
                Expectation(
                    .loaded(actor: "app1", path: "C:\\Windows\\System32\\mscoree.dll", version: "1.1.4322.573"),
                    at: SourcePosition(file: f, line: 9, column: 12)),
                Expectation(.service(name: "NetFxUpdate", present: false), at: SourcePosition(file: f, line: 10, column: 14)),
                Expectation(.startupEntry(key: .run, name: "Updater", present: true), at: SourcePosition(file: f, line: 11, column: 9)),
                Expectation(
                    .startupEntry(key: .runonce, name: "NetFxUpdate_KB1", present: true), at: SourcePosition(file: f, line: 12, column: 13)),
                Expectation(.exitCode(actor: "app1", anyOf: [0]), at: SourcePosition(file: f, line: 13, column: 10)),
            ])
        #expect(
            rig.expectations.map(\.text) == [
                "C:\\Windows\\System32\\mscoree.dll has version 2.0.50727.42",
                "C:\\Windows\\x.tmp is absent",
                "the native image of System.Web is stale",
                "every native image is fresh",
                "2 renames are pending",
                "app1 loaded C:\\Windows\\System32\\mscoree.dll version 1.1.4322.573",
                "service NetFxUpdate is absent",
                "Run entry Updater is present",
                "RunOnce entry NetFxUpdate_KB1 is present",
                "app1 exits with 0",
            ])
    }

    @Test func machineExpectationErrors() throws {
        let dir = try RigDirectory()
        let yaml = """
            machine:
            actors:
              - {name: app1, role: app}
            expect:
              files: {'D:\\x': 1.0, 'C:\\y': 1.0.0, 'C:\\z': [1]}
              native_images: {System: rotten, mscorlib: [fresh]}
              pending_renames: -1
              loaded:
                app2: {'C:\\m.dll': 1.0.0.0}
                app1: {'C:\\m.dll': absent}
                reboot: {}
              services: {NetFxUpdate: gone}
              run: []
              runonce: {X: yes}
            """
        #expect(
            dir.errors(yaml) == [
                "r.yaml:5:11: error: a file of 'expect.files': invalid path 'D:\\x': is on drive D: — the machine has drive C: only",
                "r.yaml:5:19: error: the expected version of D:\\x must be a file version such as 1.1.4322.573 or absent, not '1.0'",
                "r.yaml:5:32: error: the expected version of C:\\y must be a file version such as 1.1.4322.573 or absent, not '1.0.0'",
                "r.yaml:5:47: error: the expected version of C:\\z must be text, not a list",
                "r.yaml:6:27: error: the native image of System can be expected fresh, stale or missing, not 'rotten'",
                "r.yaml:6:45: error: the expected state of mscorlib's native image must be text, not a list",
                "r.yaml:7:20: error: the number of pending renames must be in 0...2147483647, not -1",
                "r.yaml:9:5: error: unknown actor 'app2' in expect.loaded (did you mean 'app1'?)",
                "r.yaml:10:24: error: the expected version of C:\\m.dll must be a file version such as 1.1.4322.573, not 'absent'",
                "r.yaml:11:5: error: unknown actor 'reboot' in expect.loaded (actors: app1)",
                "r.yaml:11:13: error: give at least one file 'reboot' loaded",
                "r.yaml:12:27: error: NetFxUpdate can be expected present or absent, not 'gone'",
                "r.yaml:13:8: error: 'expect.run' must be a mapping, not a list",
                "r.yaml:14:16: error: X can be expected present or absent, not 'yes'",
            ])
    }

    @Test func machineExpectationsNeedAMachine() throws {
        let dir = try RigDirectory()
        let yaml = """
            actors:
              - {name: a, role: script}
            expect:
              exit: {a: 0}
              files: {'C:\\x': absent}
              pending_renames: 0
              runonce: {X: absent}
            """
        #expect(
            dir.errors(yaml) == [
                "r.yaml:5:3: error: 'files' expectations are about the machine, and the rig has no 'machine:' section",
                "r.yaml:6:3: error: 'pending_renames' expectations are about the machine, and the rig has no 'machine:' section",
                "r.yaml:7:3: error: 'runonce' expectations are about the machine, and the rig has no 'machine:' section",
            ])
    }

    @Test func theRepositoryImageLoads() throws {
        // Rigs/images/netfx11.yaml, found from this file: Tests/RigModelTests/ → the repository.
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let rig = try RigLoader.parse(
            yaml: "machine: {image: images/netfx11.yaml}\nactors:\n  - {name: a, role: app}\n",
            file: repository + "/Rigs/servicing.yaml")
        #expect(rig.machine?.image == repository + "/Rigs/images/netfx11.yaml")
    }
}
