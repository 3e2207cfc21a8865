import Report
import Testing

@testable import Pictures

@Suite struct TimelineTests {
    @Test func theTraceReadBackIsTheSameTimeline() throws {
        let history = try SampleRun.history()
        let direct = RunTimeline(history)
        let fromTrace = try RunTimeline(trace: JSONReader.parse(TraceWriter.json(history)))
        #expect(fromTrace == direct)
        #expect(TimelinePage.html(direct) == (try TimelinePage.html(traceJSONText: TraceWriter.json(history))))
    }

    @Test func lanesComeInTheTracesOrderAndTheNeverStartedLast() throws {
        let timeline = RunTimeline(try SampleRun.history())
        #expect(
            timeline.lanes.map(\.name) == [
                "app", "sp1", "windowsupdate", "windowsupdate/hotfix", "reboot1/smss", "reboot1/RunOnce-NetFx",
                "reboot1/RunOnce-NetFx/ngen-mscorlib", "reboot1/RunOnce-NetFx/ngen-System", "late",
            ])
        #expect(timeline.lanes[1].label == "sp1 (installer)")
        #expect(timeline.lanes[4].label == "reboot1/smss")
        #expect(timeline.lanes[1].from == 2_500)
        #expect(timeline.lanes[1].hello == 2_700)
        #expect(timeline.lanes[1].to == 9_000)
        #expect(timeline.lanes[1].outcome == "exited with code 3010 (process status 194)")
        let late = try #require(timeline.lanes.last)
        #expect(late.pid == nil && late.from == nil)
        #expect(late.outcome == "never started: windowsupdate exited without emitting never")
        #expect(
            timeline.problems == [
                "the run timed out after 60s", "actor 'late': never started: windowsupdate exited without emitting never",
            ])
        #expect(!timeline.passed)
        #expect(timeline.duration == 40_000)
        #expect(timeline.seed == "28")
        #expect(timeline.clock == "real")
    }

    @Test func lanesBelongToTheBootTheyWereSpawnedIn() throws {
        let timeline = RunTimeline(try SampleRun.history())
        #expect(timeline.boots.map(\.name) == ["boot 1", "reboot1"])
        #expect(timeline.boots[1].from == 10_500, "from when the machine went down")
        #expect(timeline.lanes.indices.map { timeline.boot(of: $0) } == [0, 0, 1, 1, 1, 1, 1, 1, nil])
    }

    @Test func operationsMachineSpansAndArrows() throws {
        let timeline = RunTimeline(try SampleRun.history())
        #expect(timeline.operations.count == 17)
        let replace = timeline.operations[3]
        #expect(replace.lane == 1)
        #expect(replace.name == "replace")
        #expect(replace.result == "ERROR_SHARING_VIOLATION (32)")
        #expect(replace.arguments == [.init("file", SampleRun.mscorwks), .init("size", "2093056")])
        #expect(replace.outcome == .sharingViolation)
        #expect(
            timeline.machine.map(\.name) == ["reboot1", "shutdown", "Session Manager", "services", "logon", "RunOnce"])
        let arrows = timeline.arrows.map { "\($0.kind) \($0.from.map(String.init) ?? "machine")→\($0.to) \($0.label)" }
        #expect(
            arrows == [
                "release machine→0 reboot1.down", "child 2→3 windowsupdate/hotfix", "child machine→4 reboot1/smss",
                "child machine→5 reboot1/RunOnce-NetFx", "child 5→6 reboot1/RunOnce-NetFx/ngen-mscorlib",
                "child 5→7 reboot1/RunOnce-NetFx/ngen-System", "start 0→1 app.loaded", "start machine→2 reboot1.booted",
            ])
    }

    @Test func outcomesAreColouredByOneRule() {
        #expect(OperationOutcome(operation: "replace", result: "ok") == .ok)
        #expect(OperationOutcome(operation: "sleep", result: "ok") == .idle)
        #expect(OperationOutcome(operation: "wait", result: "ok") == .idle)
        #expect(OperationOutcome(operation: "wait", result: "unreachable: b exited without emitting ready") == .failed)
        #expect(OperationOutcome(operation: "PendingRenames", result: "ok queued=1 resume=0") == .note)
        #expect(OperationOutcome(operation: "open", result: "ERROR_SHARING_VIOLATION (32)") == .sharingViolation)
        #expect(OperationOutcome(operation: "move", result: "ERROR_ACCESS_DENIED (5): in use") == .accessDenied)
        #expect(OperationOutcome(operation: "load", result: "ERROR_SHARING_VIOLATION (32)") == .failedLoad)
        #expect(OperationOutcome(operation: "ngen", result: "failed to load mscorwks.dll: ERROR_FILE_NOT_FOUND (2)") == .failedLoad)
        #expect(OperationOutcome(operation: "replace", result: "unknown: killed by signal 9") == .unknown)
        #expect(OperationOutcome(operation: "hotfix", result: "exited 1603") == .failed)
        #expect(Set(OperationOutcome.allCases.map(\.color)).count == OperationOutcome.allCases.count, "one colour each")
    }
}

@Suite struct TraceInputTests {
    private func trace(_ edit: (String) -> String) throws -> JSONValue {
        try JSONReader.parse(edit(TraceWriter.json(try SampleRun.history())))
    }

    @Test func aTraceOfAnotherVersionIsRefused() throws {
        let root = try trace { $0.replacingAll("\"version\": \"1\"", with: "\"version\": \"2\"") }
        #expect(throws: InputError("a PatchRig trace of version \"2\"; this rig reads version 1")) { try RunTimeline(trace: root) }
    }

    @Test func aTraceWithoutItsFormatIsRefused() throws {
        let root = try trace { $0.replacingAll("\"format\": \"patchrig-trace\",", with: "") }
        #expect(throws: InputError.self) { try RunTimeline(trace: root) }
        do { _ = try RunTimeline(trace: root) } catch { #expect(error.description.contains("run the rig again with --trace")) }
    }

    @Test func aBrokenEventIsNamed() throws {
        let root = try trace { $0.replacingAll("\"ph\": \"X\"", with: "\"ph\": \"X\", \"ts\": \"soon\"") }
        do {
            _ = try RunTimeline(trace: root)
            Issue.record("a trace with a time that is not a number was read")
        } catch {
            #expect(error.description.hasPrefix("trace event "))
            #expect(error.description.contains("\"ts\" is not a time in microseconds"))
        }
    }
}
