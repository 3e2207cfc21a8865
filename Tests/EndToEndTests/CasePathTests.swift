import Foundation
import TestSupport
import Testing

/// Windows paths are case-insensitive and case-preserving, through the built `rig` as a user
/// runs it: `rig fs`, `rig reg`, `rig machine show` and a whole rig.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct CasePathTests {
    let scratch = Scratch("machine-e2e")

    func rig(_ arguments: String...) -> ProcessOutcome { runRig(arguments) }

    @Test func fsCommandsTakeAnySpellingAndTheMachineKeepsItsOwn() throws {
        let m = scratch.path + "/m"
        #expect(rig("machine", "create", m, "--image", MachineE2E.image("netfx11.yaml")).status == 0)
        let opened = rig("fs", "open", m, "C:\\WINDOWS\\System32\\mscoree.dll", "--access", "read", "--share", "read")
        #expect(opened.status == 0, "\(opened)")
        #expect(rig("fs", "open", m, "c:\\windows\\system32\\MSCOREE.DLL", "--image").status == 0)
        // A copy through other spellings, then a case-only rename: the file takes the new case.
        let copied = rig(
            "fs", "open", m, "C:\\WINDOWS\\SYSTEM32\\Extra.Dll", "--access", "write", "--share", "none", "--disposition", "create-new")
        #expect(copied.status == 0, "\(copied)")
        let again = rig(
            "fs", "open", m, "c:\\windows\\system32\\EXTRA.DLL", "--access", "write", "--share", "none", "--disposition", "create-new")
        #expect(again.status == 80, "\(again)")
        #expect(again.stderr.contains("ERROR_FILE_EXISTS (80)"))
        let moved = rig("fs", "move", m, "c:\\windows\\system32\\extra.dll", "C:\\Windows\\System32\\EXTRA.dll")
        #expect(moved.status == 0, "\(moved)")

        let shown = rig("machine", "show", m, "--json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        let paths = try #require(json["files"] as? [[String: Any]]).compactMap { $0["path"] as? String }
        #expect(paths.contains("C:\\Windows\\System32\\mscoree.dll"))
        #expect(paths.contains("C:\\Windows\\System32\\EXTRA.dll"))
        #expect(paths.filter { $0.lowercased() == "c:\\windows\\system32\\extra.dll" } == ["C:\\Windows\\System32\\EXTRA.dll"])
        #expect(!paths.contains { $0.hasPrefix("C:\\WINDOWS") }, "\(paths)")
    }

    @Test func regCommandsTakeAnySpellingOfKeysAndValueNames() throws {
        let m = scratch.path + "/m"
        #expect(rig("machine", "create", m, "--image", MachineE2E.image("netfx11.yaml")).status == 0)
        #expect(rig("reg", "set", m, "HKLM\\SOFTWARE\\Über\\Größe", "Änderung", "--data", "eins").status == 0)
        let got = rig("reg", "get", m, "hklm\\software\\ÜBER\\GRößE", "äNDERUNG")
        #expect(got.status == 0 && got.stdout == "eins\n", "\(got)")
        #expect(rig("reg", "set", m, "HKLM\\Software\\über\\größe", "ÄNDERUNG", "--data", "zwei").status == 0)
        let dump = rig("reg", "dump", m, "HKLM\\SOFTWARE\\ÜBER")
        #expect(dump.stdout.contains("HKEY_LOCAL_MACHINE\\SOFTWARE\\Über\\Größe\n    Änderung    REG_SZ    zwei\n"), "\(dump)")
        #expect(!dump.stdout.contains("über") && !dump.stdout.contains("ÄNDERUNG"), "\(dump)")
    }

    /// A rig whose processes name mscoree.dll in three spellings works end to end.
    @Test func aRigLoadingThroughAnotherSpellingPasses() throws {
        let dir = temporaryDirectory()
        let outcome = execute(BuiltBinaries.rig, ["run", "Rigs/case-insensitive-paths.yaml", "--json", dir + "/r.json"])
        #expect(outcome.status == 0, "stdout: \(outcome.stdout)\nstderr: \(outcome.stderr)")
        let results = try readJSON(dir + "/r.json")
        let files = try #require((results["machine"] as? [String: Any])?["files"] as? [String: Any])
        #expect(files["C:\\Windows\\System32\\mscoree.dll"] as? String == "2.0.50727.42", "\(files.keys.sorted())")
        #expect(files.keys.allSatisfy { !$0.hasPrefix("C:\\WINDOWS") && !$0.hasPrefix("c:") })
    }
}
