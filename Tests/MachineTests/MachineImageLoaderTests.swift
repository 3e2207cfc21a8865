import Machine
import Registry
import RigModel
import Testing
import WindowsModel

@Suite struct MachineImageLoaderTests {
    /// The error lines decoding `text` as `bad.yaml` gives (empty when it decodes).
    func errors(_ text: String) -> [String] {
        do {
            _ = try MachineImageLoader.decode(text, file: "bad.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func netfx11Decodes() throws {
        let image = try MachineImageLoader.load(file: repositoryImage("netfx11.yaml"))
        #expect(image.name == "netfx11")
        let framework = "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\"
        let sizes = Dictionary(uniqueKeysWithValues: image.files.map { ($0.path.name!, $0.size) })
        #expect(sizes["mscoree.dll"].map { (250_000...400_000).contains($0) } == true)
        #expect(sizes["mscorwks.dll"].map { (1_800_000...2_400_000).contains($0) } == true)
        #expect(sizes["mscorlib.dll"].map { (1_800_000...2_400_000).contains($0) } == true)
        #expect(sizes["System.dll"].map { (1_000_000...1_400_000).contains($0) } == true)
        #expect(image.files.filter { $0.path.name != "msvcr71.dll" }.allSatisfy { $0.version == version("1.1.4322.573") })
        #expect(image.files.first { $0.path.name == "mscoree.dll" }?.path.description == "C:\\Windows\\System32\\mscoree.dll")
        let web = try #require(image.assemblies.first { $0.name == "System.Web" })
        #expect(web.file.description == framework + "System.Web.dll")
        #expect(Set(web.references).isSuperset(of: ["System", "System.Xml", "mscorlib"]))
        #expect(image.assemblies.first { $0.name == "System" }?.references == ["mscorlib"])
        #expect(image.nativeImages.runtime?.description == framework + "mscorwks.dll")
        #expect(
            image.nativeImages.imagePath(for: "System").description
                == "C:\\Windows\\assembly\\NativeImages1_v1.1.4322\\System\\System.ni.dll")
        let values = Dictionary(image.registry.map { ("\($0.key)|\($0.name)", $0.data) }, uniquingKeysWith: { a, _ in a })
        #expect(values["HKLM\\SOFTWARE\\Microsoft\\.NETFramework|InstallRoot"] == .string("C:\\Windows\\Microsoft.NET\\Framework\\"))
        #expect(values["HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\policy\\v1.1|4322"] == .string("3706-4322"))
        #expect(values["HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v1.1.4322|SP"] == .dword(0))
        #expect(values["HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce|"] == .some(nil))
        #expect(values.keys.contains("HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager|BootExecute"))
    }

    @Test func anEmptyFileIsAnEmptyImageNamedAfterTheFile() throws {
        let image = try MachineImageLoader.decode("# nothing\n", file: "images/empty.yaml")
        #expect(image == MachineImage(name: "empty"))
    }

    @Test func unknownKeysAreReportedWithPositionAndSuggestion() {
        #expect(errors("image: x\nfilez: []\n") == ["bad.yaml:2:1: error: unknown key 'filez' in the image (did you mean 'files'?)"])
        #expect(
            errors("files:\n  - {path: C:\\a.dll, version: 1.0.0.0, size: 100, sise: 3}\n")
                == ["bad.yaml:2:51: error: unknown key 'sise' in a file (did you mean 'size'?)"])
    }

    @Test func badVersionsAndSizes() {
        #expect(
            errors("files:\n  - path: C:\\a.dll\n    version: 1.1.4322\n    size: 10\n") == [
                "bad.yaml:3:14: error: the version of a.dll must be four numbers 0...65535 such as 1.1.4322.573, not '1.1.4322'",
                "bad.yaml:4:11: error: the file size must be in 64...268435456, not 10",
            ])
    }

    @Test func pathsMustBeOnDriveC() {
        let lines = errors(
            "files:\n  - {path: D:\\a.dll, version: 1.0.0.0, size: 100}\n  - {path: C:\\x\\..\\..\\etc\\passwd, version: 1.0.0.0, size: 100}\n"
        )
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("bad.yaml:2:12: error: the file path: invalid path 'D:\\a.dll': is on drive D:"))
        #expect(lines[1].hasPrefix("bad.yaml:3:12: error: the file path: invalid path 'C:\\x\\..\\..\\etc\\passwd': contains '..'"))
    }

    @Test func duplicateFilesIgnoringCase() {
        #expect(
            errors("files:\n  - {path: C:\\A.dll, version: 1.0.0.0, size: 100}\n  - {path: c:\\a.DLL, version: 1.0.0.1, size: 100}\n")
                == ["bad.yaml:3:5: error: duplicate file C:\\a.DLL (first listed at bad.yaml:2:5)"])
    }

    @Test func referencesToUnknownAssemblies() {
        let text = """
            files:
              - {path: C:\\F\\System.dll, version: 1.0.0.0, size: 100}
            assemblies:
              - {name: System, file: C:\\F\\System.dll, version: 1.0.5000.0, references: [mscorlb]}
              - {name: System, file: C:\\F\\Other.dll, version: 1.0.5000.0}
            native_images:
              runtime: C:\\F\\mscorwks.dll
              assemblies: [System, System.Xml]
            """
        #expect(
            errors(text) == [
                "bad.yaml:4:77: error: unknown assembly 'mscorlb' in the references of System (known: System)",
                "bad.yaml:5:5: error: duplicate assembly 'System' (first defined at bad.yaml:4:5)",
                "bad.yaml:5:26: error: the assembly file C:\\F\\Other.dll is not one of the image's files",
                "bad.yaml:7:12: error: the runtime engine C:\\F\\mscorwks.dll is not one of the image's files",
                "bad.yaml:8:24: error: unknown assembly 'System.Xml' in native_images (known: System)",
            ])
    }

    @Test func registryServicesAndStartup() throws {
        let text = """
            registry:
              - key: HKCR\\Foo
              - key: HKLM\\A
                values: {Count: {dword: -1}, List: {multi_sz: [a, "", c]}, Text: hello, (Default): d}
            services:
              - {name: Svc, command: svc.exe, start: automatic}
            startup:
              - {kind: RunOnc, name: x, command: y}
            """
        let lines = errors(text)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("bad.yaml:2:10: error: "))
        #expect(lines[1].hasPrefix("bad.yaml:4:29: error: value 'Count' of HKLM\\A must be a whole number"))
        #expect(lines[2] == "bad.yaml:6:42: error: unknown start type 'automatic' (known: auto, demand, disabled)")
        #expect(lines[3] == "bad.yaml:8:12: error: unknown startup kind 'RunOnc' (did you mean 'RunOnce'?)")

        let good = try MachineImageLoader.decode(
            """
            registry:
              - key: HKLM\\A
                values: {List: {multi_sz: [a, "", c]}, Text: hello, (Default): d}
            services:
              - {name: Svc, command: svc.exe, start: auto}
            startup:
              - {kind: RunOnce, hive: HKCU, name: x, command: y}
            """, file: "good.yaml")
        #expect(good.registry.map(\.data) == [.multiString(["a", "", "c"]), .string("hello"), .string("d")])
        #expect(good.registry.last?.name == "")
        #expect(good.services == [ServiceDefinition(name: "Svc", command: "svc.exe", start: .auto)])
        #expect(good.startup == [StartupEntry(hive: .currentUser, kind: .runOnce, name: "x", command: "y")])
    }

    @Test func malformedYAMLHasAPosition() {
        let lines = errors("files:\n  - {path: C:\\a.dll\n")
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("bad.yaml:3:1: error: malformed YAML") || lines[0].hasPrefix("bad.yaml:"))
        #expect(lines[0].contains("error: malformed YAML"))
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: RigErrors.self) { try MachineImageLoader.load(file: "/nonexistent/image.yaml") }
    }
}
