import Foundation
import RigModel
import Testing
import WindowsModel
import Wire

@testable import Report

/// The `registry`, `exactly_one` and `operations` expectations, judged against histories built
/// by hand: each holds on one and fails on another.
@Suite struct NewExpectationTests {
    static let key = "HKLM\\SOFTWARE\\Microsoft\\Updates\\KB1"

    private func history(_ expect: String, snapshot: MachineSnapshot? = MachineSnapshot(), actors: [ActorRecord] = []) throws -> RunHistory
    {
        let yaml = """
            machine:
            actors:
              - {name: a, role: script}
              - {name: b, role: script}
            expect:
            \(expect)
            """
        let rig = try RigLoader.parse(yaml: yaml, file: "r.yaml")
        var history = RunHistory(rig: rig, seed: 1, startNs: 0, endNs: 10, coordinatorPid: 1, actors: actors)
        history.machine = snapshot
        return history
    }

    private func exited(_ name: String, _ code: Int32, report: Int32? = nil) -> ActorRecord {
        var record = ActorRecord(name: name, role: "script")
        record.pid = 100
        record.termination = .exited(code: code)
        if let report { record.exitReport = ExitReport(code: report, ns: 5) }
        return record
    }

    @Test func registryValuesAreJudgedAgainstTheRegistryAtTheEnd() throws {
        var snapshot = MachineSnapshot()
        snapshot.registry = [
            (Self.key, "Installed", .dword(1)), (Self.key, "", .string("KB1")),
            (Self.key, "Files", .multiString(["a", "b"])),
        ]
        let expect = """
              registry:
                'hklm\\software\\microsoft\\updates\\kb1': {installed: {dword: 1}, (Default): KB1, Files: {multi_sz: [a, b]}, Gone: absent}
            """
        let holding = Checks.evaluate(try history(expect, snapshot: snapshot))
        #expect(holding.allSatisfy { $0.passed }, "\(holding)")
        #expect(
            holding.map(\.text) == [
                "registry value HKLM\\software\\microsoft\\updates\\kb1\\installed is REG_DWORD 1",
                "registry value HKLM\\software\\microsoft\\updates\\kb1\\(Default) is REG_SZ 'KB1'",
                "registry value HKLM\\software\\microsoft\\updates\\kb1\\Files is REG_MULTI_SZ ['a', 'b']",
                "registry value HKLM\\software\\microsoft\\updates\\kb1\\Gone is absent",
            ])
        // The same values, other data: every one fails, saying what was there.
        snapshot.registry = [
            (Self.key, "Installed", .string("1")), (Self.key, "Files", .multiString(["a"])), (Self.key, "Gone", .dword(0)),
        ]
        let failing = Checks.evaluate(try history(expect, snapshot: snapshot))
        #expect(failing.map(\.passed) == [false, false, false, false])
        #expect(failing.map(\.detail) == ["REG_SZ '1'", "absent", "REG_MULTI_SZ ['a']", "REG_DWORD 0"])
    }

    @Test func exactlyOneOfSeveralExits() throws {
        let expect = "  exactly_one: [{of: [a, b], exits: [1618, 1603]}]"
        let one = Checks.evaluate(try history(expect, actors: [exited("a", 0), exited("b", 82, report: 1618)]))
        #expect(one.map(\.passed) == [true])
        #expect(one.first?.text == "exactly one of a, b exits with 1618 or 1603")
        #expect(one.first?.detail == "a: exited with code 0; b: exited with code 1618 (process status 82)")
        let both = Checks.evaluate(try history(expect, actors: [exited("a", 82, report: 1618), exited("b", 67, report: 1603)]))
        #expect(both.map(\.passed) == [false])
        let none = Checks.evaluate(try history(expect, actors: [exited("a", 0)]))
        #expect(none.map(\.passed) == [false])
        #expect(none.first?.detail == "a: exited with code 0; b: never started")
    }

    @Test func anOperationHappenedOrNot() throws {
        var ngen = ActorRecord(name: "a/ngen-System.Web", role: "ngen")
        ngen.events = [
            Event(
                startNs: 1, endNs: 2, op: "load", args: [Argument("path", "C:\\Windows\\mscorwks.dll")],
                result: .failed(code: 32, name: "ERROR_SHARING_VIOLATION", detail: "")),
            Event(
                startNs: 3, endNs: 4, op: "ngen", args: [Argument("assembly", "System.Web")],
                result: .failed("failed to load mscorwks.dll: ERROR_SHARING_VIOLATION (32)", code: 32)),
        ]
        var other = ActorRecord(name: "b", role: "script")
        other.events = [Event(startNs: 1, endNs: 2, op: "load", args: [Argument("path", "C:\\Windows\\x.dll")], result: .ok)]
        let expect = """
              operations:
                - {result: failed to load mscorwks.dll}
                - {process: a, op: load, args: {path: 'c:\\windows\\MSCORWKS.DLL'}, result: ERROR_SHARING_VIOLATION}
                - {process: b, result: ERROR_SHARING_VIOLATION, count: 0}
                - {op: load, count: 2}
                - {result: ERROR_SHARING}
                - {process: b, op: ngen}
                - {op: load, count: 1}
            """
        let results = Checks.evaluate(try history(expect, actors: [ngen, other]))
        #expect(results.map(\.passed) == [true, true, true, true, false, false, false], "\(results)")
        #expect(results[0].text == "some process had an operation with result 'failed to load mscorwks.dll'")
        #expect(
            results[1].text
                == "a (or a process it started) had a load with path=c:\\windows\\MSCORWKS.DLL and result 'ERROR_SHARING_VIOLATION'")
        #expect(results[2].text == "b (or a process it started) had no operation with result 'ERROR_SHARING_VIOLATION'")
        #expect(
            results[0].detail
                == "1 seen: a/ngen-System.Web: ngen assembly=System.Web → failed to load mscorwks.dll: ERROR_SHARING_VIOLATION (32)")
        #expect(results[5].detail == "no such operation")
        #expect(results[6].detail.hasPrefix("2 seen: "))
    }

    @Test func theResultsRecordCarriesTheRegistry() throws {
        var snapshot = MachineSnapshot()
        snapshot.registry = [(Self.key, "Installed", .dword(1)), (Self.key, "Files", .multiString(["a", "b"]))]
        let json = ResultsWriter.json(try history("  pending_renames: 0", snapshot: snapshot))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let registry = (object?["machine"] as? [String: Any])?["registry"] as? [[String: Any]]
        #expect(registry?.count == 2)
        #expect(registry?.first?["key"] as? String == Self.key)
        #expect(registry?.first?["type"] as? String == "REG_DWORD")
        #expect(registry?.first?["data"] as? Int == 1)
        #expect(registry?.last?["data"] as? [String] == ["a", "b"])
    }
}
