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
        #expect(rig.faults.map(\.text) == [
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
        #expect(found == [
            "f.yaml:8:11: error: unknown actor 'instaler' in faults (did you mean 'installer'?)",
            "f.yaml:10:5: error: 'pause' needs 'for: DURATION', how long the process stays stopped",
            "f.yaml:13:5: error: 'for' goes with 'pause'; a kill has no duration",
            "f.yaml:15:5: error: fault 4 needs a time: 'at', 'after', 'after_exit' or 'op'",
            "f.yaml:18:5: error: 'at' is a time trigger; a fault at an operation ('op') takes only 'nth'",
            "f.yaml:19:11: error: app already has a fault at an operation (at 16:11); one per process",
            "f.yaml:23:10: error: 'nth' must be in 1...4294967295, not 0",
            "f.yaml:24:5: error: unknown key 'explode' in fault 8 (known: kill, pause, name, for, op, nth, at, after, after_exit, delay, jitter)",
            "f.yaml:24:5: error: fault 8 needs an action: 'kill: PROCESS' or 'pause: PROCESS'",
            "f.yaml:26:5: error: fault 9 has more than one action ('kill' and 'pause')",
            "f.yaml:29:13: error: 'max_events' must be in 1...2147483647, not 0",
        ])
    }
}
