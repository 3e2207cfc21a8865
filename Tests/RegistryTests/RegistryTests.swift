import Glibc
import TestSupport
import Testing
import WindowsModel

@testable import Registry

@Suite struct RegistryKeyPathTests {
    @Test func parsesRootsInEveryAcceptedSpelling() throws {
        #expect(try RegistryKeyPath("HKLM\\SYSTEM").root == .localMachine)
        #expect(try RegistryKeyPath("hkey_local_machine\\SYSTEM").root == .localMachine)
        #expect(try RegistryKeyPath("HKCU\\Software").root == .currentUser)
        #expect(try RegistryKeyPath("HKEY_CURRENT_USER\\Software\\").components == ["Software"])
        #expect(try RegistryKeyPath("HKLM").components == [])
    }

    @Test func refusesBadKeys() {
        #expect(throws: RegistryError.self) { try RegistryKeyPath("HKCR\\x") }
        #expect(throws: RegistryError.self) { try RegistryKeyPath("SOFTWARE\\x") }
        #expect(throws: RegistryError.self) { try RegistryKeyPath("HKLM\\a\\\\b") }
        #expect(throws: RegistryError.self) { try RegistryKeyPath("") }
    }

    @Test func comparesWithoutCase() throws {
        #expect(try RegistryKeyPath("HKLM\\Software\\X") == RegistryKeyPath("hkey_local_machine\\SOFTWARE\\x"))
        #expect(try RegistryKeyPath("HKLM\\Software\\X").description == "HKLM\\Software\\X")
    }
}

@Suite struct RegistryTests {
    let directory = Scratch("registry-test")

    @Test func storesEachTypeAndReadsItBack() throws {
        let registry = try Registry(machineDirectory: directory.path)
        let key = "HKLM\\SOFTWARE\\PatchRig\\Test"
        try registry.setValue(key, "Text", .string("hello world"))
        try registry.setValue(key, "List", .multiString(["a", "", "c"]))
        try registry.setValue(key, "Empty", .multiString([]))
        try registry.setValue(key, "Number", .dword(0xFFFF_FFFE))
        try registry.setValue(key, "", .string("default"))

        #expect(try registry.value(key, "Text") == .string("hello world"))
        #expect(try registry.value(key, "List") == .multiString(["a", "", "c"]))
        #expect(try registry.value(key, "Empty") == .multiString([]))
        #expect(try registry.value(key, "Number") == .dword(0xFFFF_FFFE))
        #expect(try registry.value(key, "") == .string("default"))
        #expect(try registry.value(key, "Missing") == nil)
        #expect(try registry.value("HKLM\\SOFTWARE\\Nope", "Text") == nil)

        // Another connection (as another process would) sees the same values.
        let other = try Registry(machineDirectory: directory.path)
        #expect(try other.values(of: RegistryKeyPath(key))?.map(\.name) == ["Text", "List", "Empty", "Number", ""])
    }

    @Test func keysAndValueNamesIgnoreCaseButKeepIt() throws {
        let registry = try Registry(machineDirectory: directory.path)
        try registry.setValue("HKLM\\Software\\Microsoft\\Windows", "Version", .string("5.1"))
        try registry.setValue("hklm\\SOFTWARE\\MICROSOFT\\windows", "VERSION", .string("5.2"))
        #expect(try registry.value("HKEY_LOCAL_MACHINE\\software\\microsoft\\WINDOWS", "version") == .string("5.2"))
        // The first spelling of each key and value name is kept.
        #expect(try registry.subkeys(of: RegistryKeyPath("HKLM")) == ["Software"])
        #expect(try registry.subkeys(of: RegistryKeyPath("HKLM\\SOFTWARE")) == ["Microsoft"])
        #expect(try registry.values(of: RegistryKeyPath("HKLM\\software\\microsoft\\windows"))?.map(\.name) == ["Version"])
        // HKCU is a different hive.
        #expect(try registry.value("HKCU\\Software\\Microsoft\\Windows", "Version") == nil)
    }

    @Test func replacingAValueChangesItsTypeAndKeepsItsPlace() throws {
        let registry = try Registry(machineDirectory: directory.path)
        let key = "HKLM\\K"
        try registry.setValue(key, "a", .dword(1))
        try registry.setValue(key, "b", .dword(2))
        try registry.setValue(key, "A", .string("now text"))
        let values = try #require(try registry.values(of: RegistryKeyPath(key)))
        #expect(values.map(\.name) == ["a", "b"])
        #expect(values.map(\.value) == [.string("now text"), .dword(2)])
    }

    @Test func deletesValuesAndKeysWithTheirSubkeys() throws {
        let registry = try Registry(machineDirectory: directory.path)
        try registry.setValue("HKLM\\A\\B\\C", "x", .dword(1))
        try registry.setValue("HKLM\\A\\B", "y", .dword(2))
        try registry.setValue("HKLM\\A\\D", "z", .dword(3))
        try registry.setValue("HKLM\\AB", "w", .dword(4))

        #expect(try registry.deleteValue(RegistryKeyPath("HKLM\\A\\D"), "Z"))
        #expect(try !registry.deleteValue(RegistryKeyPath("HKLM\\A\\D"), "z"))
        #expect(try registry.keyExists(RegistryKeyPath("HKLM\\A\\D")))

        #expect(try registry.deleteKey(RegistryKeyPath("hklm\\a\\b")))
        #expect(try !registry.keyExists(RegistryKeyPath("HKLM\\A\\B\\C")))
        #expect(try !registry.keyExists(RegistryKeyPath("HKLM\\A\\B")))
        #expect(try registry.keyExists(RegistryKeyPath("HKLM\\A")))
        #expect(try registry.value("HKLM\\AB", "w") == .dword(4))
        #expect(try !registry.deleteKey(RegistryKeyPath("HKLM\\A\\B")))
        // No value of a deleted key survives to reappear when the key is created again.
        try registry.createKey(RegistryKeyPath("HKLM\\A\\B\\C"))
        #expect(try registry.values(of: RegistryKeyPath("HKLM\\A\\B\\C"))?.isEmpty == true)
        #expect(throws: RegistryError.self) { try registry.deleteKey(RegistryKeyPath("HKLM")) }
    }

    @Test func updateIsReadModifyWriteAndNilDeletes() throws {
        let registry = try Registry(machineDirectory: directory.path)
        let key = try RegistryKeyPath("HKLM\\Counter")
        for _ in 0..<5 {
            try registry.update(key, "n") { old in .dword((old?.dwordValue ?? 0) + 1) }
        }
        #expect(try registry.value(key, "n") == .dword(5))
        try registry.update(key, "n") { _ in nil }
        #expect(try registry.value(key, "n") == nil)
    }

    @Test func aThrowingTransactionChangesNothing() throws {
        struct Stop: Error {}
        let registry = try Registry(machineDirectory: directory.path)
        try registry.setValue("HKLM\\T", "v", .dword(1))
        #expect(throws: Stop.self) {
            try registry.transaction { r in
                try r.setValue("HKLM\\T", "v", .dword(2))
                try r.setValue("HKLM\\T\\New", "w", .dword(3))
                throw Stop()
            }
        }
        #expect(try registry.value("HKLM\\T", "v") == .dword(1))
        #expect(try !registry.keyExists(RegistryKeyPath("HKLM\\T\\New")))
    }

    @Test func appendMultiStringAppendsAndRefusesOtherTypes() throws {
        let registry = try Registry(machineDirectory: directory.path)
        let key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"
        #expect(try registry.appendMultiString(key, "PendingFileRenameOperations", ["\\??\\C:\\a", ""]) == 2)
        #expect(try registry.appendMultiString(key, "PendingFileRenameOperations", ["\\??\\C:\\b", "!\\??\\C:\\c"]) == 4)
        #expect(
            try registry.value(key, "PendingFileRenameOperations")
                == .multiString(["\\??\\C:\\a", "", "\\??\\C:\\b", "!\\??\\C:\\c"]))
        try registry.setValue(key, "Text", .string("x"))
        #expect(throws: RegistryError.self) { try registry.appendMultiString(key, "Text", ["y"]) }
        #expect(throws: RegistryError.self) { try registry.setValue(key, "Bad", .multiString(["a\u{0}b"])) }
    }

    @Test func dumpLooksLikeRegQuery() throws {
        let registry = try Registry(machineDirectory: directory.path)
        try registry.setValue("HKLM\\Software\\b", "S", .string("text"))
        try registry.setValue("HKLM\\Software\\A", "", .multiString(["x", "y"]))
        try registry.setValue("HKCU\\Env", "D", .dword(26))
        let expected = """
            HKEY_LOCAL_MACHINE

            HKEY_LOCAL_MACHINE\\Software

            HKEY_LOCAL_MACHINE\\Software\\A
                (Default)    REG_MULTI_SZ    x\\0y

            HKEY_LOCAL_MACHINE\\Software\\b
                S    REG_SZ    text

            HKEY_CURRENT_USER

            HKEY_CURRENT_USER\\Env
                D    REG_DWORD    0x1a


            """
        #expect(try registry.dump() == expected)
        #expect(try registry.dump(RegistryKeyPath("HKCU\\env")) == "HKEY_CURRENT_USER\\Env\n    D    REG_DWORD    0x1a\n\n")
    }

    @Test func aCorruptDatabaseIsAnErrorNamingTheFile() throws {
        directory.write("registry.db", String(repeating: "this is not a SQLite database\n", count: 200))
        do {
            _ = try Registry(machineDirectory: directory.path)
            Issue.record("opening a corrupt registry succeeded")
        } catch {
            #expect(error.description.contains(directory.path + "/registry.db"))
            #expect(error.description.contains("not a database"))
            guard case .sqlite(let call, _, _, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(call.hasPrefix("sqlite3_"))
        }
    }

    @Test func aMissingMachineDirectoryIsNotCreated() throws {
        let missing = directory.path + "/no/such/dir"
        #expect(throws: RegistryError.self) { try Registry(machineDirectory: missing) }
        #expect(access(directory.path + "/no", F_OK) != 0)
    }

    /// `allValues` gives what walking key by key gives: depth-first, subkeys in name order
    /// ignoring case, values in the order first set, names as stored.
    @Test func allValuesWalksTheTreeInOneRead() throws {
        let registry = try Registry(machineDirectory: directory.path)
        try registry.setValue("HKLM\\Software\\b", "z", .dword(1))
        try registry.setValue("HKLM\\Software\\B2", "y", .string("two"))
        try registry.setValue("HKLM\\Software\\a\\Deep", "", .string("default"))
        try registry.setValue("HKLM\\Software\\a", "second", .dword(2))
        try registry.setValue("HKLM\\Software\\a", "First", .dword(3))
        try registry.setValue("HKLM\\SOFTWARE\\A", "SECOND", .dword(4))
        try registry.createKey(RegistryKeyPath("HKLM\\Empty"))
        try registry.setValue("HKCU\\Environment", "TEMP", .multiString(["a", "b"]))
        var walked: [(key: String, name: String, value: RegistryValue)] = []
        func walk(_ key: RegistryKeyPath) throws {
            for (name, value) in try registry.values(of: key) ?? [] { walked.append((key.description, name, value)) }
            for sub in (try registry.subkeys(of: key) ?? []).sorted(by: { $0.lowercased() < $1.lowercased() }) {
                try walk(key.appending(sub))
            }
        }
        for root in [RegistryRoot.localMachine, .currentUser] { try walk(RegistryKeyPath(root: root)) }
        let all = try registry.allValues(under: [.localMachine, .currentUser])
        #expect(all.map { "\($0.key) \($0.name)=\($0.value)" } == walked.map { "\($0.key) \($0.name)=\($0.value)" })
        #expect(all.map(\.name).prefix(3) == ["second", "First", ""])
        #expect(try registry.allValues(under: [.currentUser]).map(\.name) == ["TEMP"])
    }
}
