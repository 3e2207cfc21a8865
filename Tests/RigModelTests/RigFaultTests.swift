import Testing

@testable import RigModel

/// `faults:` and `max_events:`, decoded and validated.
@Suite struct RigFaultTests {
    let actors = """
        actors:
          - name: installer
            role: script
            steps: [{emit: ready}]
          - name: app
            role: script
        """

    func errors(_ yaml: String) -> [String] {
        do {
            _ = try RigLoader.parse(yaml: yaml, file: "f.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func faultsDecodeToTheModel() throws {
        let rig = try RigLoader.parse(
            yaml: """
                max_events: 500
                \(actors)
                faults:
                  - kill: installer
                    op: replace
                    nth: 2
                  - name: freeze
                    pause: app
                    after: installer.ready
                    delay: 5ms
                    for: 200ms
                  - kill: installer/ngen
                    at: 1s
                    jitter: 10ms
                  - kill: app
                    op: any
                """, file: "f.yaml")
        #expect(rig.maxEvents == 500)
        #expect(rig.faults.map(\.name) == ["fault1", "freeze", "fault3", "fault4"])
        #expect(rig.faults[0].trigger == .operation(op: "replace", nth: 2))
        #expect(rig.faults[0].action == .kill)
        #expect(rig.faults[1].action == .pause(.milliseconds(200)))
        #expect(rig.faults[1].trigger == .time(.afterEvent(actor: "installer", event: "ready", delay: .milliseconds(5), jitter: .zero)))
        #expect(rig.faults[2].process == "installer/ngen")
        #expect(rig.faults[3].trigger == .operation(op: "any", nth: 1))
        #expect(
            rig.faults.map(\.text) == [
                "kill installer before its replace #2",
                "pause app for 200ms 5ms after installer.ready",
                "kill installer/ngen at 1s (+ up to 10ms)",
                "kill app before its operation #1",
            ])
        #expect(try RigLoader.parse(yaml: actors, file: "f.yaml").maxEvents == RigLoader.defaultMaxEvents)
    }

    @Test func badFaultsAreRefusedWithPositions() {
        let found = errors(
            """
            \(actors)
            faults:
              - kill: instaler
                at: 1s
              - pause: app
                at: 1s
              - kill: app
                for: 1s
                at: 1s
              - kill: app
              - kill: app
                op: replace
                at: 1s
              - kill: app
                op: load
              - kill: app
                op: emit
                nth: 0
              - explode: app
              - kill: app
                pause: app
                for: 1s
                at: 1s
            max_events: 0
            """)
        #expect(
            found == [
                "f.yaml:8:11: error: unknown actor 'instaler' in faults (did you mean 'installer'?)",
                "f.yaml:10:5: error: 'pause' needs 'for: DURATION', how long the process stays stopped",
                "f.yaml:13:5: error: 'for' goes with 'pause'; a kill has no duration",
                "f.yaml:15:5: error: fault 4 needs a time: 'at', 'after', 'after_exit' or 'op'",
                "f.yaml:18:5: error: 'at' is a time trigger; a fault at an operation ('op') takes only 'nth'",
                "f.yaml:19:11: error: app already has a fault at an operation (at 16:11); one per process",
                "f.yaml:23:10: error: 'nth' must be in 1...4294967295, not 0",
                "f.yaml:24:5: error: unknown key 'explode' in fault 8 (known: kill, pause, power_loss, name, for, logon, op, nth, at, after, after_exit, delay, jitter)",
                "f.yaml:24:5: error: fault 8 needs an action: 'kill: PROCESS', 'pause: PROCESS' or 'power_loss: PROCESS'",
                "f.yaml:26:5: error: fault 9 has more than one action ('kill' and 'pause')",
                "f.yaml:29:13: error: 'max_events' must be in 1...2147483647, not 0",
            ])
    }

    @Test func aPowerLossNamesAStepWhoseEventsCanBeWaitedFor() throws {
        let rig = try RigLoader.parse(
            yaml: """
                machine:
                actors:
                  - name: installer
                    role: script
                  - name: after
                    role: script
                    start: {after: crash.booted}
                    steps: [{wait: blackout.logon}]
                faults:
                  - {name: crash, power_loss: installer, op: record, logon: none}
                  - {name: blackout, power_loss: machine, at: 2s, logon: admin}
                """, file: "f.yaml")
        #expect(rig.faults.map(\.action) == [.powerLoss(logon: .none), .powerLoss(logon: .admin)])
        #expect(rig.faults.map(\.text) == ["power loss at installer before its record #1", "power loss at 2s"])
    }

    @Test func badPowerLossesAreRefused() {
        #expect(
            errors(
                """
                \(actors)
                faults:
                  - {power_loss: installer, op: record}
                """) == ["f.yaml:8:6: error: a power loss needs a machine; add a 'machine:' section"])
        #expect(
            errors(
                """
                machine:
                \(actors)
                  - name: late
                    role: script
                    start: {after: fault1.logon}
                faults:
                  - {power_loss: machine, op: record, for: 1s}
                  - {name: app, power_loss: machine, at: 1s}
                  - {kill: app, at: 1s, logon: admin}
                """) == [
                    "f.yaml:10:20: error: machine step 'fault1' has no event 'logon' (its events: down, service-*, booted, done)",
                    "f.yaml:12:18: error: a power loss at an operation names the process whose operation it is, not 'machine'",
                    "f.yaml:12:39: error: 'for' goes with 'pause'; a power loss has no duration",
                    "f.yaml:13:12: error: the fault's name 'app' is already an actor's or a step's; name it with 'name:'",
                    "f.yaml:14:25: error: 'logon' goes with 'power_loss': who logs on after the boot",
                ])
    }
}
