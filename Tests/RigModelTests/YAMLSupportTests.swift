import Testing
import Yams

@testable import RigModel

@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("0ms", UInt64(0)), ("10ns", 10), ("500us", 500_000), ("250ms", 250_000_000), ("2s", 2_000_000_000),
        ("1.5s", 1_500_000_000), ("0.25ms", 250_000), ("1m", 60_000_000_000), ("1.5m", 90_000_000_000),
        ("2.000s", 2_000_000_000), ("0.001us", 1), ("18446744073ms", 18_446_744_073_000_000),
    ])
    func goodDurations(text: String, nanoseconds: UInt64) throws {
        #expect(try RigDuration.parse(text).get() == RigDuration(nanoseconds: nanoseconds))
    }

    @Test(arguments: [
        ("10", "'10' needs a unit (ns, us, ms, s, m), e.g. 10ms"),
        ("-5ms", "a duration cannot be negative: '-5ms'"),
        ("5h", "'5h' has an unknown unit 'h' (units: ns, us, ms, s, m)"),
        ("ms", "'ms' is not a duration; write a number and a unit (ns, us, ms, s, m), e.g. 250ms"),
        ("1.5ns", "'1.5ns' is finer than a nanosecond"),
        ("1.s", "'1.s' is not a number followed by a unit, e.g. 1.5s"),
        (".5s", "'.5s' is not a number followed by a unit, e.g. 1.5s"),
        ("1.2.3s", "'1.2.3s' is not a number followed by a unit, e.g. 1.5s"),
        ("10 ms", "'10 ms' has an unknown unit ' ms' (units: ns, us, ms, s, m)"),
        ("99999999999m", "'99999999999m' is too long (at most about 584 years)"),
        ("", "a duration cannot be empty; write e.g. 250ms or 1.5s"),
    ])
    func badDurations(text: String, message: String) {
        guard case .failure(let error) = RigDuration.parse(text) else {
            Issue.record("'\(text)' parsed")
            return
        }
        #expect(error.message == message)
    }

    @Test func descriptionRoundTrips() throws {
        for ns: UInt64 in [0, 1, 1_000, 1_500_000, 2_000_000_000, 60_000_000_000] {
            let d = RigDuration(nanoseconds: ns)
            #expect(try RigDuration.parse(d.description).get() == d)
        }
    }
}

@Suite struct YAMLSupportTests {
    @Test func malformedYAMLIsARigErrorAtTheParserPosition() {
        let text = "a: 1\nb: [1, 2\nc: 3\n"
        #expect(throws: RigError.self) { try YAMLSupport.compose(text, file: "x.yaml") }
        do {
            _ = try YAMLSupport.compose(text, file: "x.yaml")
        } catch {
            #expect(error.position.file == "x.yaml")
            #expect(error.position.line == 3)
            #expect(error.message.hasPrefix("malformed YAML: "))
        }
    }

    @Test func duplicateKeysAreReported() {
        do {
            _ = try YAMLSupport.compose("a: 1\nb: 2\na: 3\n", file: "x.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.description == "x.yaml:1:1: error: duplicate key 'a' in one mapping")
        }
    }

    /// Found by scripts/fuzz (seed 1, input 50): nested anchors, each aliased ten times by the
    /// next, used as a mapping key. Composing it hashed the key's 10^9 expanded nodes and hung.
    @Test func aliasesExpandingBeyondTheLimitAreRefusedAtTheAlias() {
        var text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for n in 1...8 { text += "l\(n): &l\(n) [" + Array(repeating: "*l\(n - 1)", count: 10).joined(separator: ", ") + "]\n" }
        for tail in ["? *l8\n: x\n", "actors: *l8\n"] {
            do {
                _ = try YAMLSupport.compose(text + tail, file: "x.yaml")
                Issue.record("no error")
            } catch {
                #expect(error.description.hasPrefix("x.yaml:6:"))  // l5: the alias that passes the limit
                #expect(error.message == "malformed YAML: its aliases expand the document to more than 1000000 nodes")
            }
        }
        #expect(throws: RigErrors.self) { try RigLoader.parse(yaml: text + "? *l8\n: x\n", file: "x.yaml") }
    }

    @Test func aliasesWithinTheLimitStillCompose() throws {
        let node = try YAMLSupport.compose("a: &a [1, 2, 3]\nb: *a\n? *a\n: c\nd: '*not an alias'\n", file: "x.yaml")
        #expect(node?.mapping?.count == 4)
        #expect(node?["b"]?.sequence?.count == 3)
    }

    @Test func emptyDocumentIsNil() throws {
        #expect(try YAMLSupport.compose("# nothing\n", file: "x.yaml") == nil)
    }

    @Test func typedGettersRecordErrorsAtTheNode() throws {
        let text = """
            name: abc
            count: 12
            flag: true
            wait: 1.5s
            list: [a, b]
            badCount: "12"
            badWait: 10
            badFlag: yes
            badList: 3
            empty:
            """
        let root = try #require(try YAMLSupport.compose(text, file: "t.yaml"))
        let reader = YAMLReader(file: "t.yaml")
        let keys = ["name", "count", "flag", "wait", "list", "badCount", "badWait", "badFlag", "badList", "empty"]
        let m = try #require(reader.mapping(root, what: "the test", keys: keys))
        #expect(reader.string(m["name"]!, what: "name") == "abc")
        #expect(reader.int(m["count"]!, what: "count") == 12)
        #expect(reader.bool(m["flag"]!, what: "flag") == true)
        #expect(reader.duration(m["wait"]!, what: "wait") == RigDuration(nanoseconds: 1_500_000_000))
        #expect(reader.list(m["list"]!, what: "list")?.count == 2)
        #expect(reader.errors.isEmpty)

        #expect(reader.int(m["badCount"]!, what: "badCount") == nil)
        #expect(reader.duration(m["badWait"]!, what: "badWait") == nil)
        #expect(reader.bool(m["badFlag"]!, what: "badFlag") == nil)
        #expect(reader.list(m["badList"]!, what: "badList") == nil)
        #expect(reader.string(m["empty"]!, what: "empty") == nil)
        #expect(reader.int(m["count"]!, what: "count", in: 0...10) == nil)
        #expect(
            reader.errors.map(\.description) == [
                "t.yaml:6:11: error: badCount must be a whole number, not '12'",
                "t.yaml:7:10: error: badWait: '10' needs a unit (ns, us, ms, s, m), e.g. 10ms",
                "t.yaml:8:10: error: badFlag must be true or false, not 'yes'",
                "t.yaml:9:10: error: badList must be a list, not '3'",
                "t.yaml:10:7: error: empty must be text, not nothing",
                "t.yaml:2:8: error: count must be in 0...10, not 12",
            ])
        #expect(reader.sortedErrors.first?.position.line == 2)
    }

    @Test func unknownKeysSuggestTheClosest() throws {
        let root = try #require(try YAMLSupport.compose("timout: 1s\nzzz: 2\nrole: x\n", file: "a.yaml"))
        let reader = YAMLReader(file: "a.yaml")
        let m = try #require(reader.mapping(root, what: "the actor", keys: ["name", "role", "timeout"]))
        #expect(m.entries.map(\.key) == ["role"])
        #expect(
            reader.errors.map(\.description) == [
                "a.yaml:1:1: error: unknown key 'timout' in the actor (did you mean 'timeout'?)",
                "a.yaml:2:1: error: unknown key 'zzz' in the actor (known: name, role, timeout)",
            ])
        _ = reader.required("name", in: m, what: "the actor")
        #expect(reader.errors.last?.description == "a.yaml:1:1: error: the actor needs 'name'")
    }

    @Test func suggestions() {
        #expect(YAMLSupport.suggestion(for: "instaler", among: ["installer", "ngen"]) == "installer")
        #expect(YAMLSupport.suggestion(for: "Timeout", among: ["timeout"]) == "timeout")
        #expect(YAMLSupport.suggestion(for: "xyz", among: ["timeout", "role"]) == nil)
        #expect(YAMLSupport.editDistance("kitten", "sitting") == 3)
        #expect(YAMLSupport.editDistance("strat", "start") == 1)
    }
}
