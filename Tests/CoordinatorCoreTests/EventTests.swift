import RigModel
import Testing
import Wire

@testable import CoordinatorCore

/// `await`: answered at once, later, or with `unreachable`, running free.
@Suite struct EventTests {
    static let rigText = """
        actors:
          - name: a
            role: script
            steps: [{emit: ready}, {emit: never}]
          - name: b
            role: script
        """

    /// A run with `a` and `b` spawned and greeted.
    static func started() throws -> (FakeShell, a: ProcessIndex, b: ProcessIndex) {
        let shell = FakeShell(try rig(rigText))
        let a = try shell.index("a")
        let b = try shell.index("b")
        shell.begin()
        shell.hello(a)
        shell.hello(b)
        return (shell, a, b)
    }

    @Test func anEventThatAlreadyHappenedIsReleasedAtOnce() throws {
        let (shell, a, b) = try Self.started()
        shell.emit(a, "ready", at: 123_456)
        #expect(shell.await(b, "a", "ready") == [.send(b, .release(actor: "a", event: "ready", ns: 123_456))])
    }

    @Test func anEventStillToComeIsReleasedWhenItHappens() throws {
        let (shell, a, b) = try Self.started()
        #expect(shell.await(b, "a", "ready").isEmpty, "b waits")
        let emitted = shell.emit(a, "ready", at: 777)
        #expect(emitted.sends.count == 1)
        #expect(emitted.contains(.send(b, .release(actor: "a", event: "ready", ns: 777))))
        let release = shell.core.coordinatorEvents.last { $0.op == "release" }
        #expect(release?.argument("actor") == "b")
        #expect(release?.argument("event") == "a.ready")
    }

    @Test func everyWaiterIsReleasedInTheOrderItAsked() throws {
        let shell = FakeShell(
            try rig(
                """
                actors:
                  - {name: a, role: script, steps: [{emit: ready}]}
                  - {name: b, role: script}
                  - {name: c, role: script}
                """))
        shell.begin()
        let (a, b, c) = (try shell.index("a"), try shell.index("b"), try shell.index("c"))
        for p in [a, b, c] { shell.hello(p) }
        shell.await(c, "a", "ready")
        shell.await(b, "a", "ready")
        #expect(shell.emit(a, "ready", at: 9).sends.map(\.0) == [c, b])
    }

    @Test func anEventItsOwnerExitedWithoutIsUnreachable() throws {
        let (shell, a, b) = try Self.started()
        shell.emit(a, "ready", at: 42)
        #expect(shell.await(b, "a", "never").isEmpty)
        let exited = shell.exit(a)
        #expect(exited.sends.count == 1)
        #expect(exited.contains(.send(b, .unreachable(actor: "a", event: "never", reason: "a exited without emitting never"))))
        // Asked after the owner is over: unreachable at once; an event it did emit is still released.
        #expect(
            shell.await(b, "a", "never") == [.send(b, .unreachable(actor: "a", event: "never", reason: "a exited without emitting never"))])
        #expect(shell.await(b, "a", "ready") == [.send(b, .release(actor: "a", event: "ready", ns: 42))])
    }

    @Test func anEventOfAnOwnerThatNeverStartedIsUnreachable() throws {
        let shell = FakeShell(
            try rig(
                """
                actors:
                  - {name: a, role: script, steps: [{emit: ready}]}
                  - {name: b, role: script, start: {after: a.ready}, steps: [{emit: go}]}
                  - {name: w, role: script}
                """))
        shell.begin()
        let (a, w) = (try shell.index("a"), try shell.index("w"))
        shell.hello(a)
        shell.hello(w)
        #expect(shell.await(w, "b", "go").isEmpty)
        let exited = shell.exit(a)
        #expect(exited.contains(.send(w, .unreachable(actor: "b", event: "go", reason: "b never started"))))
    }

    @Test func anOwnerThatDoesNotExistIsUnreachable() throws {
        let (shell, _, b) = try Self.started()
        #expect(
            shell.await(b, "ghost", "ready")
                == [.send(b, .unreachable(actor: "ghost", event: "ready", reason: "no actor or machine step is named ghost"))])
    }

    @Test func aProcessCannotWaitOnItself() throws {
        let (shell, a, _) = try Self.started()
        #expect(
            shell.await(a, "a", "ready")
                == [.send(a, .unreachable(actor: "a", event: "ready", reason: "a process cannot wait on itself"))])
    }

    @Test func aMachineStepIsAnOwnerToo() throws {
        let shell = FakeShell(
            try rig(
                """
                machine:
                  steps:
                    - reboot: {after_exit: a}
                actors:
                  - {name: a, role: script}
                  - {name: b, role: script}
                """), machine: FakeMachine())
        shell.begin()
        let b = try shell.index("b")
        shell.hello(try shell.index("a"))
        shell.hello(b)
        #expect(shell.await(b, "reboot1", "down").isEmpty, "a step's event is waited for, not unreachable")
    }

    @Test func anAwaitBeforeHelloBreaksTheProtocol() throws {
        let shell = FakeShell(try rig(Self.rigText))
        let b = try shell.index("b")
        shell.begin()
        let commands = shell.await(b, "a", "ready")
        #expect(commands.contains(.kill(b)))
        #expect(shell.record("b").failure?.hasPrefix("it broke the protocol: ") == true)
    }
}
