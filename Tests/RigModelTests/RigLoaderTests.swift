import Foundation
import Testing

@testable import RigModel

/// The errors `RigLoader.parse` reports for `yaml`, as printed (`file:line:column: error: ...`).
private func errors(_ yaml: String, file: String = "r.yaml") -> [String] {
    do {
        _ = try RigLoader.parse(yaml: yaml, file: file)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

@Suite struct RigLoaderTests {
    @Test func fullRigDecodesToTheModel() throws {
        let yaml = """
            rig: smoke
            description: |
              Two scripts.
            seed: 42
            timeout: 90s
            actors:
              - name: installer
                role: script
                start: 0ms
                timeout: 10s
                steps:
                  - sleep: 20ms
                  - emit: ready
                  - wait: other.done
                  - exit: 3
              - name: other
                role: script
                start: {after: installer.ready, delay: 10ms, jitter: 5ms}
                steps:
                  - emit: done
              - name: late
                role: script
                start: {after_exit: other}
              - name: timed
                role: script
                start: {at: 100ms, jitter: 20ms}
                params: {}
            expect:
              exit:
                installer: 3
                other: [0, 3010]
            """
        let rig = try RigLoader.parse(yaml: yaml, file: "Rigs/smoke.yaml")
        #expect(rig.name == "smoke")
        #expect(rig.description == "Two scripts.\n")
        #expect(rig.seed == 42)
        #expect(rig.timeout == .seconds(90))
        #expect(rig.file == "Rigs/smoke.yaml")
        #expect(rig.actors.map(\.name) == ["installer", "other", "late", "timed"])
        #expect(rig.actors.allSatisfy { $0.role == "script" })

        let installer = rig.actors[0]
        #expect(installer.start == .at(.zero, jitter: .zero))
        #expect(installer.timeout == .seconds(10))
        #expect(installer.position == SourcePosition(file: "Rigs/smoke.yaml", line: 7, column: 11))
        let file = "Rigs/smoke.yaml"
        #expect(
            installer.steps == [
                Step(.sleep(.milliseconds(20)), at: SourcePosition(file: file, line: 12, column: 9)),
                Step(.emit("ready"), at: SourcePosition(file: file, line: 13, column: 9)),
                Step(.wait(actor: "other", event: "done"), at: SourcePosition(file: file, line: 14, column: 9)),
                Step(.exit(3), at: SourcePosition(file: file, line: 15, column: 9)),
            ])
        #expect(
            rig.actors[1].start
                == .afterEvent(actor: "installer", event: "ready", delay: .milliseconds(10), jitter: .milliseconds(5)))
        #expect(rig.actors[1].timeout == .seconds(30))
        #expect(rig.actors[2].start == .afterExit(actor: "other", delay: .zero, jitter: .zero))
        #expect(rig.actors[2].steps.isEmpty)
        #expect(rig.actors[3].start == .at(.milliseconds(100), jitter: .milliseconds(20)))
        #expect(
            rig.expectations == [
                Expectation(.exitCode(actor: "installer", anyOf: [3]), at: SourcePosition(file: file, line: 30, column: 5)),
                Expectation(.exitCode(actor: "other", anyOf: [0, 3010]), at: SourcePosition(file: file, line: 31, column: 5)),
            ])
        #expect(rig.expectations.map(\.text) == ["installer exits with 3", "other exits with 0 or 3010"])
    }

    @Test func defaults() throws {
        let rig = try RigLoader.parse(yaml: "actors:\n  - {name: a, role: script}\n", file: "dir/my-rig.yaml")
        #expect(rig.name == "my-rig")
        #expect(rig.description == "")
        #expect(rig.seed == 1)
        #expect(rig.timeout == .seconds(60))
        #expect(rig.expectations.isEmpty)
        #expect(rig.actors[0].start == .at(.zero, jitter: .zero))
        #expect(rig.actors[0].timeout == .seconds(30))
        #expect(rig.actors[0].parameters.isEmpty)
    }

    @Test func malformedYAML() {
        #expect(
            errors("actors:\n  - name: a\n   role: script\n") == [
                "r.yaml:3:4: error: malformed YAML: did not find expected '-' indicator (while parsing a block collection at 2:3)"
            ])
        #expect(
            errors("actors: [a, b\n") == [
                "r.yaml:2:1: error: malformed YAML: did not find expected ',' or ']' (while parsing a flow sequence at 1:9)"
            ])
    }

    @Test func unknownKeys() {
        let yaml = """
            rig: x
            timout: 5s
            actors:
              - name: a
                role: script
                strat: 0ms
                start: {at: 0ms, jiter: 1ms}
                steps:
                  - slep: 1ms
            expect:
              exits: {a: 0}
            """
        #expect(
            errors(yaml) == [
                "r.yaml:2:1: error: unknown key 'timout' in the rig (did you mean 'timeout'?)",
                "r.yaml:6:5: error: unknown key 'strat' in actor 1 (did you mean 'start'?)",
                "r.yaml:7:22: error: unknown key 'jiter' in start (did you mean 'jitter'?)",
                "r.yaml:9:9: error: unknown key 'slep' in step 1 (did you mean 'sleep'?)",
                "r.yaml:11:3: error: unknown key 'exits' in 'expect' (did you mean 'exit'?)",
            ])
        #expect(
            errors("actors:\n  - {name: a, role: script, colour: red}\n") == [
                "r.yaml:2:29: error: unknown key 'colour' in actor 1 (known: name, role, start, timeout, params, steps)"
            ])
    }

    @Test func wrongTypes() {
        let yaml = """
            rig: [x]
            seed: -1
            actors:
              - name: a
                role: script
                params: [x]
                steps: {sleep: 1ms}
              - name: b
                role: {x: 1}
                start: [1ms]
              - just-a-name
            expect: 3
            """
        #expect(
            errors(yaml) == [
                "r.yaml:1:6: error: the rig name ('rig') must be text, not a list",
                "r.yaml:2:7: error: the seed must be a whole number, not '-1'",
                "r.yaml:6:13: error: 'params' must be a mapping, not a list",
                "r.yaml:7:12: error: 'steps' must be a list, not a mapping",
                "r.yaml:9:11: error: the role must be text, not a mapping",
                "r.yaml:10:12: error: start must be a time such as 100ms or a mapping such as {after: other.ready}, not a list",
                "r.yaml:11:5: error: actor 3 must be a mapping, not 'just-a-name'",
                "r.yaml:12:9: error: 'expect' must be a mapping, not '3'",
            ])
        #expect(errors("- a\n- b\n") == ["r.yaml:1:1: error: the rig must be a mapping, not a list"])
    }

    @Test func missingNameAndRole() {
        #expect(
            errors("actors:\n  - role: script\n  - name: b\n") == [
                "r.yaml:2:5: error: actor 1 needs 'name'",
                "r.yaml:3:5: error: actor 'b' needs 'role'",
            ])
    }

    @Test func unknownRoleListsTheKnownRoles() {
        #expect(
            errors("actors:\n  - {name: a, role: scrip}\n  - {name: b, role: mspaint}\n") == [
                "r.yaml:2:21: error: unknown role 'scrip' (did you mean 'script'?); known roles: \(Role.known.keys.sorted().joined(separator: ", "))",
                "r.yaml:3:21: error: unknown role 'mspaint'; known roles: \(Role.known.keys.sorted().joined(separator: ", "))",
            ])
    }

    @Test func aBadActorStillCountsAsNamed() {
        let yaml = """
            actors:
              - {name: a, role: nope}
              - {name: b, role: script, start: {after_exit: a}}
            expect:
              exit: {a: 0}
            """
        #expect(
            errors(yaml) == ["r.yaml:2:21: error: unknown role 'nope'; known roles: \(Role.known.keys.sorted().joined(separator: ", "))"])
    }

    @Test func unknownParameters() {
        let yaml = """
            actors:
              - name: a
                role: script
                params:
                  speed: fast
            """
        #expect(errors(yaml) == ["r.yaml:5:7: error: unknown parameter 'speed' for role 'script' (it takes none)"])
    }

    @Test func stepsOnlyForScripts() throws {
        // Every other role refuses steps (and works on a machine).
        for other in Role.known.keys.sorted() where other != "script" {
            #expect(
                errors("machine:\nactors:\n  - name: a\n    role: \(other)\n    steps: []\n") == [
                    "r.yaml:5:5: error: only script actors take 'steps'; actor 'a' plays '\(other)'"
                ])
        }
        guard let other = Role.known.keys.sorted().first(where: { $0 != "script" }) else { return }
        #expect(
            errors("actors:\n  - name: a\n    role: \(other)\n    steps: []\n") == [
                "r.yaml:3:11: error: actor 'a' plays '\(other)', which works on a machine; add a 'machine:' section",
                "r.yaml:4:5: error: only script actors take 'steps'; actor 'a' plays '\(other)'",
            ])
    }

    @Test func badDurations() {
        let yaml = """
            timeout: 0s
            actors:
              - name: a
                role: script
                start: 10
                timeout: 1h
                steps:
                  - sleep: -1ms
                  - sleep: 1.5ns
                  - emit: x
              - name: b
                role: script
                start: {after: a.x, delay: fast, jitter: [1]}
            """
        #expect(
            errors(yaml) == [
                "r.yaml:1:10: error: the rig's timeout must be longer than 0",
                "r.yaml:5:12: error: the start time: '10' needs a unit (ns, us, ms, s, m), e.g. 10ms",
                "r.yaml:6:14: error: the timeout of actor 'a': '1h' has an unknown unit 'h' (units: ns, us, ms, s, m)",
                "r.yaml:8:16: error: sleep: a duration cannot be negative: '-1ms'",
                "r.yaml:9:16: error: sleep: '1.5ns' is finer than a nanosecond",
                "r.yaml:13:32: error: the delay: 'fast' is not a duration; write a number and a unit (ns, us, ms, s, m), e.g. 250ms",
                "r.yaml:13:46: error: the jitter must be a duration such as 250ms or 1.5s, not a list",
            ])
    }

    @Test func duplicateAndBadNames() {
        let yaml = """
            actors:
              - {name: a, role: script}
              - {name: a, role: script}
              - {name: 9lives, role: script}
              - {name: "has space", role: script}
            """
        #expect(
            errors(yaml) == [
                "r.yaml:3:12: error: duplicate actor name 'a' (first used at 2:12)",
                "r.yaml:4:12: error: bad actor name '9lives': use a letter, then letters, digits, '_' or '-'",
                "r.yaml:5:12: error: bad actor name 'has space': use a letter, then letters, digits, '_' or '-'",
            ])
    }

    @Test func referencesToUnknownActors() {
        let yaml = """
            actors:
              - name: installer
                role: script
                start: {after: instaler.ready}
                steps:
                  - wait: ngen.done
              - name: b
                role: script
                start: {after_exit: zzz}
            expect:
              exit:
                nobody: 0
            """
        #expect(
            errors(yaml) == [
                "r.yaml:4:20: error: unknown actor 'instaler' in start (did you mean 'installer'?)",
                "r.yaml:6:15: error: unknown actor 'ngen' in wait (actors: installer, b)",
                "r.yaml:9:25: error: unknown actor 'zzz' in start (actors: installer, b)",
                "r.yaml:12:5: error: unknown actor 'nobody' in expect.exit (actors: installer, b)",
            ])
    }

    @Test func selfReferences() {
        let yaml = """
            actors:
              - name: a
                role: script
                start: {after: a.ready}
                steps:
                  - emit: ready
                  - wait: a.ready
              - name: b
                role: script
                start: {after_exit: b}
            """
        #expect(
            errors(yaml) == [
                "r.yaml:4:20: error: actor 'a' cannot start after itself",
                "r.yaml:7:15: error: actor 'a' cannot wait on itself",
                "r.yaml:10:25: error: actor 'b' cannot start after itself",
            ])
    }

    @Test func startCyclesAreNamed() {
        let yaml = """
            actors:
              - {name: lead, role: script, start: {after: b.x}}
              - {name: a, role: script, start: {after: b.ready}, steps: [{emit: go}]}
              - {name: b, role: script, start: {after_exit: c}, steps: [{emit: x}, {emit: ready}]}
              - {name: c, role: script, start: {after: a.go, delay: 1ms}}
              - {name: d, role: script, start: {after_exit: e}}
              - {name: e, role: script, start: {after_exit: d}}
            """
        #expect(
            errors(yaml) == [
                "r.yaml:3:12: error: actors start after each other in a cycle, so none can start: a → b → c → a",
                "r.yaml:6:12: error: actors start after each other in a cycle, so none can start: d → e → d",
            ])
    }

    @Test func badStartForms() {
        let yaml = """
            actors:
              - {name: a, role: script, start: {jitter: 1ms}}
              - {name: b, role: script, start: {at: 1ms, after: a.x}}
              - {name: c, role: script, start: {at: 1ms, delay: 2ms}}
              - {name: d, role: script, start: {after: a}}
              - {name: e, role: script, start: {after: a.}}
              - {name: f, role: script, start: {after: a.x y}}
            """
        #expect(
            errors(yaml) == [
                "r.yaml:2:36: error: start needs one of 'at', 'after' or 'after_exit'",
                "r.yaml:3:46: error: start takes one of 'at', 'after' or 'after_exit', not both 'at' and 'after'",
                "r.yaml:4:46: error: 'delay' goes with 'after' or 'after_exit'; with 'at', write the time in 'at'",
                "r.yaml:5:44: error: 'after' needs actor.event, e.g. installer.ready, not 'a'",
                "r.yaml:6:44: error: 'after' needs actor.event, e.g. installer.ready, not 'a.'",
                "r.yaml:7:44: error: bad event name 'x y' in 'after': use letters, digits, '_' or '-'",
            ])
    }

    @Test func badSteps() {
        let yaml = """
            actors:
              - name: a
                role: script
                steps:
                  - sleep
                  - {}
                  - {sleep: 1ms, emit: x}
                  - emit: "no way"
                  - emit:
                  - exit: 2147483648
                  - exit: -1
                  - exit: 1.5
            """
        #expect(
            errors(yaml) == [
                "r.yaml:5:9: error: step 1 must be one action such as 'sleep: 20ms', not 'sleep'",
                "r.yaml:6:9: error: step 2 is empty; write one of sleep, emit, wait, exit",
                "r.yaml:7:22: error: step 3 has more than one action ('sleep' and 'emit'); write one per step",
                "r.yaml:8:15: error: bad event name 'no way': use letters, digits, '_' or '-'",
                "r.yaml:9:14: error: the event of 'emit' must be text, not nothing",
                "r.yaml:10:15: error: the exit code must be a whole number in 0...2147483647, not '2147483648'",
                "r.yaml:11:15: error: the exit code must be in 0...2147483647, not -1",
                "r.yaml:12:15: error: the exit code must be a whole number in 0...2147483647, not '1.5'",
            ])
    }

    @Test func expectedExitCodes() {
        let yaml = """
            actors:
              - {name: a, role: script}
            expect:
              exit:
                a: []
                b: [0, x]
                c: 4294967296
            """
        #expect(
            errors(yaml) == [
                "r.yaml:5:8: error: the expected exit code of 'a': give at least one code",
                "r.yaml:6:5: error: unknown actor 'b' in expect.exit (did you mean 'a'?)",
                "r.yaml:6:12: error: the expected exit code of 'b' must be a whole number in 0...2147483647, not 'x'",
                "r.yaml:7:5: error: unknown actor 'c' in expect.exit (did you mean 'a'?)",
                "r.yaml:7:8: error: the expected exit code of 'c' must be a whole number in 0...2147483647, not '4294967296'",
            ])
    }

    @Test func rigsWithoutActors() {
        #expect(errors("") == ["r.yaml:1:1: error: the rig is empty; it needs at least 'actors'"])
        #expect(errors("# only a comment\n") == ["r.yaml:1:1: error: the rig is empty; it needs at least 'actors'"])
        #expect(errors("rig: x\n") == ["r.yaml:1:1: error: the rig has no actors; add 'actors:' with at least one"])
        #expect(errors("rig: x\nactors: []\n") == ["r.yaml:2:9: error: the rig has no actors; 'actors' needs at least one"])
    }

    @Test func allProblemsAreReportedSortedByPosition() {
        let yaml = """
            expect:
              exit: {ghost: 0}
            actors:
              - {name: a, role: nope}
            seed: x
            """
        let found = errors(yaml)
        #expect(found.count == 3)
        #expect(found.map { $0.split(separator: ":")[1] } == ["2", "4", "5"])
    }

    @Test func loadReadsAFileAndReportsAMissingOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rigloader-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("two.yaml").path
        try "actors:\n  - {name: a, role: script}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let rig = try RigLoader.load(path: path)
        #expect(rig.name == "two")
        #expect(rig.file == path)

        let missing = dir.appendingPathComponent("missing.yaml").path
        #expect(throws: RigErrors.self) { try RigLoader.load(path: missing) }
        do {
            _ = try RigLoader.load(path: missing)
        } catch {
            #expect(error.description == "\(missing):1:1: error: cannot read the rig: no such file")
        }
    }
}
