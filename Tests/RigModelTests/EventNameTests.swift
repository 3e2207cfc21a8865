import Foundation
import TestSupport
import Testing

@testable import RigModel

@Suite struct EventNameTests {
    /// Each of these used to pass validation and wait until the run's timeout.
    @Test func eventsNoOneEmitsAreRefusedWithASuggestion() throws {
        let dir = try RigFileDirectory("events")
        let errors = dir.errors(
            """
            machine:
              steps:
                - reboot: {after: wu.done}
            actors:
              - {name: app, role: app, params: {load: 'C:\\Windows\\System32\\a.dll'}}
              - {name: setup, role: setup, params: {patch: patches/ok.yaml}}
              - {name: n, role: ngen}
              - {name: wu, role: windowsupdate, params: {patch: patches/ok.yaml}}
              - name: s
                role: script
                start: {after: app.loadedd}
                steps:
                  - wait: setup.instaled
                  - wait: n.done
                  - emit: ready
              - name: t
                role: script
                steps:
                  - wait: s.redy
                  - wait: reboot1.bootd
              - {name: u, role: app, params: {load: 'C:\\Windows\\System32\\a.dll', until: wu.dne}}
            """)
        #expect(
            errors == [
                "r.yaml:11:20: error: actor 'app' (role 'app') never emits 'loadedd' (did you mean 'loaded'?); its events: loaded",
                "r.yaml:13:15: error: actor 'setup' (role 'setup') never emits 'instaled' (did you mean 'installed'?); its events: installed",
                "r.yaml:14:15: error: actor 'n' (role 'ngen') never emits 'done'; it emits no events (use after_exit: n to start after its exit)",
                "r.yaml:19:15: error: actor 's' (role 'script') never emits 'redy' (did you mean 'ready'?); its events: ready",
                "r.yaml:20:15: error: machine step 'reboot1' has no event 'bootd' (did you mean 'booted'?) (its events: down, service-*, booted, done)",
                "r.yaml:21:77: error: actor 'wu' (role 'windowsupdate') never emits 'dne' (did you mean 'done'?); its events: done",
            ], "\(errors)")
    }

    @Test func aScriptWithoutEmitStepsEmitsNothing() {
        let dir = try! RigFileDirectory("events")
        #expect(
            dir.errors(
                """
                actors:
                  - {name: a, role: script, steps: [{sleep: 1ms}]}
                  - {name: b, role: script, start: {after: a.ready}}
                """) == ["r.yaml:3:44: error: actor 'a' (role 'script') never emits 'ready'; it emits no events (give it an 'emit' step)"])
    }

    @Test func everyDeclaredEventIsAccepted() throws {
        let dir = try RigFileDirectory("events")
        #expect(
            dir.errors(
                """
                machine:
                  steps:
                    - reboot: {after: wu.done, logon: admin}
                actors:
                  - {name: app, role: app, params: {load: 'C:\\Windows\\System32\\a.dll', until: setup.installed}}
                  - {name: setup, role: setup, params: {patch: patches/ok.yaml}}
                  - {name: i, role: installer, params: {patch: patches/ok.yaml}}
                  - {name: wu, role: windowsupdate, params: {patch: patches/ok.yaml}}
                  - name: s
                    role: script
                    start: {after: app.loaded}
                    steps: [{wait: i.installed}, {wait: reboot1.logon}, {emit: go}]
                  - {name: t, role: script, start: {after: s.go}}
                faults:
                  - {kill: t, after: reboot1.booted}
                """) == [])
        // The table names every role, and only known roles.
        #expect(Set(Role.events.keys) == Set(Role.known.keys))
    }

    /// `files_in_use: abort` and `era: service2` used to run and exit 1639.
    @Test func windowsUpdateParametersAreChecked() throws {
        let dir = try RigFileDirectory("events")
        #expect(
            dir.errors(
                """
                machine:
                actors:
                  - {name: wu, role: windowsupdate, params: {patch: patches/ok.yaml, files_in_use: abort, era: service2}}
                """) == [
                    "r.yaml:3:84: error: parameter 'files_in_use' of role 'windowsupdate' must be retry, exit or ignore, not 'abort'",
                    "r.yaml:3:96: error: parameter 'era' of role 'windowsupdate' must be runonce or service, not 'service2' (did you mean 'service'?)",
                ])
    }

    /// A misspelled switch used to be ignored: `/servce` ran the RunOnce pass with nothing to do (87).
    @Test func netFxUpdateCommandSwitchesMustBeKnown() throws {
        let dir = try RigFileDirectory("events")
        let errors = dir.errors(
            """
            machine:
            actors:
              - {name: n, role: netfxupdate, params: {command: 'netfxupdate.exe /servce'}}
              - {name: m, role: netfxupdate, params: {command: 'netfxupdate.exe /ngen:A extra'}}
            """)
        #expect(
            errors.contains(
                "r.yaml:3:43: error: parameter 'command': NetFxUpdate does not understand '/servce' (did you mean '/service'?); it takes /ngen:A,B, /gac:PATH, /service and /lock"
            ),
            "\(errors)")
        #expect(
            errors.contains(
                "r.yaml:4:43: error: parameter 'command': NetFxUpdate does not understand 'extra'; it takes /ngen:A,B, /gac:PATH, /service and /lock"
            ),
            "\(errors)")
    }

    /// Names the tool itself gives processes used to be refused for their dots.
    @Test func generatedProcessNamesAreAcceptedInExpectAndFaults() throws {
        let dir = try RigFileDirectory("events")
        #expect(
            dir.errors(
                """
                machine:
                  steps: [{reboot: {name: reboot1, logon: admin}}, {reboot: {name: sp1, after: reboot1.done}}]
                actors:
                  - {name: i, role: installer, params: {patch: patches/ok.yaml}}
                faults:
                  - {kill: 'sp1/ngen-System.Web', at: 1s}
                expect:
                  exit:
                    reboot1/RunOnce-NetFxUpdate_NDP1.1sp1-KB867460: 0
                    sp1/ngen-System.Web: 0
                    'reboot1/Run-My Updater': 0
                """) == [])
        let errors = dir.errors(
            """
            actors: [{name: a, role: script}]
            expect:
              exit: {'a//x': 0, 'a/': 0, "a/\\tb": 0, 'a/ x': 0}
            """)
        #expect(errors.count == 4, "\(errors)")
        #expect(errors.allSatisfy { $0.contains("bad process name") }, "\(errors)")
    }

    /// A script's `exit` step takes a Windows exit code, as the README says: 3010 is one.
    @Test func scriptExitCodesAreWindowsCodes() {
        let dir = try! RigFileDirectory("events")
        #expect(dir.errors("actors: [{name: a, role: script, steps: [{exit: 3010}]}]\n") == [])
        #expect(dir.errors("actors: [{name: a, role: script, steps: [{exit: 2147483647}]}]\n") == [])
        #expect(dir.errors("actors: [{name: a, role: script, steps: [{exit: -1}]}]\n").count == 1)
        #expect(dir.errors("actors: [{name: a, role: script, steps: [{exit: 2147483648}]}]\n").count == 1)
    }
}

@Suite struct RepositoryRigTests {
    /// Every rig of the repository names only events that are emitted, and validates.
    @Test func everyRigInTheRepositoryValidates() throws {
        let repository = "/" + "\(#filePath)".split(separator: "/").dropLast(3).joined(separator: "/")
        let rigs = FileManager.default.enumerator(atPath: repository + "/Rigs")!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("patches/") && !$0.hasPrefix("images/") }
        #expect(rigs.count > 10)
        for rig in rigs {
            do { _ = try RigLoader.load(path: repository + "/Rigs/" + rig) } catch {
                Issue.record("\(rig): \(error)")
            }
        }
    }
}
