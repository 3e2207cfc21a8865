import Machine
import Servicing
import Testing
import WinFS
import WindowsModel

/// NetFxUpdate's command lines, work items, takeover of RunOnce entries, work-list bookkeeping
/// and the decision to remove its service.
@Suite struct NetFxUpdateTests {
    let program = "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\netfxupdate.exe"

    @Test func workItemsReadAndWriteBothKinds() throws {
        #expect(try NetFxUpdateWorkItem(parsing: "ngen System.Web") == .ngen("System.Web"))
        #expect(try NetFxUpdateWorkItem(parsing: "  NGEN   mscorlib ") == .ngen("mscorlib"))
        let gac = try NetFxUpdateWorkItem(parsing: "gac C:\\Program Files\\App\\Lib.dll")
        #expect(gac == .gac(winPath("C:\\Program Files\\App\\Lib.dll")))
        #expect(gac.description == "gac C:\\Program Files\\App\\Lib.dll")
        #expect(NetFxUpdateWorkItem.ngen("System").description == "ngen System")
    }

    @Test func malformedWorkItemsSayWhatIsWrong() {
        for (text, says) in [
            ("ngen", "expected 'ngen <Assembly>'"), ("copy C:\\x.dll", "unknown kind 'copy'"),
            ("gac C:\\..\\x.dll", "work item 'gac C:\\..\\x.dll'"), ("", "expected"),
        ] {
            #expect {
                _ = try NetFxUpdateWorkItem(parsing: text)
            } throws: { error in
                "\(error)".contains(says)
            }
        }
    }

    @Test func runOnceCommandLinesParseIntoWork() throws {
        let command = try NetFxUpdateCommand(arguments: ["/ngen:System, System.Web;System", "-GAC:C:\\a.dll,C:\\b.dll", "/q"])
        #expect(!command.service)
        #expect(command.assemblies == ["System", "System.Web"])
        #expect(command.gacFiles == [winPath("C:\\a.dll"), winPath("C:\\b.dll")])
        #expect(command.ignored == ["/q"])
        #expect(try NetFxUpdateCommand(arguments: ["/Service"]).service)
        // The whole line as stored, with a quoted program path.
        let quoted = try NetFxUpdateCommand(commandLine: "\"\(program)\" /ngen:mscorlib")
        #expect(quoted.work == [.ngen("mscorlib")])
    }

    @Test func emptyListsAndBadPathsAreRefused() {
        #expect(throws: NetFxUpdateError.self) { try NetFxUpdateCommand(arguments: ["/ngen:"]) }
        #expect(throws: NetFxUpdateError.self) { try NetFxUpdateCommand(arguments: ["/gac:,"]) }
        #expect(throws: NetFxUpdateError.self) { try NetFxUpdateCommand(arguments: ["/gac:D:\\x.dll"]) }
    }

    @Test func theInstallersCommandLineRoundTrips() throws {
        let line = NetFxUpdateKeys.runOnceCommand(ngen: ["System", "System.Web"], gac: [winPath("C:\\Windows\\x.dll")])
        #expect(line == "\(program) /ngen:System,System.Web /gac:C:\\Windows\\x.dll")
        let parsed = try NetFxUpdateCommand(commandLine: line)
        #expect(parsed.work == [.ngen("System"), .ngen("System.Web"), .gac(winPath("C:\\Windows\\x.dll"))])
        #expect(try NetFxUpdateCommand(commandLine: NetFxUpdateKeys.serviceCommand).service)
        #expect(NetFxUpdateKeys.runOnceValueName(patch: "KB886903") == "NetFxUpdate_KB886903")
    }

    @Test func theServiceTakesOverOnlyRunOnceEntriesThatRunNetFxUpdateWithWork() {
        let values: [(name: String, command: String)] = [
            ("NetFxUpdate_KB1", "\(program) /ngen:System.Web"),
            ("Other", "C:\\Windows\\notepad.exe /ngen:System"),
            ("NetFxUpdate_service", "\(program) /service"),
            ("NetFxUpdate_nothing", "\(program) /q"),
            ("Old", "\"C:\\WINNT\\Microsoft.NET\\Framework\\v1.0.3705\\NetFxUpdate.EXE\" /NGEN:mscorlib /gac:C:\\l.dll"),
            ("Broken", "\(program) /ngen:"),
        ]
        let taken = NetFxUpdateWork.takeovers(runOnce: values)
        #expect(taken.map(\.name) == ["NetFxUpdate_KB1", "Old"])
        #expect(taken[0].work == [.ngen("System.Web")])
        #expect(taken[1].work == [.ngen("mscorlib"), .gac(winPath("C:\\l.dll"))])
    }

    @Test func mergingAddsOnlyWorkNotAlreadyQueued() {
        let current = ["ngen System", "NGEN mscorlib"]
        let merged = NetFxUpdateWork.merging([.ngen("mscorlib"), .ngen("System.Web"), .ngen("System.Web")], into: current)
        #expect(merged == ["ngen System", "NGEN mscorlib", "ngen System.Web"])
    }

    @Test func removingFinishedWorkKeepsWhatWasAddedMeanwhile() {
        // The service read [A, B, A]; it finished A and B; meanwhile an install appended A and C.
        let current = ["ngen A", "ngen B", "ngen A", "ngen A", "ngen C"]
        #expect(NetFxUpdateWork.removing(["ngen A", "ngen B"], from: current) == ["ngen A", "ngen A", "ngen C"])
        #expect(NetFxUpdateWork.removing(["ngen Z"], from: current) == current)
        // What is still to run in this pass after attempting the first three (one failed).
        #expect(NetFxUpdateWork.pending(current, attempted: ["ngen A", "ngen B", "ngen A"]) == ["ngen A", "ngen C"])
    }

    @Test func theServiceRemovesItselfOnlyWhenNothingIsLeft() {
        #expect(NetFxUpdateWork.serviceDecision(remainingWork: [], runOnce: []) == .remove)
        // Unrelated RunOnce entries do not keep it.
        #expect(NetFxUpdateWork.serviceDecision(remainingWork: [], runOnce: [("X", "C:\\x.exe")]) == .remove)
        guard case .keep(let why) = NetFxUpdateWork.serviceDecision(remainingWork: ["ngen System"], runOnce: []) else {
            Issue.record("failed work must keep the service")
            return
        }
        #expect(why.contains("ngen System"))
        guard
            case .keep(let waiting) = NetFxUpdateWork.serviceDecision(
                remainingWork: [], runOnce: [("NetFxUpdate_KB2", "\(program) /ngen:System")])
        else {
            Issue.record("a RunOnce entry to take over must keep the service")
            return
        }
        #expect(waiting.contains("NetFxUpdate_KB2"))
    }

    @Test func gacDestinationsNameTheAssemblysIdentityNotItsFile() throws {
        let lib = AssemblyDefinition(
            name: "Lib", file: winPath("C:\\Program Files\\App\\Lib.dll"), version: version("1.2.0.0"),
            publicKeyToken: "0123456789abcdef")
        let web = AssemblyDefinition(
            name: "System.Web", file: winPath("C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\System.Web.dll"),
            version: version("1.0.5000.0"))
        let system = AssemblyDefinition(
            name: "System", file: winPath("C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\System.dll"),
            version: version("1.0.5000.0"))
        let catalog = AssemblyCatalog(assemblies: [lib, web, system], nativeImages: NativeImageSet())
        // Name, then version, culture (empty: neutral) and public key token; the file's name.
        #expect(
            try GlobalAssemblyCache.destination(of: winPath("C:\\program files\\app\\LIB.DLL"), catalog: catalog).description
                == "C:\\Windows\\assembly\\GAC\\Lib\\1.2.0.0__0123456789abcdef\\Lib.dll")
        #expect(
            try GlobalAssemblyCache.destination(of: web.file, catalog: catalog).description
                == "C:\\Windows\\assembly\\GAC\\System.Web\\1.0.5000.0__b03f5f7f11d50a3a\\System.Web.dll")
        #expect(
            GlobalAssemblyCache.path(of: system).description
                == "C:\\Windows\\assembly\\GAC\\System\\1.0.5000.0__b77a5c561934e089\\System.dll")
        var french = lib
        french.culture = "fr"
        #expect(GlobalAssemblyCache.identityFolder(of: french) == "1.2.0.0_fr_0123456789abcdef")
        // A file the catalog does not know has no identity: Fusion cannot install it.
        #expect(throws: MachineError.self) {
            try GlobalAssemblyCache.destination(of: winPath("C:\\x\\data.bin"), catalog: catalog)
        }
    }
}
