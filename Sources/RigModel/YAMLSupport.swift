import CYaml
import Foundation
import WindowsModel
import Yams

/// Small helpers for decoding YAML files (rigs, machine images) into typed models with
/// `file:line:column` errors. Parse with `YAMLSupport.compose(_:file:)`, then read the tree with a
/// `YAMLReader`, which collects every problem instead of stopping at the first one.
///
///     let root = try YAMLSupport.compose(text, file: path)    // malformed YAML → RigError
///     let reader = YAMLReader(file: path)
///     if let top = reader.mapping(root, what: "the image", keys: ["files", "registry"]) {
///         let files = top["files"].flatMap { reader.list($0, what: "files") } ?? []
///         ...
///     }
///     if !reader.errors.isEmpty { throw RigErrors(reader.sortedErrors) }
public enum YAMLSupport {
    /// The text of the YAML file at `path` (a rig, an image, a patch: `what`), or an error at its
    /// first line saying why it cannot be read.
    public static func readText(file path: String, what: String) throws(RigErrors) -> String {
        // Errors name the file and what is wrong; they never quote its bytes.
        func refuse(_ reason: String) -> RigErrors {
            RigErrors([RigError("cannot read the \(what): \(reason)", at: SourcePosition(file: path, line: 1, column: 1))])
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw refuse(errno == ENOENT || errno == ENOTDIR ? "no such file" : String(cString: strerror(errno)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw refuse("it is a directory, not a file")
        default: throw refuse("it is not a regular file")
        }
        guard Int(info.st_size) <= maxFileSize else {
            throw refuse("it is \(info.st_size) bytes; a rig, image or patch file is at most \(maxFileSize) bytes")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw refuse("it cannot be read") }
        guard data.count <= maxFileSize else {
            throw refuse("it is over \(maxFileSize) bytes; a rig, image or patch file is at most \(maxFileSize) bytes")
        }
        if let zero = data.firstIndex(of: 0) {
            throw refuse("it is binary, not YAML text (a NUL byte at offset \(zero - data.startIndex))")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw refuse("it is not UTF-8 text")
        }
        return text
    }

    /// The largest rig, image or patch file read (16 MiB): anything bigger is not one.
    public static let maxFileSize = 16 << 20

    /// Composes `text` into a node tree. Returns nil for an empty document (only comments or
    /// whitespace). Malformed YAML, several documents and duplicate keys become one `RigError` at
    /// the position the parser reported.
    public static func compose(_ text: String, file: String) throws(RigError) -> Yams.Node? {
        try checkAliasExpansion(text, file: file)
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw rigError(from: error, in: text, file: file)
        } catch {
            throw RigError("malformed YAML: \(error)", at: SourcePosition(file: file, line: 1, column: 1))
        }
    }

    /// The most nodes a document may stand for once its aliases are expanded: far above any rig,
    /// image or patch, far below what makes composing it hang.
    public static let maxExpandedNodes = 1_000_000

    /// Refuses a document whose aliases (`*name`) expand it beyond `maxExpandedNodes` (nested
    /// anchors, each aliased several times by the next, grow exponentially). Composing such a
    /// document shares the aliased nodes, but Yams hashes a mapping's keys to find duplicates,
    /// which walks a key made of aliases in full: a few lines would take longer than a lifetime.
    /// Counts the expanded size from the parser's events, without building nodes; syntax errors
    /// are left to `compose`, which reports them.
    static func checkAliasExpansion(_ text: String, file: String) throws(RigError) {
        guard text.utf8.contains(UInt8(ascii: "*")) else { return }  // no alias without '*'
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        // Expanded size of each anchored node, and of each collection still open.
        var sizes: [String: Int] = [:]
        var open: [(anchor: String?, size: Int)] = []
        var expanded = 0
        var tooLarge: yaml_mark_t?
        func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        }
        func add(_ size: Int, anchor: String?) {
            if let anchor { sizes[anchor] = size }
            if !open.isEmpty { open[open.count - 1].size += size }
        }
        bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SCALAR_EVENT:
                    expanded += 1
                    add(1, anchor: anchorName(event.data.scalar.anchor))
                case YAML_ALIAS_EVENT:
                    let size = anchorName(event.data.alias.anchor).flatMap { sizes[$0] } ?? 1
                    expanded += size
                    add(size, anchor: nil)
                case YAML_SEQUENCE_START_EVENT:
                    expanded += 1
                    open.append((anchorName(event.data.sequence_start.anchor), 1))
                case YAML_MAPPING_START_EVENT:
                    expanded += 1
                    open.append((anchorName(event.data.mapping_start.anchor), 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    if let done = open.popLast() { add(done.size, anchor: done.anchor) }
                case YAML_STREAM_END_EVENT:
                    return
                default:
                    break
                }
                if expanded > maxExpandedNodes {
                    tooLarge = event.start_mark
                    return
                }
            }
        }
        if let mark = tooLarge {
            throw RigError(
                "malformed YAML: its aliases expand the document to more than \(maxExpandedNodes) nodes",
                at: SourcePosition(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1))
        }
    }

    /// The position of `node` in `file` (1-based); `1:1` when the node carries no mark.
    public static func position(of node: Yams.Node, in file: String) -> SourcePosition {
        let mark = node.mark
        return SourcePosition(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// Turns a Yams parse error into a `RigError` at the parser's position.
    static func rigError(from error: YamlError, in text: String, file: String) -> RigError {
        func at(_ mark: Mark) -> SourcePosition {
            SourcePosition(file: file, line: max(mark.line, 1), column: max(mark.column, 1))
        }
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return "malformed YAML: \(problem)" }
            return "malformed YAML: \(problem) (\(context.text) at \(context.mark.line):\(context.mark.column))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return RigError(withContext(problem, context), at: at(mark))
        case .reader(let problem, let offset, _, _):
            let (line, column) = lineAndColumn(ofCharacterOffset: offset ?? 0, in: text)
            return RigError("malformed YAML: \(problem)", at: SourcePosition(file: file, line: line, column: column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let noun = duplicates.count == 1 ? "key" : "keys"
            return RigError("duplicate \(noun) \(keys) in one mapping", at: at(context.mark))
        default:
            return RigError("malformed YAML: \(error)", at: SourcePosition(file: file, line: 1, column: 1))
        }
    }

    /// 1-based line and column of the `offset`-th character of `text`.
    static func lineAndColumn(ofCharacterOffset offset: Int, in text: String) -> (Int, Int) {
        var line = 1
        var column = 1
        for (index, character) in text.enumerated() {
            if index >= offset { break }
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    /// The closest of `candidates` to `word` by edit distance, if it is close enough to be a typo.
    public static func suggestion(for word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        // A typo changes a few characters; more than a third of the word is another word.
        let limit = max(1, min(3, max(word.count, candidate.count) / 3))
        return distance <= limit ? candidate : nil
    }

    /// Edit distance counting an insertion, a deletion, a substitution or a swap of two
    /// neighbouring characters as one edit (optimal string alignment), so `strat` is one edit
    /// from `start`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

/// A node of a composed YAML tree (Yams's `Node`), so users of these helpers need not import Yams.
public typealias YAMLNode = Yams.Node

/// One `key: value` pair of a YAML mapping whose key is text.
public struct YAMLEntry {
    public var key: String
    /// The key's node (its position is where "unknown key" errors point).
    public var keyNode: Yams.Node
    public var value: Yams.Node
}

/// A YAML mapping whose keys have been checked: every key is text and one of the allowed ones.
public struct YAMLMapping {
    /// The mapping node itself (its position is where "missing key" errors point).
    public var node: Yams.Node
    /// The entries with allowed keys, in file order.
    public var entries: [YAMLEntry]
    /// The value of `key`, if present.
    public subscript(key: String) -> Yams.Node? { entries.first { $0.key == key }?.value }
    /// Whether `key` is present.
    public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }
    /// The entry of `key`, if present.
    public func entry(_ key: String) -> YAMLEntry? { entries.first { $0.key == key } }
}

/// Reads typed values out of a YAML tree. Each getter returns nil and records a `RigError` at the
/// offending node when the value is not what was asked for, so one pass reports every problem.
///
/// Getters take `what`, a short description of the value ("the timeout", "step 2"), used in
/// messages such as `the timeout must be a duration such as 250ms or 1.5s, not a list`.
public final class YAMLReader {
    /// The file name used in every position.
    public let file: String
    /// Every problem recorded so far, in the order found.
    public private(set) var errors: [RigError] = []

    public init(file: String) { self.file = file }

    /// The problems ordered by position (line, then column; ties keep the order found).
    public var sortedErrors: [RigError] {
        errors.enumerated().sorted { l, r in
            let a = l.element.position
            let b = r.element.position
            if a.line != b.line { return a.line < b.line }
            if a.column != b.column { return a.column < b.column }
            return l.offset < r.offset
        }.map(\.element)
    }

    /// The position of `node` in this reader's file.
    public func position(of node: Yams.Node) -> SourcePosition { YAMLSupport.position(of: node, in: file) }

    /// Records a problem at `node`.
    public func error(_ message: String, at node: Yams.Node) {
        errors.append(RigError(message, at: position(of: node)))
    }

    /// Records a problem at `position`.
    public func error(_ message: String, at position: SourcePosition) {
        errors.append(RigError(message, at: position))
    }

    /// Records an already-made error (e.g. one thrown by `YAMLSupport.compose`).
    public func record(_ error: RigError) { errors.append(error) }

    // MARK: - Shapes

    /// True for an empty value (`key:`), `~` and `null`.
    public static func isNull(_ node: Yams.Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// How a node reads in an error message: `a list`, `a mapping`, `nothing`, `'abc'`.
    public static func describe(_ node: Yams.Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(node) { return "nothing" }
            // Short text is quoted; long text or text with control characters (a binary file
            // read as YAML) is described, never echoed.
            let text = scalar.string
            if text.count > 80 || text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                return "a text of \(text.count) characters"
            }
            return "'\(text)'"
        }
    }

    /// A mapping whose keys are all text and all among `keys`; other keys are errors at the key
    /// (`unknown key 'timout' in the actor (did you mean 'timeout'?)`). Entries with bad keys are
    /// left out; the mapping is still returned so its other keys can be checked.
    public func mapping(_ node: Yams.Node, what: String, keys: [String]) -> YAMLMapping? {
        textKeyedMapping(node, what: what, allowed: keys)
    }

    /// A mapping whose keys are free (names chosen by the author, e.g. role parameters or the
    /// actors of `expect.exit`); each key must be text.
    public func openMapping(_ node: Yams.Node, what: String) -> YAMLMapping? {
        textKeyedMapping(node, what: what, allowed: nil)
    }

    /// A mapping with text keys, each among `allowed` when it is given.
    private func textKeyedMapping(_ node: Yams.Node, what: String, allowed: [String]?) -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping, not \(Self.describe(node))", at: node)
            return nil
        }
        var entries: [YAMLEntry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode, !Self.isNull(keyNode) else {
                error("a key in \(what) must be text, not \(Self.describe(keyNode))", at: keyNode)
                continue
            }
            if let allowed, !allowed.contains(scalar.string) {
                error(unknownMessage("key", scalar.string, in: what, known: allowed), at: keyNode)
                continue
            }
            entries.append(YAMLEntry(key: scalar.string, keyNode: keyNode, value: value))
        }
        return YAMLMapping(node: node, entries: entries)
    }

    /// The message for a name that is not among `known`, with a suggestion when one is close:
    /// `unknown role 'instaler' (did you mean 'installer'?)`, else the list of known names.
    public func unknownMessage(_ noun: String, _ name: String, in what: String? = nil, known: [String]) -> String {
        let place = what.map { " in \($0)" } ?? ""
        if let suggestion = YAMLSupport.suggestion(for: name, among: known) {
            return "unknown \(noun) '\(name)'\(place) (did you mean '\(suggestion)'?)"
        }
        if known.isEmpty { return "unknown \(noun) '\(name)'\(place) (none are accepted here)" }
        return "unknown \(noun) '\(name)'\(place) (known: \(known.joined(separator: ", ")))"
    }

    /// The value of a required key, or nil after recording `<what> needs '<key>'` at the mapping.
    public func required(_ key: String, in mapping: YAMLMapping, what: String) -> Yams.Node? {
        if let value = mapping[key] { return value }
        error("\(what) needs '\(key)'", at: mapping.node)
        return nil
    }

    /// The elements of a list.
    public func list(_ node: Yams.Node, what: String) -> [Yams.Node]? {
        guard case .sequence(let sequence) = node else {
            error("\(what) must be a list, not \(Self.describe(node))", at: node)
            return nil
        }
        return Array(sequence)
    }

    // MARK: - Scalars

    /// Text: any scalar except an empty value. Numbers and booleans are read as written.
    public func string(_ node: Yams.Node, what: String) -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            error("\(what) must be text, not \(Self.describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    /// A decimal integer written without quotes, optionally limited to `range`.
    public func integer<T: FixedWidthInteger>(
        _ node: Yams.Node, what: String, as type: T.Type, in range: ClosedRange<T>? = nil
    ) -> T? {
        let rangeText = range.map { " in \($0.lowerBound)...\($0.upperBound)" } ?? ""
        guard case .scalar(let scalar) = node, scalar.style == .plain, !Self.isNull(node) else {
            error("\(what) must be a whole number\(rangeText), not \(Self.describe(node))", at: node)
            return nil
        }
        let text = scalar.string.replacingUnderscores()
        guard let value = T(text, radix: 10) else {
            error("\(what) must be a whole number\(rangeText), not \(Self.describe(node))", at: node)
            return nil
        }
        if let range, !range.contains(value) {
            error("\(what) must be in \(range.lowerBound)...\(range.upperBound), not \(value)", at: node)
            return nil
        }
        return value
    }

    /// An `Int`, optionally limited to `range`.
    public func int(_ node: Yams.Node, what: String, in range: ClosedRange<Int>? = nil) -> Int? {
        integer(node, what: what, as: Int.self, in: range)
    }

    /// `true` or `false` (also `True`, `FALSE`, ...), without quotes.
    public func bool(_ node: Yams.Node, what: String) -> Bool? {
        if case .scalar(let scalar) = node, scalar.style == .plain {
            switch scalar.string.lowercased() {
            case "true": return true
            case "false": return false
            default: break
            }
        }
        error("\(what) must be true or false, not \(Self.describe(node))", at: node)
        return nil
    }

    /// A duration such as `250ms` or `1.5s` (see `RigDuration.parse`).
    public func duration(_ node: Yams.Node, what: String) -> RigDuration? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            error("\(what) must be a duration such as 250ms or 1.5s, not \(Self.describe(node))", at: node)
            return nil
        }
        switch RigDuration.parse(scalar.string) {
        case .success(let duration): return duration
        case .failure(let failure):
            error("\(what): \(failure.message)", at: node)
            return nil
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

/// Why a duration could not be read (`DurationText`, shared with the workers).
public typealias RigDurationError = DurationError

extension RigDuration {
    /// Reads `<number><unit>` as `DurationText.parse` does: a non-negative decimal number (`1`,
    /// `1.5`, `0.25`) directly followed by one of `ns`, `us`, `ms`, `s`, `m`. A bare number is
    /// refused (its unit would be a guess), and so is a value finer than a nanosecond or beyond
    /// 2^64 ns.
    public static func parse(_ text: String) -> Result<RigDuration, RigDurationError> {
        DurationText.parse(text).map(RigDuration.init(nanoseconds:))
    }
}
