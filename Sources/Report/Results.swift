import RigModel
import Wire

/// The results record of a run (`rig run --json`): the stable, documented record other tools read.
/// Field names never change; new fields may be added. `Rigs/README.md` ("Results record")
/// documents every field. Unknown values are `null`.
public enum ResultsWriter {
    /// The record as JSON text (two-space indented, keys in documented order, ending in a newline).
    public static func json(_ history: RunHistory) -> String {
        record(history, verdict: Checks.verdict(history)).rendered(indent: 2) + "\n"
    }

    static func record(_ history: RunHistory, verdict: RunVerdict) -> JSONText {
        let actors: [JSONText] = history.actors.map { actor in
            var signal: Int32?
            if case .signaled(let s)? = actor.termination { signal = s }
            return .object([
                ("name", .string(actor.name)),
                ("role", .string(actor.role)),
                ("pid", .int(actor.pid)),
                ("exit_code", .int(actor.exitCode)),
                ("signal", .int(signal)),
                ("start_ns", .int(actor.spawnNs)),
                ("end_ns", .int(actor.endNs)),
                ("hello_ns", .int(actor.helloNs)),
                ("failure", .string(actor.failure)),
                ("events", .int(actor.events.count)),
                ("outcome", .string(actor.outcome)),
                ("stdout", .string(actor.stdoutPath)),
                ("stderr", .string(actor.stderrPath)),
            ])
        }
        let expectations: [JSONText] = verdict.expectations.map { result in
            .object([("text", .string(result.text)), ("passed", .bool(result.passed)), ("detail", .string(result.detail))])
        }
        return .object([
            ("rig", .string(history.rig.name)),
            ("file", .string(history.rig.file)),
            ("seed", .int(history.seed)),
            ("passed", .bool(verdict.passed)),
            ("started_ns", .int(history.startNs)),
            ("ended_ns", .int(history.endNs)),
            ("actors", .array(actors)),
            ("expectations", .array(expectations)),
            ("problems", .array(verdict.problems.map { .string($0) })),
        ])
    }
}
