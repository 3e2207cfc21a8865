import RigModel
import WindowsModel
import Yams

/// Mutates a rig, patch or machine image at the YAML structure level (keys, values, lists, start
/// conditions, nesting) and then, sometimes, at the text and byte level (indentation, lines,
/// anchors and aliases, byte flips, truncation). Everything drawn comes from the generator, so a
/// seed and an input index make the same bytes again.
public struct YAMLMutator {
    let corpus: FuzzCorpus
    /// Each seed's composed tree, by its path.
    let trees: [String: Node]

    public init(corpus: FuzzCorpus) {
        self.corpus = corpus
        var trees: [String: Node] = [:]
        for seed in corpus.all { trees[seed.relativePath] = (try? Yams.compose(yaml: seed.text)) ?? nil }
        self.trees = trees
    }

    /// The bytes of one mutated file of `kind`, and the names of the mutations applied.
    public func generate(_ kind: FuzzKind, using g: inout SplitMix64) -> (bytes: [UInt8], mutations: [String]) {
        let seed = g.pick(corpus.seeds(of: kind))
        var mutations: [String] = ["from " + seed.relativePath]
        var text = seed.text
        // Structure first: compose, change the tree, serialize.
        if !g.oneIn(6), var node = trees[seed.relativePath] {
            let count = 1 + g.below(g.oneIn(4) ? 8 : 3)
            for _ in 0..<count {
                let name = mutateTree(&node, kind: kind, using: &g)
                mutations.append(name)
            }
            // A few MB at most (the loaders are linear; more only slows the run down).
            if let serialized = try? Yams.serialize(node: node), serialized.utf8.count <= 4 << 20 {
                text = serialized
            } else {
                mutations.append("(too large, not used)")
            }
        }
        var bytes = Array(text.utf8)
        if g.oneIn(3) || mutations.count == 1 {
            let count = 1 + g.below(3)
            for _ in 0..<count { mutations.append(mutateText(&bytes, using: &g)) }
        }
        return (bytes, mutations)
    }

    // MARK: - Tree

    /// A path to a node: at each level, the index of a list item, or 2k (key) / 2k+1 (value) of
    /// the k-th mapping entry.
    typealias Path = [Int]

    /// Every node's path, with the node (children of nodes deeper than 64 levels left out).
    static func paths(_ node: Node, prefix: Path = [], into out: inout [(path: Path, node: Node)], depth: Int = 0) {
        out.append((prefix, node))
        guard depth < 64 else { return }
        switch node {
        case .mapping(let m):
            for (k, pair) in m.enumerated() {
                paths(pair.key, prefix: prefix + [2 * k], into: &out, depth: depth + 1)
                paths(pair.value, prefix: prefix + [2 * k + 1], into: &out, depth: depth + 1)
            }
        case .sequence(let s):
            for (i, item) in s.enumerated() { paths(item, prefix: prefix + [i], into: &out, depth: depth + 1) }
        default: break
        }
    }

    static func replace(at path: Path, in root: inout Node, with transform: (Node) -> Node) {
        guard let first = path.first else {
            root = transform(root)
            return
        }
        let rest = Array(path.dropFirst())
        switch root {
        case .mapping(let m):
            var pairs = m.map { ($0.key, $0.value) }
            guard first / 2 < pairs.count else { return }
            if first % 2 == 0 {
                replace(at: rest, in: &pairs[first / 2].0, with: transform)
            } else {
                replace(at: rest, in: &pairs[first / 2].1, with: transform)
            }
            root = .mapping(Node.Mapping(pairs, m.tag, m.style))
        case .sequence(let s):
            var items = Array(s)
            guard first < items.count else { return }
            replace(at: rest, in: &items[first], with: transform)
            root = .sequence(Node.Sequence(items, s.tag, s.style))
        default: break
        }
    }

    static func pairs(_ node: Node) -> [(Node, Node)]? { node.mapping.map { $0.map { ($0.key, $0.value) } } }
    static func mapping(_ pairs: [(Node, Node)], like node: Node) -> Node {
        let style = node.mapping?.style ?? .any
        return .mapping(Node.Mapping(pairs, .implicit, style))
    }
    static func map(_ pairs: [(Node, Node)]) -> Node { .mapping(Node.Mapping(pairs)) }
    static func items(_ node: Node) -> [Node]? { node.sequence.map(Array.init) }
    static func sequence(_ items: [Node], like node: Node) -> Node {
        .sequence(Node.Sequence(items, .implicit, node.sequence?.style ?? .any))
    }

    /// Applies one tree mutation; returns its name.
    func mutateTree(_ root: inout Node, kind: FuzzKind, using g: inout SplitMix64) -> String {
        var nodes: [(path: Path, node: Node)] = []
        Self.paths(root, into: &nodes)
        let all = nodes.map(\.path)
        let mappings = nodes.filter { $0.node.mapping != nil }.map(\.path)
        let lists = nodes.filter { $0.node.sequence != nil }.map(\.path)
        let scalars = nodes.filter { $0.node.scalar != nil }.map(\.path)

        let choice = g.below(kind == .rig ? 16 : 13)
        switch choice {
        case 0 where !mappings.isEmpty:  // drop a key
            Self.replace(at: g.pick(mappings), in: &root) { node in
                var p = Self.pairs(node)!
                if !p.isEmpty { p.remove(at: g.below(p.count)) }
                return Self.mapping(p, like: node)
            }
            return "drop key"
        case 1 where !mappings.isEmpty:  // duplicate a key
            Self.replace(at: g.pick(mappings), in: &root) { node in
                var p = Self.pairs(node)!
                if !p.isEmpty {
                    let i = g.below(p.count)
                    p.insert((p[i].0, g.oneIn(2) ? p[i].1 : Node(g.pick(Self.words))), at: g.below(p.count + 1))
                }
                return Self.mapping(p, like: node)
            }
            return "duplicate key"
        case 2 where !mappings.isEmpty:  // swap two values, or two keys' places
            Self.replace(at: g.pick(mappings), in: &root) { node in
                var p = Self.pairs(node)!
                if p.count >= 2 {
                    let i = g.below(p.count)
                    let j = g.below(p.count)
                    if g.oneIn(2) { (p[i].1, p[j].1) = (p[j].1, p[i].1) } else { p.swapAt(i, j) }
                }
                return Self.mapping(p, like: node)
            }
            return "swap values"
        case 3 where !mappings.isEmpty:  // rename a key: typo, unknown, another kind's key, not text
            Self.replace(at: g.pick(mappings), in: &root) { node in
                var p = Self.pairs(node)!
                if !p.isEmpty {
                    let i = g.below(p.count)
                    p[i].0 = self.otherKey(p[i].0.scalar?.string ?? "", using: &g)
                }
                return Self.mapping(p, like: node)
            }
            return "rename key"
        case 4 where !scalars.isEmpty, 5 where !scalars.isEmpty:  // a scalar becomes a value of another type or shape
            let replacement = interestingValue(using: &g)
            Self.replace(at: g.pick(scalars), in: &root) { _ in replacement }
            return "replace scalar"
        case 6 where !all.isEmpty:  // any node becomes another type
            let replacement = interestingValue(using: &g)
            Self.replace(at: g.pick(all), in: &root) { _ in replacement }
            return "replace node"
        case 7 where !lists.isEmpty:  // list items: duplicate (many times), drop, swap, empty
            Self.replace(at: g.pick(lists), in: &root) { node in
                var items = Self.items(node)!
                switch g.below(4) {
                case 0 where !items.isEmpty:
                    let item = items[g.below(items.count)]
                    let times = g.oneIn(10) ? 50 + g.below(400) : 1 + g.below(3)
                    items.insert(contentsOf: Array(repeating: item, count: times), at: g.below(items.count + 1))
                case 1 where !items.isEmpty: items.remove(at: g.below(items.count))
                case 2 where items.count >= 2: items.swapAt(g.below(items.count), g.below(items.count))
                default: items = []
                }
                return Self.sequence(items, like: node)
            }
            return "list items"
        case 8 where !all.isEmpty:  // deep nesting
            // Past the parser's limit (1000) at most once per input: the serializer recurses.
            let alreadyDeep = nodes.contains { $0.path.count >= 60 }
            let depth = g.oneIn(4) && !alreadyDeep ? 500 + g.below(1000) : 2 + g.below(40)
            Self.replace(at: g.pick(all), in: &root) { node in
                var n = node
                let asList = g.oneIn(2)
                // Flow style ([[[...]]]): block style would indent each level, and the file grow as depth².
                for _ in 0..<depth {
                    n =
                        asList
                        ? .sequence(Node.Sequence([n], .implicit, .flow))
                        : .mapping(Node.Mapping([(Node("k"), n)], .implicit, .flow))
                }
                return n
            }
            return "nest \(depth) deep"
        case 9 where !all.isEmpty:  // splice a node from another file (any kind)
            let other = g.pick(corpus.all)
            if let otherRoot = trees[other.relativePath] {
                var donors: [(path: Path, node: Node)] = []
                Self.paths(otherRoot, into: &donors)
                let donor = g.pick(donors).node
                Self.replace(at: g.pick(all), in: &root) { _ in donor }
            }
            return "splice from " + other.relativePath
        case 10 where !mappings.isEmpty:  // add a key: known to some loader, or unknown
            Self.replace(at: g.pick(mappings), in: &root) { node in
                var p = Self.pairs(node)!
                p.insert((self.otherKey("", using: &g), self.interestingValue(using: &g)), at: g.below(p.count + 1))
                return Self.mapping(p, like: node)
            }
            return "add key"
        case 11 where !scalars.isEmpty:  // a name the file uses, somewhere else
            let names = nodes.compactMap { $0.node.scalar?.string }
            let name = g.pick(names)
            Self.replace(at: g.pick(scalars), in: &root) { _ in Node(name) }
            return "reuse name"
        case 12 where !mappings.isEmpty:  // a mapping's entries in another order
            Self.replace(at: g.pick(mappings), in: &root) { node in
                var p = Self.pairs(node)!
                for i in stride(from: p.count - 1, to: 0, by: -1) { p.swapAt(i, g.below(i + 1)) }
                return Self.mapping(p, like: node)
            }
            return "shuffle keys"
        case 13, 14:  // start conditions: cycles, self-starts, unknown actors, steps
            return mutateStarts(&root, using: &g)
        case 15:  // wait/emit steps naming unknown actors or events
            return mutateSteps(&root, using: &g)
        default:
            let replacement = interestingValue(using: &g)
            if !all.isEmpty { Self.replace(at: g.pick(all), in: &root) { _ in replacement } }
            return "replace any"
        }
    }

    /// Names of the rig's actors, with the path of each actor's mapping.
    func actors(in root: Node) -> [(path: Path, name: String)] {
        guard let top = Self.pairs(root), let k = top.firstIndex(where: { $0.0.scalar?.string == "actors" }),
            let list = Self.items(top[k].1)
        else { return [] }
        return list.enumerated().compactMap { i, item in
            guard let p = Self.pairs(item), let nameNode = p.first(where: { $0.0.scalar?.string == "name" })?.1,
                let name = nameNode.scalar?.string
            else { return nil }
            return ([2 * k + 1, i], name)
        }
    }

    func setEntry(_ key: String, _ value: Node, at path: Path, in root: inout Node) {
        Self.replace(at: path, in: &root) { node in
            guard var p = Self.pairs(node) else { return node }
            if let i = p.firstIndex(where: { $0.0.scalar?.string == key }) { p[i].1 = value } else { p.append((Node(key), value)) }
            return Self.mapping(p, like: node)
        }
    }

    func mutateStarts(_ root: inout Node, using g: inout SplitMix64) -> String {
        let actors = actors(in: root)
        guard !actors.isEmpty else { return "starts (no actors)" }
        let events = ["ready", "done", "loaded", "installed", "running", "down", "booted", "logon", "x"]
        func start(after other: String) -> Node {
            switch g.below(4) {
            case 0: return Self.map([(Node("after_exit"), Node(other))])
            case 1: return Self.map([(Node("after"), Node(other + "." + g.pick(events))), (Node("delay"), Node(g.pick(Self.durations)))])
            case 2: return Self.map([(Node("after"), Node(other + "." + g.pick(events))), (Node("at"), Node("1ms"))])
            default: return Self.map([(Node("after"), Node(other + "." + g.pick(events)))])
            }
        }
        switch g.below(4) {
        case 0:  // a cycle through 1...n actors
            let n = min(actors.count, 1 + g.below(4))
            var chosen = actors
            for i in stride(from: chosen.count - 1, to: 0, by: -1) { chosen.swapAt(i, g.below(i + 1)) }
            chosen = Array(chosen.prefix(n))
            for (i, a) in chosen.enumerated() {
                setEntry("start", start(after: chosen[(i + 1) % n].name), at: a.path, in: &root)
            }
            return "start cycle of \(n)"
        case 1:  // an unknown or misspelt actor
            let a = g.pick(actors)
            let other = g.oneIn(2) ? Self.typo(g.pick(actors).name, using: &g) : g.pick(Self.words)
            setEntry("start", start(after: other), at: a.path, in: &root)
            return "start after unknown"
        case 2:  // a machine step or its events
            let a = g.pick(actors)
            setEntry("start", start(after: g.pick(["reboot1", "logon1", "reboot2", "reboot"])), at: a.path, in: &root)
            return "start after step"
        default:  // a long chain, each after the previous one
            for (i, a) in actors.enumerated() where i > 0 {
                setEntry("start", start(after: actors[i - 1].name), at: a.path, in: &root)
            }
            return "start chain"
        }
    }

    func mutateSteps(_ root: inout Node, using g: inout SplitMix64) -> String {
        let actors = actors(in: root)
        guard !actors.isEmpty else { return "steps (no actors)" }
        let a = g.pick(actors)
        let other = g.oneIn(3) ? a.name : g.oneIn(2) ? g.pick(actors).name : g.pick(Self.words)
        var steps: [Node] = []
        for _ in 0..<(1 + g.below(5)) {
            switch g.below(5) {
            case 0: steps.append(Self.map([(Node("wait"), Node(other + "." + g.pick(Self.words)))]))
            case 1: steps.append(Self.map([(Node("emit"), interestingValue(using: &g))]))
            case 2: steps.append(Self.map([(Node("sleep"), Node(g.pick(Self.durations)))]))
            case 3: steps.append(Self.map([(Node("exit"), Node(g.pick(Self.numbers)))]))
            default: steps.append(Self.map([(Node("wait"), Node("x.y")), (Node("emit"), Node("z"))]))
            }
        }
        setEntry("steps", .sequence(Node.Sequence(steps)), at: a.path, in: &root)
        return "steps"
    }

    // MARK: - Values

    static let durations = [
        "0ms", "1ms", "-1ms", "1.5", "1.5s", "250", "ms", "s", "1..2s", ".5s", "5.s", "1e3ms", "0.0000000001s",
        "0.5ns", "1.000000000000000000000001s", "18446744073709551615ns", "18446744073709551616ns",
        "307445734561825860m", "307445734561825861m", "99999999999999999999999999s", "1h", "1 ms", "1MS",
        "١٢ms", "１２ms", "1ms ", "∞s", "nan s", "0x10ms", "+5ms", "1_000ms", "", "0.", "00000000000000000000001ms",
    ]
    static let numbers = [
        "0", "-1", "1", "3010", "255", "256", "2147483647", "2147483648", "-2147483649", "4294967296",
        "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
        "999999999999999999999999999999999999999", "1e308", "1.5", "0x7fffffff", "0o17", ".inf", "-.inf", ".nan",
        "1_000", "_", "+1", "-0", "00012",
    ]
    static let words = [
        "installer", "instaler", "app", "ngen", "setup", "script", "smss", "reboot1", "logon1", "admin", "nobody",
        "patches/kb886903.yaml", "../patches/netfx11-sp1.yaml", "images/netfx11.yaml", "/etc/passwd", "/", ".", "..",
        "no/such/file.yaml", "C:\\Windows\\System32\\mscoree.dll", "C:\\", "HKLM\\SOFTWARE", "HKXX\\Nope",
        "a.b", "a.", ".b", "a..b", "a.b.c", "x/y", "all", "fresh", "stale", "absent", "present", "auto", "runonce",
        "service", "nt", "win9x", "exit", "ignore", "retry", "true", "false", "null", "~", "yes", "no",
        "1.1.4322.573", "1.2.3", "1.2.3.4.5", "65536.0.0.0", "-1.0.0.0", "mscorlib", "System.Web", "any#1",
        "replace#0", "dword", "sz", "multi_sz", "qword", "binary", "expand_sz",
    ]
    static let strings = [
        "", " ", "\t", "é", "ß", "İ", "ﬁ", "e\u{301}", "😀", "👩‍👩‍👧", "\u{202E}evil", "\u{200B}", "\u{FEFF}",
        "\u{0}", "\u{7}", "\r", "\n", "a\nb", "\u{85}", "\u{2028}", "\u{D7FF}", "\u{E000}", "\u{10FFFF}",
        "Ω≈ç√", "中文", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "'", "\"", "\\", "%", "#", ": ", "- ", "{", "[", "&a", "*a", "!tag", "|", ">",
        "---", "...", "?", "@", "`",
    ]

    /// A value chosen to be wrong somewhere: another type, a bad number or duration, odd text.
    func interestingValue(using g: inout SplitMix64) -> Node {
        switch g.below(12) {
        case 0: return Node(g.pick(Self.numbers))
        case 1: return Node(g.pick(Self.durations))
        case 2: return Node(g.pick(Self.words))
        case 3: return Node(g.pick(Self.strings), .implicit, g.oneIn(2) ? .doubleQuoted : .any)
        case 4: return Node(String(repeating: g.pick(["a", "é", "😀", "x."]), count: 1 + g.below(g.oneIn(8) ? 20_000 : 200)))
        case 5: return .sequence(Node.Sequence((0..<g.below(4)).map { _ in Node(g.pick(Self.words)) }))
        case 6: return .mapping(Node.Mapping((0..<g.below(4)).map { _ in (Node(g.pick(Self.words)), Node(g.pick(Self.numbers))) }))
        case 7: return Node(g.pick(["", "~", "null", "Null", "NULL"]), .implicit, .plain)
        case 8: return Node(g.pick(["true", "false", "True", "FALSE", "yes", "on"]))
        case 9: return Self.map([(Node.sequence([Node("a")]), Node("complex key"))])
        case 10: return Node(g.pick(Self.words) + g.pick(Self.strings) + g.pick(Self.durations))
        default: return Node("", .implicit, g.oneIn(2) ? .singleQuoted : .doubleQuoted)
        }
    }

    static let allKeys: [String] =
        RigLoader.rigKeys + RigLoader.actorKeys + RigLoader.startKeys + RigLoader.stepKeys + RigLoader.expectKeys
        + RigLoader.machineKeys + RigLoader.machineStepKeys + RigLoader.rebootKeys + RigLoader.logonKeys
        + PatchLoader.topKeys + MachineImageLoader.topKeys
        + ["path", "version", "size", "adds", "name", "file", "references", "key", "values", "command", "kind", "hive"]

    /// Another key for `key`: a typo of it, a key of some other section, unknown text, or not text.
    func otherKey(_ key: String, using g: inout SplitMix64) -> Node {
        switch g.below(6) {
        case 0 where !key.isEmpty: return Node(Self.typo(key, using: &g))
        case 1, 2: return Node(g.pick(Self.allKeys))
        case 3: return Node(g.pick(Self.words) + g.pick(Self.strings))
        case 4: return .sequence([Node(key)])
        default: return Node(g.pick(["", "~", "null", "1", "true"]), .implicit, .plain)
        }
    }

    /// `word` with one character changed, inserted, deleted, or two swapped.
    static func typo(_ word: String, using g: inout SplitMix64) -> String {
        var chars = Array(word)
        guard !chars.isEmpty else { return "x" }
        let i = g.below(chars.count)
        switch g.below(4) {
        case 0: chars[i] = g.pick(Array("abcdefghijklmnopqrstuvwxyz_-.é"))
        case 1: chars.insert(g.pick(Array("abcdefghijklmnopqrstuvwxyz")), at: i)
        case 2: chars.remove(at: i)
        default: if chars.count >= 2 { chars.swapAt(i, (i + 1) % chars.count) }
        }
        return String(chars)
    }

    // MARK: - Text and bytes

    /// Applies one text or byte mutation; returns its name.
    func mutateText(_ bytes: inout [UInt8], using g: inout SplitMix64) -> String {
        let choice = g.below(14)
        var lines: [[UInt8]] =
            [4, 5, 6, 7, 9, 11].contains(choice)
            ? bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init) : []
        func joined() -> [UInt8] {
            var out: [UInt8] = []
            for (i, line) in lines.enumerated() {
                if i > 0 { out.append(UInt8(ascii: "\n")) }
                out.append(contentsOf: line)
            }
            return out
        }
        switch choice {
        case 0:  // flip bits
            for _ in 0..<(1 + g.below(4)) where !bytes.isEmpty { bytes[g.below(bytes.count)] ^= UInt8(1 << g.below(8)) }
            return "flip bits"
        case 1:  // insert odd bytes: invalid UTF-8, NUL, control characters, a BOM
            let pieces: [[UInt8]] = [
                [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0], [9], [13],
                [0xEF, 0xBB, 0xBF], [0xC0, 0x80], [0x1B], [0x7F],
            ]
            bytes.insert(contentsOf: g.pick(pieces), at: g.below(bytes.count + 1))
            return "insert bytes"
        case 2:  // delete a range
            if !bytes.isEmpty {
                let a = g.below(bytes.count)
                bytes.removeSubrange(a..<min(bytes.count, a + 1 + g.below(64)))
            }
            return "delete bytes"
        case 3:  // truncate
            bytes = Array(bytes.prefix(g.below(bytes.count + 1)))
            return "truncate"
        case 4:  // break indentation: a line moves by 1-3 columns, or gets a tab
            if !lines.isEmpty {
                let i = g.below(lines.count)
                switch g.below(3) {
                case 0: lines[i].insert(contentsOf: Array(repeating: UInt8(ascii: " "), count: 1 + g.below(3)), at: 0)
                case 1: lines[i] = Array(lines[i].drop { $0 == UInt8(ascii: " ") }.prefix(Int.max))
                default: lines[i].insert(9, at: 0)
                }
                bytes = joined()
            }
            return "indentation"
        case 5:  // duplicate, drop or swap lines
            if !lines.isEmpty {
                let i = g.below(lines.count)
                let j = g.below(lines.count)
                switch g.below(3) {
                case 0: lines.insert(lines[i], at: j)
                case 1: lines.remove(at: i)
                default: lines.swapAt(i, j)
                }
                bytes = joined()
            }
            return "lines"
        case 6:  // a line from another file
            let other = Array(g.pick(corpus.all).text.utf8).split(separator: UInt8(ascii: "\n")).map(Array.init)
            if !other.isEmpty {
                lines.insert(g.pick(other), at: g.below(lines.count + 1))
                bytes = joined()
            }
            return "splice line"
        case 7:  // anchors and aliases: defined, undefined, recursive-looking
            if !lines.isEmpty {
                let i = g.below(lines.count)
                let text = g.pick([" &a", " *a", " *undefined", " &a *a", " &a [*a]", " !!binary", " !custom", " !!str", " !!int"])
                if let colon = lines[i].firstIndex(of: UInt8(ascii: ":")) {
                    lines[i].insert(contentsOf: Array(text.utf8), at: colon + 1)
                } else {
                    lines[i].append(contentsOf: Array(text.utf8))
                }
                bytes = joined()
            }
            return "anchor/alias"
        case 8:  // exponential aliases (a "billion laughs" document), as a value or as a key
            var laugh = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
            let levels = 3 + g.below(7)
            for n in 1...levels {
                laugh += "l\(n): &l\(n) [" + Array(repeating: "*l\(n - 1)", count: 10).joined(separator: ", ") + "]\n"
            }
            switch g.below(3) {
            case 0: laugh += "actors: *l\(levels)\n"
            case 1: laugh += "? *l\(levels)\n: x\n"
            default: laugh += "files: *l\(levels)\n"
            }
            bytes = Array(laugh.utf8) + (g.oneIn(2) ? bytes : [])
            return "alias bomb \(levels)"
        case 9:  // CRLF or CR line ends
            let end: [UInt8] = g.oneIn(2) ? [13, 10] : [13]
            bytes = []
            for (i, line) in lines.enumerated() {
                if i > 0 { bytes.append(contentsOf: end) }
                bytes.append(contentsOf: line)
            }
            return "line ends"
        case 10:  // several documents, directives
            let extra = g.pick(["---\n", "...\n", "%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n---\n", "%YAML 9.9\n---\n"])
            if g.oneIn(2) { bytes = Array(extra.utf8) + bytes } else { bytes += Array(("\n" + extra + "a: 1\n").utf8) }
            return "documents"
        case 11:  // very long line or key
            let long = String(repeating: g.pick(["a", " ", "[", "{", "- ", "é"]), count: 1_000 + g.below(100_000))
            lines.insert(Array(long.utf8), at: g.below(lines.count + 1))
            bytes = joined()
            return "long line"
        case 12:  // flow brackets left open or closed twice
            bytes.insert(g.pick(Array("[]{}\"',:-?|>".utf8)), at: g.below(bytes.count + 1))
            return "bracket"
        default:  // random bytes
            bytes.insert(contentsOf: (0..<(1 + g.below(16))).map { _ in UInt8(truncatingIfNeeded: g.next()) }, at: g.below(bytes.count + 1))
            return "random bytes"
        }
    }
}
