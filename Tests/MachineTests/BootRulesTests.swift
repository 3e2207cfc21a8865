import Machine
import Registry
import Testing
import WindowsModel

@Suite struct BootCommandTests {
    @Test func programNamesTheRole() {
        let command = BootCommand("C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\NetFxUpdate.exe /q /ngen")
        #expect(command.program == "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\NetFxUpdate.exe")
        #expect(command.role == "netfxupdate")
        #expect(command.arguments == ["/q", "/ngen"])
    }

    @Test func quotesGroupSpaces() {
        let command = BootCommand("\"C:\\Program Files\\App\\append.exe\" \"C:\\Program Files\\log.txt\" two words")
        #expect(command.program == "C:\\Program Files\\App\\append.exe")
        #expect(command.role == "append")
        #expect(command.arguments == ["C:\\Program Files\\log.txt", "two", "words"])
        #expect(command.workerParameters(machine: "/m").map(\.name) == ["machine", "command", "arg1", "arg2", "arg3"])
    }

    @Test func programWithoutExtensionOrPath() {
        #expect(BootCommand("ngen install x").role == "ngen")
        #expect(BootCommand("").role == "")
    }
}

@Suite struct StartupRulesTests {
    let entries = [
        StartupEntry(hive: .localMachine, kind: .runOnce, name: "NetFxUpdate", command: "netfxupdate.exe"),
        StartupEntry(hive: .localMachine, kind: .runOnce, name: "!Gac", command: "gacinstall.exe"),
        StartupEntry(hive: .localMachine, kind: .run, name: "Tray", command: "tray.exe"),
        StartupEntry(hive: .currentUser, kind: .runOnce, name: "Welcome", command: "welcome.exe"),
        StartupEntry(hive: .currentUser, kind: .run, name: "Mail", command: "mail.exe"),
    ]

    @Test func nothingRunsWithoutALogon() {
        #expect(StartupRules.plan(entries, logon: .none).isEmpty)
    }

    @Test func hklmRunOnceRunsOnlyForAnAdministrator() {
        #expect(StartupRules.plan(entries, logon: .user).map(\.entry.name) == ["Tray", "Mail", "Welcome"])
        #expect(StartupRules.plan(entries, logon: .admin).map(\.entry.name) == ["NetFxUpdate", "!Gac", "Tray", "Mail", "Welcome"])
    }

    @Test func runOnceIsWaitedForAndDeletedBeforeUnlessBang() {
        let plan = StartupRules.plan(entries, logon: .admin)
        let byName = Dictionary(uniqueKeysWithValues: plan.map { ($0.entry.name, $0) })
        #expect(byName["NetFxUpdate"]?.waitForExit == true)
        #expect(byName["NetFxUpdate"]?.deletion == .beforeRunning)
        #expect(byName["!Gac"]?.deletion == .afterSuccess)
        #expect(byName["Tray"]?.waitForExit == false)
        #expect(byName["Tray"]?.deletion == nil)
        #expect(byName["Welcome"]?.key.description == "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce")
        #expect(StartupRules.deletion(forRunOnce: "!x") == .afterSuccess)
        #expect(StartupRules.deletion(forRunOnce: "x!") == .beforeRunning)
    }

    @Test func entriesAndServicesAreReadFromTheRegistry() throws {
        let machine = try BootTestMachine(profile: "nt")
        let registry = try machine.registry()
        let hklmRunOnce = WindowsKeys.startup(.localMachine, .runOnce)
        try registry.setValue(hklmRunOnce, "B", .string("b.exe"))
        try registry.setValue(hklmRunOnce, "A", .string("a.exe"))
        try registry.setValue(hklmRunOnce, "NotText", .dword(1))
        try registry.setValue(WindowsKeys.startup(.currentUser, .run), "C", .string("c.exe"))
        // Value order is the order they were set, as RegEnumValue returns them.
        #expect(try StartupRules.entries(in: registry).map(\.name) == ["B", "A", "C"])

        for (name, start) in [("auto", UInt32(2)), ("demand", 3), ("disabled", 4)] {
            try registry.setValue(WindowsKeys.services.appending(name), "Start", .dword(start))
            try registry.setValue(WindowsKeys.services.appending(name), "ImagePath", .string("C:\\\(name).exe -k"))
        }
        try registry.setValue(WindowsKeys.services.appending("noimage"), "Start", .dword(2))
        let services = try BootServices.autoStartServices(in: registry, profile: .nt)
        #expect(services.map(\.name) == ["auto"])
        #expect(services.first?.command.role == "auto")
        // Windows 9x has no service control manager: the same registry starts nothing.
        #expect(try BootServices.autoStartServices(in: registry, profile: .win9x).isEmpty)
    }
}
