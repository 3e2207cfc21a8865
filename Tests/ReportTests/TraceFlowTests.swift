import Foundation
import RigModel
import Testing
import Wire

@testable import Report

/// A run built by hand with every kind of arrow: `b` starts after `a.ready`, `c` after `b`
/// exits (with 3, where 0 is expected), `a` waits for `c.go` (released by the coordinator), `a` starts a child `a/child`, and
/// a reboot whose Session Manager and RunOnce command the boot starts.
func flowHistory() throws -> RunHistory {
    let yaml = """
        rig: flows
        machine:
          steps:
            - reboot: {after_exit: c, logon: admin}
        actors:
          - {name: a, role: script, steps: [{emit: ready}, {wait: c.go}]}
          - {name: b, role: script, start: {after: a.ready}}
          - {name: c, role: script, start: {after_exit: b}, steps: [{emit: go}]}
        expect:
          exit: {a: 0, b: 0}
        """
    let rig = try RigLoader.parse(yaml: yaml, file: "Rigs/flows.yaml")
    let t0: UInt64 = 1_000_000_000
    func record(_ name: String, _ role: String, pid: Int32, spawn: UInt64, end: UInt64, events: [Wire.Event] = []) -> ActorRecord {
        var r = ActorRecord(name: name, role: role)
        r.pid = pid
        r.spawnNs = t0 + spawn
        r.helloNs = t0 + spawn + 100
        r.endNs = t0 + end
        r.termination = .exited(code: 0)
        r.exitReport = ExitReport(code: 0, ns: t0 + end)
        r.events = events
        return r
    }
    func event(_ op: String, _ from: UInt64, _ to: UInt64, _ args: [Argument] = [], result: OperationResult = .ok) -> Wire.Event {
        Wire.Event(startNs: t0 + from, endNs: t0 + to, op: op, args: args, result: result)
    }
    let a = record(
        "a", "script", pid: 11, spawn: 1_000, end: 21_000,
        events: [event("emit", 2_000, 3_000, [Argument("event", "ready")]), event("wait", 4_000, 12_000, [Argument("event", "c.go")])])
    let b = record("b", "script", pid: 12, spawn: 5_000, end: 8_000)
    let c = record("c", "script", pid: 13, spawn: 9_000, end: 12_500, events: [event("emit", 10_000, 11_000, [Argument("event", "go")])])
    let child = record("a/child", "script", pid: 14, spawn: 15_000, end: 16_000)
    let smss = record("reboot1/smss", "smss", pid: 15, spawn: 30_000, end: 31_000)
    let runOnce = record("reboot1/RunOnce-Pass", "netfxupdate", pid: 16, spawn: 32_000, end: 40_000)
    func note(_ op: String, _ at: UInt64, _ args: [Argument]) -> Wire.Event { event(op, at, at, args) }
    var history = RunHistory(
        rig: rig, seed: 5, startNs: t0, endNs: t0 + 50_000, coordinatorPid: 10, actors: [a, b, c, child, smss, runOnce],
        coordinatorEvents: [
            event("run", 0, 50_000, [Argument("rig", "flows")]),
            note("release", 11_500, [Argument("actor", "a"), Argument("event", "c.go")]),
            note("start_child", 14_000, [Argument("actor", "a"), Argument("child", "a/child")]),
            note("step", 29_000, [Argument("step", "reboot1")]),
            note("event", 29_500, [Argument("step", "reboot1"), Argument("event", "down")]),
            note("event", 31_000, [Argument("step", "reboot1"), Argument("event", "booted")]),
            note("event", 31_500, [Argument("step", "reboot1"), Argument("event", "logon")]),
            note("event", 32_000, [Argument("step", "reboot1"), Argument("event", "runonce")]),
            note("event", 45_000, [Argument("step", "reboot1"), Argument("event", "done")]),
        ])
    history.actors[1].termination = .exited(code: 3)
    history.actors[1].exitReport = ExitReport(code: 3, ns: t0 + 8_000)
    return history
}

@Suite struct FlowTests {
    @Test func everyKindOfArrowIsFoundInTheHistory() throws {
        let flows = RunFlows.of(try flowHistory())
        let t0: UInt64 = 1_000_000_000
        #expect(
            flows == [
                RunFlow(
                    kind: .release, from: .process(2), fromNs: t0 + 10_500, viaNs: t0 + 11_500, to: 0, toNs: t0 + 11_500, label: "c.go"),
                RunFlow(
                    kind: .child, from: .process(0), fromNs: t0 + 14_000, viaNs: t0 + 15_000, to: 3, toNs: t0 + 15_000, label: "a/child"),
                RunFlow(
                    kind: .child, from: .machine, fromNs: t0 + 30_000, viaNs: t0 + 30_000, to: 4, toNs: t0 + 30_000, label: "reboot1/smss"),
                RunFlow(
                    kind: .child, from: .machine, fromNs: t0 + 32_000, viaNs: t0 + 32_000, to: 5, toNs: t0 + 32_000,
                    label: "reboot1/RunOnce-Pass"),
                RunFlow(kind: .start, from: .process(0), fromNs: t0 + 2_500, viaNs: nil, to: 1, toNs: t0 + 5_000, label: "a.ready"),
                RunFlow(kind: .start, from: .process(1), fromNs: t0 + 8_000, viaNs: nil, to: 2, toNs: t0 + 9_000, label: "b exited"),
            ])
    }

    /// A power loss boots the machine too: what its boot starts comes from the machine lane.
    @Test func whatAPowerLossesBootStartsComesFromTheMachine() throws {
        var history = try flowHistory()
        history.faults = [FaultRecord(name: "fault1", text: "cut the power after c.go", process: "machine")]
        var smss = ActorRecord(name: "fault1/smss", role: "smss")
        smss.pid = 40
        smss.spawnNs = history.startNs + 46_000
        history.actors.append(smss)
        let arrow = try #require(RunFlows.of(history).first { $0.label == "fault1/smss" })
        #expect(arrow.kind == .child)
        #expect(arrow.from == .machine)
        #expect(arrow.to == history.actors.count - 1)
    }

    /// A child started again under the same name is the later process; its parent is the one
    /// running when it was spawned.
    @Test func aProcessIsTheOneRunningAtTheTime() throws {
        var history = try flowHistory()
        var again = history.actors[3]
        again.pid = 99
        again.spawnNs = history.startNs + 17_000
        again.endNs = history.startNs + 18_000
        history.actors.append(again)
        #expect(RunFlows.process(named: "a/child", at: history.startNs + 15_500, in: history) == 3)
        #expect(RunFlows.process(named: "a/child", at: history.startNs + 17_500, in: history) == 6)
        #expect(RunFlows.process(named: "a/child", at: history.startNs + 30_000, in: history) == 6)
        #expect(RunFlows.process(named: "a/child", at: history.startNs + 100, in: history) == nil)
    }
}

@Suite struct TraceImprovementTests {
    private func events(_ history: RunHistory) throws -> [[String: Any]] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(TraceWriter.json(history).utf8)) as? [String: Any])
        return try #require(root["traceEvents"] as? [[String: Any]])
    }

    @Test func flowsGoFromTheSourceThroughTheCoordinatorToTheTarget() throws {
        let flows = try events(try flowHistory()).filter { $0["cat"] as? String == "flow" }
        // release c.go: c's emit → the coordinator's release → a's wait.
        let release = flows.filter { $0["name"] as? String == "release" }
        #expect(release.map { $0["ph"] as? String } == ["s", "t", "f"])
        #expect(release.map { $0["pid"] as? Int } == [13, 10, 11])
        #expect(release.map { $0["ts"] as? Double } == [10.5, 11.5, 11.5])
        #expect(Set(release.map { $0["id"] as? Int }).count == 1)
        #expect(release[2]["bp"] as? String == "e")
        #expect((release[0]["args"] as? [String: String])?["label"] == "c.go")
        // The boot's processes begin on the machine lane (tid 1 of the coordinator).
        let boot = flows.filter { $0["ph"] as? String == "s" && $0["tid"] as? Int == 1 }
        #expect(boot.compactMap { ($0["args"] as? [String: String])?["label"] } == ["reboot1/smss", "reboot1/RunOnce-Pass"])
        // A start has no coordinator step: s then f.
        let starts = flows.filter { $0["name"] as? String == "start" }
        #expect(starts.map { $0["ph"] as? String } == ["s", "f", "s", "f"])
        #expect(starts.map { $0["pid"] as? Int } == [11, 12, 12, 13])
    }

    @Test func otherDataNamesTheFormatAndTheRun() throws {
        let text = TraceWriter.json(try flowHistory())
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let other = try #require(root["otherData"] as? [String: String])
        #expect(other["format"] == "patchrig-trace")
        #expect(other["version"] == "1")
        #expect(other["started_ns"] == "1000000000")
        #expect(other["ended_ns"] == "1000050000")
        #expect(other["passed"] == "false")
    }

    @Test func processSlicesCarryTheRoleAndExpectationsTheirVerdicts() throws {
        let all = try events(try flowHistory())
        let lives = all.filter { $0["name"] as? String == "process" && $0["cat"] as? String == "process" }
        let roles = lives.compactMap { ($0["args"] as? [String: Any])?["role"] as? String }
        #expect(roles == ["script", "script", "script", "script", "smss", "netfxupdate"])
        let verdicts = all.filter { $0["cat"] as? String == "expectation" }
        #expect(verdicts.map { $0["name"] as? String } == ["PASS  a exits with 0", "FAIL  b exits with 0"])
        let args = verdicts.compactMap { $0["args"] as? [String: String] }
        #expect(args.map { $0["text"] } == ["a exits with 0", "b exits with 0"])
        #expect(args.map { $0["verdict"] } == ["pass", "fail"])
        #expect(args.map { $0["detail"] } == ["exited with code 0", "exited with code 3"])
        #expect(verdicts.allSatisfy { $0["ts"] as? Double == 50 && $0["s"] as? String == "g" })
    }

    @Test func theMachineLaneHasTheRunOnceSpan() throws {
        let phases = TraceWriter.machinePhases(try flowHistory())
        let t0: UInt64 = 1_000_000_000
        #expect(phases.map(\.name) == ["reboot1", "shutdown", "Session Manager", "services", "logon", "RunOnce"])
        let runOnce = try #require(phases.last)
        #expect(runOnce.from == t0 + 32_000)
        #expect(runOnce.to == t0 + 40_000, "until the last RunOnce command ended")
    }

    /// The `run` slice spans the run: the core stretches it to the end (CoordinatorCoreTests), and
    /// the trace writes it from the run's start to its end.
    @Test func theRunSliceSpansTheRun() throws {
        let run = try #require(try events(try flowHistory()).first { $0["name"] as? String == "run" })
        #expect(run["ts"] as? Double == 0)
        #expect(run["dur"] as? Double == 50)
    }
}
