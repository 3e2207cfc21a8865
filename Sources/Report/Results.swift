import RigModel
import WindowsModel
import Wire

/// The results record of a run (`rig run --json`): the stable, documented record other tools read.
/// Field names never change; new fields may be added. `Rigs/README.md` ("Results record")
/// documents every field. Unknown values are `null`.
public enum ResultsWriter {
    /// The record as JSON text (two-space indented, keys in documented order, ending in a newline).
    public static func json(_ history: RunHistory) -> String {
        record(history, verdict: Checks.verdict(history)).rendered(indent: 2) + "\n"
    }

    static func fault(_ fault: FaultRecord) -> JSONText {
        .object([
            ("name", .string(fault.name)),
            ("text", .string(fault.text)),
            ("process", .string(fault.process)),
            ("injected", .bool(fault.injected)),
            ("ns", .int(fault.ns)),
            ("pid", .int(fault.pid)),
            ("detail", .string(fault.detail)),
        ])
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
                ("loaded", .object(actor.loaded.map { ($0.path, JSONText.string($0.version)) })),
            ])
        }
        let expectations: [JSONText] = verdict.expectations.map { result in
            .object([
                ("text", .string(result.text)), ("passed", .bool(result.passed)), ("detail", .string(result.detail)),
                ("verdict", .string(result.verdict.name)),
            ])
        }
        return .object([
            ("rig", .string(history.rig.name)),
            ("file", .string(history.rig.file)),
            ("seed", .int(history.seed)),
            ("passed", .bool(verdict.passed)),
            ("started_ns", .int(history.startNs)),
            ("ended_ns", .int(history.endNs)),
            ("actors", .array(actors)),
            ("machine", history.machine.map(machine) ?? .null),
            ("faults", .array(history.faults.map(fault))),
            ("expectations", .array(expectations)),
            ("problems", .array(verdict.problems.map { .string($0) })),
            ("schedule", history.schedule.map(schedule) ?? .null),
        ])
    }

    /// A controlled schedule: its strategy, its size and its digest, and the grants that
    /// departed from the default order (what `--save-schedule` keeps).
    static func schedule(_ schedule: RunSchedule) -> JSONText {
        .object([
            ("strategy", .string(schedule.strategy)),
            ("clock", .string("virtual")),
            ("depth", .int(schedule.depth)),
            ("steps", .int(schedule.expectedSteps)),
            ("grants", .int(schedule.grants.count)),
            ("preemptions", .int(schedule.preemptions)),
            ("digest", .string(schedule.digest)),
            ("mismatch", .string(schedule.mismatch)),
            (
                "deviations",
                .array(schedule.deviations.map { .object([("step", .int($0.step)), ("process", .string($0.process))]) })
            ),
        ])
    }

    /// The machine as it stood at the end of the run: files and their versions (null: no
    /// version stamp), native images with their status and why, pending renames, services, and
    /// Run/RunOnce entries; files whose size or bytes do not match their version (`damaged`).
    static func machine(_ snapshot: MachineSnapshot) -> JSONText {
        func startup(_ entries: [(key: String, name: String, commandLine: String)]) -> JSONText {
            .array(
                entries.map { .object([("key", .string($0.key)), ("name", .string($0.name)), ("command_line", .string($0.commandLine))]) })
        }
        return .object([
            ("files", .object(snapshot.files.map { ($0.path, JSONText.string($0.version)) })),
            (
                "native_images",
                .object(
                    snapshot.nativeImages.map {
                        ($0.assembly, JSONText.object([("status", .string($0.status)), ("why", .array($0.reasons.map { .string($0) }))]))
                    })
            ),
            ("pending_renames", .array(snapshot.pendingRenames.map { .string($0) })),
            (
                "services",
                .array(snapshot.services.map { .object([("name", .string($0.name)), ("command_line", .string($0.commandLine))]) })
            ),
            ("run", startup(snapshot.run)),
            ("runonce", startup(snapshot.runOnce)),
            ("damaged", .object(snapshot.damaged.map { ($0.path, JSONText.string($0.reason)) })),
            ("registry", .array(snapshot.registry.map(registryValue))),
        ])
    }

    /// One registry value: `{"key", "name", "type", "data"}`, data a string (REG_SZ), an integer
    /// (REG_DWORD) or a list of strings (REG_MULTI_SZ).
    static func registryValue(_ entry: (key: String, name: String, value: RegistryValue)) -> JSONText {
        let data: JSONText
        switch entry.value {
        case .string(let text): data = .string(text)
        case .dword(let number): data = .int(number)
        case .multiString(let list): data = .array(list.map { .string($0) })
        }
        return .object([
            ("key", .string(entry.key)), ("name", .string(entry.name)), ("type", .string(entry.value.type.description)),
            ("data", data),
        ])
    }
}
