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
        let (passed, detail) = judge(expectation.kind, history)
        return ExpectationResult(text: expectation.text, passed: passed, detail: detail)
    }

    private static func judge(_ kind: Expectation.Kind, _ history: RunHistory) -> (Bool, String) {
        if case .exitCode(let actor, let codes) = kind {
            guard let record = history.actor(named: actor) else { return (false, "never started") }
            return (record.exitCode.map(codes.contains) ?? false, record.outcome)
        }
        if case .loaded(let actor, let path, let version) = kind {
            guard let record = history.actor(named: actor) else { return (false, "never started") }
            let seen = record.loaded.last { samePath($0.path, path) }?.version
            return (seen == version, seen.map { "loaded version \($0)" } ?? "never loaded \(path)")
        }
        if case .exactlyOneExits(let processes, let codes) = kind {
            var matching: [String] = []
            let seen = processes.map { name -> String in
                guard let record = history.actor(named: name) else { return "\(name): never started" }
                if record.exitCode.map(codes.contains) == true { matching.append(name) }
                return "\(name): \(record.outcome)"
            }
            return (matching.count == 1, seen.joined(separator: "; "))
        }
        if case .operation(let pattern) = kind { return judge(pattern, history) }
        guard let machine = history.machine else { return (false, "the rig has no machine") }
        switch kind {
        case .exitCode, .loaded, .exactlyOneExits, .operation:
            fatalError("judged above")
        case .registryValue(let key, let name, let value):
            let found = machine.registry.first {
                $0.key.lowercased() == key.lowercased() && $0.name.lowercased() == name.lowercased()
            }
            guard let found else { return (value == nil, "absent") }
            return (found.value == value, Expectation.describe(found.value))
        case .fileVersion(let path, let version):
            guard let file = machine.files.first(where: { samePath($0.path, path) }) else {
                return (version == nil, "absent")
            }
            let seen = file.version ?? "no version"
            // A header is not the file: one whose size or bytes are not its version's is not at it.
            if let damage = machine.damaged.first(where: { samePath($0.path, path) }) {
                return (false, "present, version \(seen), but damaged: \(damage.reason)")
            }
            return (version == file.version && version != nil, "present, version \(seen)")
        case .nativeImage(let assembly, let status):
            let images = assembly == "all" ? machine.nativeImages : machine.nativeImages.filter { $0.assembly == assembly }
            guard !images.isEmpty else { return (false, "no native image of \(assembly) is known") }
            let off = images.filter { $0.status != status }
            let detail = off.isEmpty
                ? images.map { "\($0.assembly): \($0.status)" }.joined(separator: ", ")
                : off.map { "\($0.assembly): \($0.status)" + ($0.reasons.isEmpty ? "" : " (\($0.reasons.joined(separator: "; ")))") }
                    .joined(separator: ", ")
            return (off.isEmpty, detail)
        case .pendingRenames(let count):
            let detail = machine.pendingRenames.isEmpty ? "none pending" : machine.pendingRenames.joined(separator: "; ")
            return (machine.pendingRenames.count == count, detail)
        case .service(let name, let present):
            let found = machine.services.contains { $0.name.lowercased() == name.lowercased() }
            return (found == present, found ? "registered" : "absent")
        case .startupEntry(let key, let name, let present):
            let entries = key == .run ? machine.run : machine.runOnce
            let found = entries.first { $0.name.lowercased() == name.lowercased() }
            return ((found != nil) == present, found.map { "present in \($0.key): \($0.commandLine)" } ?? "absent")
        }
    }

    /// An `operations` expectation: the matching operations of the matching processes (in actor
    /// order), counted against `count` (nil: at least one). The detail names the first few seen.
    private static func judge(_ pattern: OperationPattern, _ history: RunHistory) -> (Bool, String) {
        var seen: [String] = []
        var total = 0
        for record in history.actors where pattern.matches(process: record.name) {
            for event in record.events {
                let args = event.args.map { (name: $0.name, value: $0.value) }
                guard pattern.matches(op: event.op, arguments: args, result: event.result) else { continue }
                total += 1
                if seen.count < 3 {
                    let shown = event.args.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
                    seen.append("\(record.name): \(event.op)\(shown.isEmpty ? "" : " \(shown)") → \(event.result)")
                }
            }
        }
        let passed = pattern.count.map { total == $0 } ?? (total > 0)
        guard total > 0 else { return (passed, "no such operation") }
        let more = total > seen.count ? "; … \(total - seen.count) more" : ""
        return (passed, "\(total) seen: " + seen.joined(separator: "; ") + more)
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
        history.problems + history.actors.compactMap { record in
            record.failure.map { "actor '\(record.name)': \($0)" }
        }
    }

    /// Everything a report needs: the expectation verdicts, the problems, and whether the run passed.
    public static func verdict(_ history: RunHistory) -> RunVerdict {
        RunVerdict(expectations: evaluate(history), problems: problems(history))
    }
}

/// The outcome of a run: it passed when every expectation held and there was no problem.
/// `rig run` exits 0 when `passed`, 1 otherwise.
public struct RunVerdict: Sendable, Equatable {
    public var expectations: [ExpectationResult]
    public var problems: [String]
    public init(expectations: [ExpectationResult], problems: [String]) {
        self.expectations = expectations
        self.problems = problems
    }
    public var passed: Bool { problems.isEmpty && expectations.allSatisfy(\.passed) }
    /// How many expectations failed.
    public var failedCount: Int { expectations.filter { !$0.passed }.count }
}

extension ActorRecord {
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
