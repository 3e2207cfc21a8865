import RigModel
import WindowsModel
import Wire

/// The checkers: they read a `RunHistory` after the run and judge the rig's expectations against
/// what the processes really did. They never change the history.
public enum Checks {
    /// One verdict per expectation of `history.rig`, in the order the rig writes them.
    public static func evaluate(_ history: RunHistory) -> [ExpectationResult] {
        history.rig.expectations.map { evaluate($0, in: history) }
    }

    /// The verdict on one expectation.
    public static func evaluate(_ expectation: Expectation, in history: RunHistory) -> ExpectationResult {
        ExpectationResult(text: expectation.text, verdict: judge(expectation.kind, history))
    }

    private static func judge(_ kind: Expectation.Kind, _ history: RunHistory) -> Verdict {
        switch kind {
        case .exitCode(let actor, let codes):
            guard let record = history.actor(named: actor) else { return .fail("never started") }
            if let code = record.exitCode { return Verdict(codes.contains(code), record.outcome) }
            // Stopped by a time limit before it exited (or never seen to end): its code is not known.
            return record.endIsUnknown ? .unknown(record.outcome) : .fail(record.outcome)
        case .loaded(let actor, let path, let version):
            guard let record = history.actor(named: actor) else { return .fail("never started") }
            let seen = record.loaded.last { samePath($0.path, path) }?.version
            let detail = seen.map { "loaded version \($0)" } ?? "never loaded \(path)"
            if seen == nil && record.endIsUnknown { return .unknown(detail) }
            return Verdict(seen == version, detail)
        case .exactlyOneExits(let processes, let codes):
            var matching = 0
            var undecided = 0
            let seen = processes.map { name -> String in
                guard let record = history.actor(named: name) else { return "\(name): never started" }
                if let code = record.exitCode {
                    if codes.contains(code) { matching += 1 }
                } else if record.endIsUnknown {
                    undecided += 1
                }
                return "\(name): \(record.outcome)"
            }
            let detail = seen.joined(separator: "; ")
            // Those whose end is unknown could have exited with one of the codes, or not.
            if matching > 1 || matching + undecided == 0 { return .fail(detail) }
            return undecided == 0 ? .pass(detail) : .unknown(detail)
        case .operation(let pattern):
            return judge(pattern, history)
        case .registryValue(let key, let name, let value):
            return onMachine(history) { machine in
                let found = machine.registry.first {
                    $0.key.lowercased() == key.lowercased() && $0.name.lowercased() == name.lowercased()
                }
                guard let found else { return Verdict(value == nil, "absent") }
                return Verdict(found.value == value, Expectation.describe(found.value))
            }
        case .fileVersion(let path, let version):
            return onMachine(history) { machine in
                guard let file = machine.files.first(where: { samePath($0.path, path) }) else {
                    return Verdict(version == nil, "absent")
                }
                let seen = file.version ?? "no version"
                // A header is not the file: one whose size or bytes are not its version's is not at it.
                if let damage = machine.damaged.first(where: { samePath($0.path, path) }) {
                    return .fail("present, version \(seen), but damaged: \(damage.reason)")
                }
                return Verdict(version == file.version && version != nil, "present, version \(seen)")
            }
        case .nativeImage(let assembly, let status):
            return onMachine(history) { machine in
                let images = assembly == "all" ? machine.nativeImages : machine.nativeImages.filter { $0.assembly == assembly }
                guard !images.isEmpty else { return .fail("no native image of \(assembly) is known") }
                let off = images.filter { $0.status != status }
                let detail =
                    off.isEmpty
                    ? images.map { "\($0.assembly): \($0.status)" }.joined(separator: ", ")
                    : off.map { "\($0.assembly): \($0.status)" + ($0.reasons.isEmpty ? "" : " (\($0.reasons.joined(separator: "; ")))") }
                        .joined(separator: ", ")
                return Verdict(off.isEmpty, detail)
            }
        case .pendingRenames(let count):
            return onMachine(history) { machine in
                let detail = machine.pendingRenames.isEmpty ? "none pending" : machine.pendingRenames.joined(separator: "; ")
                return Verdict(machine.pendingRenames.count == count, detail)
            }
        case .service(let name, let present):
            return onMachine(history) { machine in
                let found = machine.services.contains { $0.name.lowercased() == name.lowercased() }
                return Verdict(found == present, found ? "registered" : "absent")
            }
        case .startupEntry(let key, let name, let present):
            return onMachine(history) { machine in
                let entries = key == .run ? machine.run : machine.runOnce
                let found = entries.first { $0.name.lowercased() == name.lowercased() }
                return Verdict((found != nil) == present, found.map { "present in \($0.key): \($0.commandLine)" } ?? "absent")
            }
        }
    }

    /// An expectation about the machine's state at the end of the run, judged by `judge`; without
    /// a machine it fails.
    private static func onMachine(_ history: RunHistory, _ judge: (MachineSnapshot) -> Verdict) -> Verdict {
        guard let machine = history.machine else { return .fail("the rig has no machine") }
        return judge(machine)
    }

    /// An `operations` expectation: the matching operations of the matching processes (in actor
    /// order), counted against `count` (nil: at least one). The detail names the first few seen.
    /// An operation whose outcome is unknown and that would match but for its result could have
    /// had that result: when it could change the count's verdict, the verdict is `unknown`.
    private static func judge(_ pattern: OperationPattern, _ history: RunHistory) -> Verdict {
        var anyResult = pattern
        anyResult.result = nil
        var seen: [String] = []
        var total = 0
        var undecided = 0
        for record in history.actors where pattern.matches(process: record.name) {
            for event in record.events {
                let args = event.args.map { (name: $0.name, value: $0.value) }
                guard pattern.matches(op: event.op, arguments: args, result: event.result.description) else {
                    if case .unknown = event.result, anyResult.matches(op: event.op, arguments: args, result: event.result.description) {
                        undecided += 1
                    }
                    continue
                }
                total += 1
                if seen.count < 3 {
                    let shown = event.args.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
                    seen.append("\(record.name): \(event.op)\(shown.isEmpty ? "" : " \(shown)") → \(event.result)")
                }
            }
        }
        let more = total > seen.count ? "; … \(total - seen.count) more" : ""
        var detail = total > 0 ? "\(total) seen: " + seen.joined(separator: "; ") + more : "no such operation"
        if undecided > 0 { detail += "; \(undecided) more with an unknown outcome" }
        let wanted = pattern.count.map { $0...$0 } ?? 1...Int.max
        if wanted.contains(total) && undecided == 0 { return .pass(detail) }
        // The undecided ones may or may not have had the result: any count up to all of them.
        if wanted.overlaps(total...(total + undecided)) { return .unknown(detail) }
        return .fail(detail)
    }

    /// Whether two Windows paths name the same file: Windows compares names ignoring case
    /// (`WindowsPath.isSameName`), and every accepted spelling (`c:/x`, `\\??\\C:\\x`) is one path.
    static func samePath(_ a: String, _ b: String) -> Bool {
        if let x = try? WindowsPath(a), let y = try? WindowsPath(b) { return x.isSameName(as: y) }
        return WindowsPath.namesMatch(a, b)
    }

    /// Problems of the run as a whole: the history's own problems, then each actor's failure
    /// (`actor 'ngen': timed out after 5s`), in actor order.
    public static func problems(_ history: RunHistory) -> [String] {
        history.problems
            + history.actors.compactMap { record in
                record.failure.map { "actor '\(record.name)': \($0)" }
            }
    }

    /// Everything a report needs: the expectation verdicts, the problems, and whether the run passed.
    public static func verdict(_ history: RunHistory) -> RunVerdict {
        RunVerdict(expectations: evaluate(history), problems: problems(history))
    }
}

/// The outcome of a run: it passed when every expectation held and there was no problem; an
/// expectation whose verdict is unknown did not hold. `rig run` exits 0 when `passed`, 1 otherwise.
public struct RunVerdict: Sendable, Equatable {
    public var expectations: [ExpectationResult]
    public var problems: [String]
    public init(expectations: [ExpectationResult], problems: [String]) {
        self.expectations = expectations
        self.problems = problems
    }
    public var passed: Bool { problems.isEmpty && expectations.allSatisfy(\.passed) }
    /// How many expectations failed (`fail`; not the unknown ones).
    public var failedCount: Int { expectations.filter { if case .fail = $0.verdict { return true } else { return false } }.count }
    /// How many expectations could not be judged (`unknown`).
    public var unknownCount: Int { expectations.filter { if case .unknown = $0.verdict { return true } else { return false } }.count }
}

extension ActorRecord {
    /// Whether how the process ended is not known: a time limit or an interruption cut it short
    /// (`cutShort`), or it was still running when the run ended.
    var endIsUnknown: Bool { cutShort || (pid != nil && termination == nil) }

    /// What became of the process, in words: `exited with code 3`,
    /// `exited with code 3010 (process status 194)`, `killed by signal 9`,
    /// `timed out after 5s (killed by signal 9)`, `never started`, `never started: <why>`,
    /// `still running when the run ended`.
    public var outcome: String {
        guard pid != nil else {
            guard let failure else { return "never started" }
            return failure.hasPrefix("never started") ? failure : "never started: \(failure)"
        }
        let seen: String
        switch termination {
        case .exited(let status)?:
            let code = exitCode ?? status
            seen = code == status ? "exited with code \(code)" : "exited with code \(code) (process status \(status))"
        case .signaled(let signal)? where !faults.isEmpty:
            seen = "killed by signal \(signal) (fault: \(faults.joined(separator: "; ")))"
        case .signaled(let signal)?:
            seen = "killed by signal \(signal)"
        case nil:
            seen = "still running when the run ended"
        }
        guard let failure else { return seen }
        return "\(failure) (\(seen))"
    }
}
