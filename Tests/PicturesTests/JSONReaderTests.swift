import Testing

@testable import Pictures

@Suite struct JSONReaderTests {
    @Test func valuesKeepTheirOrderAndExactNumbers() throws {
        let value = try JSONReader.parse(#" {"b": [1, -2.5e3, true, null], "a": {"seed": 18446744073709551615, "t": "x"}} "#)
        #expect(value.members?.map(\.0) == ["b", "a"])
        #expect(value["b"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .null]))
        #expect(value["a"]?["seed"]?.unsigned == UInt64.max)
        #expect(value["a"]?["seed"]?.int == nil, "beyond Int64")
        #expect(value["a"]?["t"]?.string == "x")
        #expect(value["missing"] == nil)
    }

    @Test func stringsUnescape() throws {
        let value = try JSONReader.parse(#"["a\"b\\c\/d\n\t\u00e9\ud83d\ude00", "plain é"]"#)
        #expect(value.array?.compactMap(\.string) == ["a\"b\\c/d\n\té😀", "plain é"])
        // A lone high surrogate becomes U+FFFD rather than breaking the text.
        #expect(try JSONReader.parse(#""\ud83dx""#).string == "\u{FFFD}x")
    }

    @Test func aTruncatedTextSaysSoWithItsPosition() {
        for text in ["{\"a\": [1, 2", "{\"a\": \"unfinished", "{\"a\"", "[tru", "{\"a\": 1,\n  "] {
            #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(text) }
            do { _ = try JSONReader.parse(text) } catch {
                #expect(error.truncated, "\(text)")
                #expect(error.description.hasSuffix("(the file is truncated?)"))
            }
        }
        do { _ = try JSONReader.parse("{\"a\": 1,\n  ") } catch {
            #expect(error.line == 2)
            #expect(error.column == 3)
        }
    }

    @Test func malformedTextIsNotCalledTruncated() {
        for (text, message) in [
            ("{\"a\" 1}", "expected ':' after a member name"), ("[1 2]", "expected ',' or ']' in a list"),
            ("[1] x", "more text after the JSON value"),
            ("{\"a\": 01x}", "expected ',' or '}' in an object"), ("\"\\q\"", "an unknown escape '\\q'"), ("-x", "a number without digits"),
        ] {
            do {
                _ = try JSONReader.parse(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(!error.truncated, "\(text)")
                #expect(error.message == message, "\(text)")
            }
        }
    }

    @Test func microsecondsAreReadAsExactNanoseconds() {
        #expect(JSONValue.number("1234.567").microsecondsAsNanoseconds == 1_234_567)
        #expect(JSONValue.number("2").microsecondsAsNanoseconds == 2_000)
        #expect(JSONValue.number("1.05").microsecondsAsNanoseconds == 1_050)
        #expect(JSONValue.number("-1.5").microsecondsAsNanoseconds == -1_500)
        #expect(JSONValue.number("1.2345").microsecondsAsNanoseconds == nil, "finer than a nanosecond")
        #expect(JSONValue.number("1e3").microsecondsAsNanoseconds == nil)
        #expect(JSONValue.string("1").microsecondsAsNanoseconds == nil)
    }
}
