import TestSupport
import Testing
import WindowsModel

@testable import Registry

/// Key paths and value names are case-insensitive and case-preserving, for every letter — not
/// only the ASCII ones SQLite's NOCASE folds.
@Suite struct RegistryCaseTests {
    let directory = Scratch("registry-test")

    @Test func keysAndValueNamesOfAnyLetterMatchIgnoringCaseAndKeepTheirCase() throws {
        let registry = try Registry(machineDirectory: directory.path)
        try registry.setValue("HKLM\\SOFTWARE\\Über\\Größe", "Änderung", .string("eins"))
        #expect(try registry.value("hklm\\software\\ÜBER\\GRößE", "äNDERUNG") == .string("eins"))
        #expect(try registry.keyExists(RegistryKeyPath("HKLM\\Software\\über")))

        // Writing through other spellings changes the one value; names keep their first case.
        try registry.setValue("HKLM\\Software\\über\\größe", "ÄNDERUNG", .string("zwei"))
        try registry.appendMultiString("HKLM\\SOFTWARE\\ÜBER", "Liste", ["a"])
        try registry.appendMultiString("HKLM\\SOFTWARE\\über", "LISTE", ["b"])
        #expect(try registry.subkeys(of: RegistryKeyPath("HKLM\\SOFTWARE")) == ["Über"])
        #expect(try registry.subkeys(of: RegistryKeyPath("HKLM\\SOFTWARE\\ÜBER")) == ["Größe"])
        let values = try #require(try registry.values(of: RegistryKeyPath("HKLM\\SOFTWARE\\Über\\Größe")))
        #expect(values.map(\.name) == ["Änderung"])
        #expect(values.first?.value == .string("zwei"))
        #expect(try registry.value("HKLM\\SOFTWARE\\Über", "liste") == .multiString(["a", "b"]))

        #expect(try registry.deleteValue(RegistryKeyPath("HKLM\\SOFTWARE\\ÜBER\\GRÖSSE"), "änderung") == false)  // ß is not SS
        #expect(try registry.deleteValue(RegistryKeyPath("HKLM\\SOFTWARE\\über\\GRößE"), "änderung"))
        #expect(try registry.value("HKLM\\SOFTWARE\\Über\\Größe", "Änderung") == nil)
        #expect(try registry.deleteKey(RegistryKeyPath("hklm\\software\\ÜBER")))
        #expect(try registry.subkeys(of: RegistryKeyPath("HKLM\\SOFTWARE")) == [])
    }

    @Test func namesCompareOneCharacterToOne() {
        #expect(RegistryKeyPath.namesMatch("Größe", "GRÖßE"))
        #expect(!RegistryKeyPath.namesMatch("Größe", "GRÖSSE"))
        #expect(RegistryKeyPath.namesMatch("RunOnce", "RUNONCE"))
    }
}
