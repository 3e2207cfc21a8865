/// Which operations explain an expectation that did not hold: the page highlights them.
///
/// The rule reads only what the expectation says, its text and its detail:
///
/// * **Files.** Every file it names — a Windows path, or a word ending in a file extension
///   (`.dll`, `.exe`, `.sys`, `.msi`, `.msp`, `.ini`, `.ocx`, `.drv`, `.cpl`, `.tlb`, `.config`) —
///   picks every operation with an argument naming that file (its last path component, case
///   ignored): `mscorwks.dll` picks the installers' `replace` and `rename_aside` of it and every
///   `load` of it.
/// * **Native images.** Every assembly it names as `NAME: stale`, `NAME: missing` (the detail of
///   a `native_images` expectation) or `the native image of NAME` picks the operations with an
///   `assembly` argument equal to it, and those naming its image file (`NAME.ni.dll`, or the
///   temporary `NAME.ni.dll.~ngen` it is written to): its `ngen`, `write_image` and
///   `commit_image`.
/// * **Processes.** Every process it names (`sp1 exits with 3010`, `exactly one of a, b ...`)
///   picks the operations that did not succeed of that process and of the processes it started.
///
/// So for `every native image is fresh` failing with `mscorlib: stale (mscorwks.dll changed since
/// the image was built ...)`, the page shows ngen building mscorlib's image beside the hotfix
/// renaming and replacing `mscorwks.dll` under it.
public enum Explanation {
    /// What an expectation names: files, assemblies and processes.
    public struct Subjects: Sendable, Equatable {
        /// File names (last path components), lowercased.
        public var files: Set<String> = []
        /// Assembly names, lowercased.
        public var assemblies: Set<String> = []
        /// Process names, as the run names them.
        public var processes: Set<String> = []
        public init(files: Set<String> = [], assemblies: Set<String> = [], processes: Set<String> = []) {
            self.files = files
            self.assemblies = assemblies
            self.processes = processes
        }
    }

    /// The extensions that make a word a file name.
    static let fileExtensions: Set<String> = ["dll", "exe", "sys", "msi", "msp", "ini", "ocx", "drv", "cpl", "tlb", "config"]

    /// What `verdict` names, among the processes `processNames` of the run.
    public static func subjects(of verdict: RunTimeline.Verdict, processNames: Set<String>) -> Subjects {
        var subjects = Subjects()
        let text = verdict.text + "\n" + verdict.detail
        for word in words(text) {
            let name = lastComponent(word)
            if let dot = name.lastIndex(of: "."), fileExtensions.contains(name[name.index(after: dot)...].lowercased()) {
                subjects.files.insert(name.lowercased())
            }
            if processNames.contains(word) { subjects.processes.insert(word) }
        }
        for marker in [": stale", ": missing"] {
            var rest = verdict.detail[...]
            while let range = rest.firstRange(of: marker) {
                let name = rest[..<range.lowerBound].reversed().prefix { isNameCharacter($0) }
                if !name.isEmpty { subjects.assemblies.insert(String(name.reversed()).lowercased()) }
                rest = rest[range.upperBound...]
            }
        }
        if let range = verdict.text.firstRange(of: "the native image of ") {
            let name = verdict.text[range.upperBound...].prefix { isNameCharacter($0) }
            if !name.isEmpty { subjects.assemblies.insert(name.lowercased()) }
        }
        return subjects
    }

    /// The indices in `timeline.operations` of the operations that explain `verdict` (none for
    /// an expectation that held), in timeline order.
    public static func operations(explaining verdict: RunTimeline.Verdict, in timeline: RunTimeline) -> [Int] {
        guard verdict.verdict != "pass" else { return [] }
        let subjects = subjects(of: verdict, processNames: Set(timeline.lanes.map(\.name)))
        let images = Set(subjects.assemblies.flatMap { ["\($0).ni.dll", "\($0).ni.dll.~ngen"] })
        var picked: [Int] = []
        for (index, operation) in timeline.operations.enumerated() {
            let lane = timeline.lanes[operation.lane].name
            let names = operation.arguments.map { lastComponent($0.value).lowercased() }
            let byFile = names.contains { subjects.files.contains($0) || images.contains($0) }
            let byAssembly = operation.arguments.contains { $0.name == "assembly" && subjects.assemblies.contains($0.value.lowercased()) }
            let byProcess =
                !operation.outcome.succeeded
                && subjects.processes.contains { lane == $0 || lane.hasPrefix($0 + "/") }
            if byFile || byAssembly || byProcess { picked.append(index) }
        }
        return picked
    }

    /// The words of a text: split at white space, quotes, brackets, commas and semicolons, a
    /// trailing colon or full stop dropped.
    static func words(_ text: String) -> [String] {
        text.split { $0.isWhitespace || "\"'`()[]{},;".contains($0) }.map { word in
            var word = Substring(word)
            while let last = word.last, last == ":" || last == "." { word = word.dropLast() }
            return String(word)
        }.filter { !$0.isEmpty }
    }

    /// The last component of a Windows (or POSIX) path: `C:\x\mscorwks.dll` → `mscorwks.dll`.
    static func lastComponent(_ path: String) -> String {
        path.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? path
    }

    /// A character of an assembly name: letters, digits, `.`, `_`, `-`.
    static func isNameCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "." || c == "_" || c == "-" }
}
