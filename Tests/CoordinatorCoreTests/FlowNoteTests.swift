import Report
import RigModel
import Testing
import Wire

@testable import CoordinatorCore

/// What the trace's arrows are made of: the core notes when a worker asks for a child and whom
/// an event released, so the history has an arrow for each.
@Suite struct FlowNoteTests {
    @Test func aChildIsNotedWhenItsParentAsksAndGetsAnArrowFromIt() throws {
        let shell = FakeShell(try rig("actors:\n  - {name: setup, role: script}"))
        let setup = try shell.index("setup")
        shell.begin()
        shell.hello(setup)
        shell.clock += 2_000
        shell.feed(.message(setup, .startChild(ChildRequest(label: "msiexec", role: "installer"))))
        let note = try #require(shell.core.coordinatorEvents.last { $0.op == "start_child" })
        #expect(note.argument("actor") == "setup")
        #expect(note.argument("child") == "setup/msiexec")
        #expect(note.startNs == shell.clock)
        let child = try shell.index("setup/msiexec")
        let arrow = try #require(RunFlows.of(shell.history()).first { $0.kind == .child })
        #expect(arrow.from == .process(setup))
        #expect(arrow.to == child)
        #expect(arrow.fromNs == note.startNs)
        #expect(arrow.label == "setup/msiexec")
    }

    @Test func aReleaseGetsAnArrowFromTheEmitterToTheWaiter() throws {
        let (shell, a, b) = try EventTests.started()
        shell.await(b, "a", "ready")
        shell.emit(a, "ready", at: shell.clock)
        let arrow = try #require(RunFlows.of(shell.history()).first { $0.kind == .release })
        #expect(arrow.from == .process(a))
        #expect(arrow.to == b)
        #expect(arrow.label == "a.ready")
    }
}
