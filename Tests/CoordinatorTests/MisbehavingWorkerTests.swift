import Coordinator
import Glibc
import Report
import RigModel
import Testing

/// Real processes that break the protocol: the coordinator kills them, fails the run with a
/// message naming them, and never crashes.
@Suite(.serialized)
struct MisbehavingWorkerTests {
    let here = SourcePosition(file: "test.yaml", line: 1, column: 1)

    /// Runs one script actor whose "worker" is a shell script doing `body` on the control pipe.
    func runImpostor(_ body: String) throws -> RunHistory {
        let dir = temporaryDirectory()
        let impostor = dir + "/impostor"
        let text = "#!/bin/sh\n\(body)\nsleep 30\n"
        let fd = open(impostor, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let rig = Rig(name: "impostor", timeout: .seconds(10), file: "test.yaml",
                      actors: [Actor(name: "liar", role: "script", timeout: .seconds(10), position: here)], expectations: [])
        return try RigRunner(rig: rig, options: RunOptions(seed: 1, workerExecutable: impostor, logDirectory: dir)).run()
    }

    @Test func aMalformedFrameGetsTheWorkerKilled() throws {
        // A frame of 3 bytes whose tag (0xEE) is no message.
        let history = try runImpostor(#"printf '\003\000\000\000\356\001\002' >&3"#)
        let liar = try #require(history.actor(named: "liar"))
        #expect(liar.termination == .signaled(signal: SIGKILL))
        #expect(liar.failure?.contains("malformed frame") == true)
        #expect(history.problems.contains { $0.hasPrefix("liar (pid \(liar.pid!))") && $0.contains("unknown message tag 238") })
    }

    @Test func anOversizedFrameGetsTheWorkerKilled() throws {
        let history = try runImpostor(#"printf '\377\377\377\177' >&3"#)
        let liar = try #require(history.actor(named: "liar"))
        #expect(liar.termination == .signaled(signal: SIGKILL))
        #expect(liar.failure?.contains("oversized frame") == true)
    }

    @Test func aWorkerThatSpeaksBeforeHelloIsKilled() throws {
        // A well-formed `stop` (tag 7): only the coordinator sends it, and not before hello.
        let history = try runImpostor(#"printf '\001\000\000\000\007' >&3"#)
        #expect(history.actor(named: "liar")?.failure?.contains("before hello") == true)
    }
}
