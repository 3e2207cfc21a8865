import Coordinator
import CoordinatorCore
import Glibc
import Report
import RigModel
import TestSupport
import Testing

/// Real processes that break the protocol (shell scripts written by the test, hence `.forkFree`): the coordinator kills them, fails the run with a
/// message naming them, and never crashes.
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5)))
struct MisbehavingWorkerTests {
    let here = SourcePosition(file: "test.yaml", line: 1, column: 1)

    /// Runs one script actor whose "worker" is a shell script doing `body` on the control pipe.
    func runImpostor(_ body: String) throws -> RunHistory {
        let dir = temporaryDirectory()
        let impostor = dir + "/impostor"
        let text = "#!/bin/sh\n\(body)\n"
        let fd = open(impostor, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let rig = Rig(
            name: "impostor", timeout: .seconds(10), file: "test.yaml",
            actors: [Actor(name: "liar", role: "script", timeout: .seconds(10), position: here)], expectations: [])
        return try RigRunner(rig: rig, options: RunOptions(seed: 1, workerExecutable: impostor, logDirectory: dir)).run()
    }

    /// A hello frame from a shell: tag 1, the role `script`, pid 0, main time 0.
    static let hello = #"printf '\027\000\000\000\001\006\000\000\000script\000\000\000\000\000\000\000\000\000\000\000\000' >&3"#
    /// An exit report of code 0: tag 8, code 0, ns 0, empty detail.
    static let exitReport0 = #"printf '\021\000\000\000\010\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' >&3"#

    @Test func aMalformedFrameGetsTheWorkerKilled() throws {
        // A frame of 3 bytes whose tag (0xEE) is no message.
        let history = try runImpostor(#"printf '\003\000\000\000\356\001\002' >&3; sleep 30"#)
        let liar = try #require(history.actor(named: "liar"))
        #expect(liar.termination == .signaled(signal: SIGKILL))
        #expect(liar.failure == "it sent a malformed frame (malformed frame: unknown message tag 238 at byte 0); killed")
    }

    @Test func anOversizedFrameGetsTheWorkerKilled() throws {
        let history = try runImpostor(#"printf '\377\377\377\177' >&3; sleep 30"#)
        let liar = try #require(history.actor(named: "liar"))
        #expect(liar.termination == .signaled(signal: SIGKILL))
        #expect(liar.failure?.contains("oversized frame") == true)
    }

    @Test func aWorkerThatSpeaksBeforeHelloIsKilled() throws {
        // A well-formed `stop` (tag 7): only the coordinator sends it, and not before hello.
        let history = try runImpostor(#"printf '\001\000\000\000\007' >&3; sleep 30"#)
        #expect(history.actor(named: "liar")?.failure?.contains("before hello") == true)
    }

    /// Whatever its exit status, a worker that breaks the protocol is a problem of the run.
    @Test func aWorkerThatExitsWithoutHelloIsAProblem() throws {
        let history = try runImpostor("exit 0")
        let liar = try #require(history.actor(named: "liar"))
        #expect(liar.failure == "it broke the protocol: it exited (status 0) without saying hello")
        #expect(!Checks.verdict(history).passed)
    }

    @Test func aWorkerThatExitsWithoutAnExitReportIsAProblem() throws {
        let history = try runImpostor("\(Self.hello)\nexit 0")
        #expect(history.actor(named: "liar")?.failure == "it broke the protocol: it exited (status 0) without an exit report")
    }

    @Test func anExitReportThatDisagreesWithTheStatusIsAProblem() throws {
        let history = try runImpostor("\(Self.hello)\n\(Self.exitReport0)\nexit 3")
        #expect(history.actor(named: "liar")?.failure == "it broke the protocol: its exit report says 0, but its process status was 3")
    }

    @Test func aWellBehavedImpostorPasses() throws {
        // The control: hello, then an exit report agreeing with the status.
        let history = try runImpostor("\(Self.hello)\n\(Self.exitReport0)\nexit 0")
        #expect(history.actor(named: "liar")?.failure == nil)
        #expect(Checks.verdict(history).passed)
    }

    @Test func aTruncatedFrameIsAProblem() throws {
        // A frame announcing 16 bytes of which 2 arrive before the worker exits.
        let history = try runImpostor("\(Self.hello)\nprintf '\\020\\000\\000\\000\\003\\001' >&3\nexit 0")
        #expect(history.actor(named: "liar")?.failure?.hasPrefix("it broke the protocol: truncated frame") == true)
    }
}
