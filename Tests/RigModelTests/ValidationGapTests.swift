import Foundation
import TestSupport
import Testing
import WindowsModel

@testable import RigModel

@Suite struct RegistryNameValidationTests {
    /// A TAB in a patch's registry key used to pass and make the installer exit 1619.
    @Test func controlCharactersInAPatchRegistryAreRefusedAtTheirNode() throws {
        let dir = try RigFileDirectory("gaps")
        try dir.write(
            "patches/tab.yaml",
            """
            patch: TAB1
            era: runonce
            product: "Net\\tFx"
            files:
              - {path: C:\\Windows\\System32\\a.dll, version: 1.0.0.1, size: 4096, adds: true}
            registry:
              - key: "HKLM\\\\SOFTWARE\\\\A\\tB"
              - key: HKLM\\SOFTWARE\\C
                values: {"Na\\nme": {dword: 1}, Good: x}
            """)
        let errors = dir.errors(
            """
            machine:
            actors:
              - {name: i, role: installer, params: {patch: patches/tab.yaml}}
            """)
        #expect(errors.count == 3, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("patches/tab.yaml:3:10: error: the product") && $0.contains("TAB (U+0009)") }, "\(errors)")
        #expect(
            errors.contains { $0.hasPrefix("patches/tab.yaml:7:10: error: invalid registry key") && $0.contains("TAB (U+0009)") },
            "\(errors)")
        #expect(
            errors.contains { $0.hasPrefix("patches/tab.yaml:9:14: error: value of HKLM\\SOFTWARE\\C") && $0.contains("LF (U+000A)") },
            "\(errors)")
    }

    @Test func controlCharactersInAnImageAreRefusedAtTheirNode() {
        let text = """
            image: tabs
            files:
              - {path: C:\\Windows\\a.dll, version: 1.0.0.0, size: 4096}
            assemblies:
              - {name: "A\\tB", file: C:\\Windows\\a.dll, version: 1.0.0.0}
            registry:
              - key: "HKLM\\\\SOFTWARE\\\\X\\u0001"
            services:
              - {name: "Svc\\r", command: C:\\x.exe}
            startup:
              - {kind: Run, name: "Up\\tdater", command: C:\\x.exe}
            """
        do {
            _ = try MachineImageLoader.decode(text, file: "img.yaml")
            Issue.record("decoded")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.count == 4, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("img.yaml:5:12: error: assembly name:") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("img.yaml:7:10: error: invalid registry key") && $0.contains("U+0001") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("img.yaml:9:12: error: service name:") && $0.contains("CR") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("img.yaml:11:23: error: startup entry name:") }, "\(lines)")
        }
    }

    /// The registry itself refuses what the loaders refuse.
    @Test func theRegistryRefusesControlCharactersInNames() {
        #expect(throws: RegistryError.self) { try RegistryKeyPath("HKLM\\SOFTWARE\\A\tB") }
        #expect(RegistryKeyPath.keyNameProblem("A\tB") != nil)
        #expect(RegistryKeyPath.keyNameProblem(String(repeating: "k", count: 256)) != nil)
        #expect(RegistryKeyPath.keyNameProblem(String(repeating: "k", count: 255)) == nil)
        #expect(RegistryKeyPath.valueNameProblem("a\nb") != nil)
        #expect(RegistryKeyPath.valueNameProblem("") == nil)
        #expect(RegistryKeyPath.valueNameProblem("Name with spaces & symbols!") == nil)
    }
}

@Suite struct ParameterCombinationTests {
    /// Each of these used to pass validation and fail at run time (1639 or 87).
    @Test func combinationsARoleRefusesAreRefusedUpFront() throws {
        let dir = try RigFileDirectory("gaps")
        let errors = dir.errors(
            """
            machine:
            actors:
              - name: boot
                role: setup
                params: {mode: bootstrapper}
              - name: plain
                role: setup
                params: {files_in_use: exit}
              - name: mixed
                role: setup
                params: {mode: bootstrapper, packages: patches/ok.yaml, patch: patches/ok.yaml}
              - name: stray
                role: setup
                params: {patch: patches/ok.yaml, packages: patches/ok.yaml}
              - name: msi
                role: installer
              - name: wu
                role: windowsupdate
                params: {delay: 1s}
              - name: svc
                role: netfxupdate
                params: {mode: service, work: ngen System.Web}
              - name: idle
                role: netfxupdate
              - name: badcmd
                role: netfxupdate
                params: {command: 'netfxupdate.exe /ngen:'}
              - name: badwork
                role: netfxupdate
                params: {work: 'compile System.Web'}
            """)
        #expect(
            errors == [
                "r.yaml:5:13: error: actor 'boot' (role 'setup') with mode: bootstrapper needs parameter 'packages', the patch files it chains in order",
                "r.yaml:8:13: error: actor 'plain' (role 'setup') needs parameter 'patch' (or mode: bootstrapper with 'packages')",
                "r.yaml:11:61: error: 'patch' is not used with mode: bootstrapper; list every package in 'packages'",
                "r.yaml:14:38: error: 'packages' is only used with mode: bootstrapper",
                "r.yaml:16:11: error: actor 'msi' (role 'installer') needs parameter 'patch', the patch file it installs",
                "r.yaml:19:13: error: actor 'wu' (role 'windowsupdate') needs parameter 'patch', the patch file it installs",
                "r.yaml:22:29: error: the NetFxUpdate service reads its work from the registry; 'work' is for mode: runonce",
                "r.yaml:24:11: error: actor 'idle' (role 'netfxupdate') has nothing to do: give 'work' (e.g. 'ngen System.Web, gac C:\\...') or a 'command' with /ngen: or /gac:",
                "r.yaml:27:14: error: parameter 'command': '/ngen:': no assembly after /ngen:",
                "r.yaml:30:14: error: parameter 'work': work item 'compile System.Web': unknown kind 'compile' (expected ngen or gac)",
            ])
    }

    @Test func goodCombinationsPass() throws {
        let dir = try RigFileDirectory("gaps")
        #expect(
            dir.errors(
                """
                machine:
                actors:
                  - {name: a, role: setup, params: {mode: bootstrapper, packages: [patches/ok.yaml]}}
                  - {name: b, role: setup, params: {patch: patches/ok.yaml}}
                  - {name: c, role: netfxupdate, params: {mode: service}}
                  - {name: d, role: netfxupdate, params: {work: 'ngen System.Web, gac C:\\Windows\\a.dll'}}
                  - {name: e, role: netfxupdate, params: {command: 'netfxupdate.exe /ngen:System.Web'}}
                  - {name: f, role: netfxupdate, params: {command: 'netfxupdate.exe /service'}}
                """) == [])
    }
}

@Suite struct UnreadableFileTests {
    /// The secret text stands for a file's contents: no error may quote it.
    static let secret = "SECRET-CONTENTS-1234"

    private func patchErrors(_ dir: RigFileDirectory, _ name: String) -> [String] {
        dir.errors(
            """
            machine:
            actors:
              - {name: i, role: installer, params: {patch: \(name)}}
            """)
    }

    @Test func unreadablePatchesAreNamedNotEchoed() throws {
        let dir = try RigFileDirectory("gaps")
        let fm = FileManager.default
        // Binary garbage with a NUL byte; bytes that are not UTF-8; a directory; a huge file;
        // text that is YAML but one long garbage scalar.
        fm.createFile(atPath: dir.path + "/patches/binary.yaml", contents: Data(Self.secret.utf8) + Data([0, 1, 2, 0xff]))
        fm.createFile(atPath: dir.path + "/patches/latin1.yaml", contents: Data(Self.secret.utf8) + Data([0xe9, 0xff, 0xfe]))
        try fm.createDirectory(atPath: dir.path + "/patches/dir.yaml", withIntermediateDirectories: true)
        fm.createFile(atPath: dir.path + "/patches/huge.yaml", contents: Data(Self.secret.utf8))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.path + "/patches/huge.yaml"))
        try handle.truncate(atOffset: UInt64(YAMLSupport.maxFileSize) + 1)
        try handle.close()
        fm.createFile(atPath: dir.path + "/patches/scalar.yaml", contents: Data((Self.secret + String(repeating: "x", count: 200)).utf8))
        let cases = [
            ("binary.yaml", "binary, not YAML text"), ("latin1.yaml", "not UTF-8 text"),
            ("huge.yaml", "at most"), ("scalar.yaml", "a text of"),
        ]
        for (name, reason) in cases where name != "dir.yaml" {
            let errors = patchErrors(dir, "patches/" + name)
            #expect(errors.count == 1, "\(name): \(errors)")
            #expect(errors.first?.hasPrefix("patches/\(name):1:1: error: ") == true, "\(name): \(errors)")
            #expect(errors.first?.contains(reason) == true, "\(name): \(errors)")
            #expect(!errors.joined().contains(Self.secret), "\(name): \(errors)")
        }
    }

    @Test func aDirectoryIsNoPatchFile() throws {
        let dir = try RigFileDirectory("gaps")
        try FileManager.default.createDirectory(atPath: dir.path + "/patches/dir.yaml", withIntermediateDirectories: true)
        #expect(patchErrors(dir, "patches/dir.yaml") == ["r.yaml:3:48: error: no patch file patches/dir.yaml"])
        do {
            _ = try PatchLoader.load(file: dir.path + "/patches/dir.yaml")
            Issue.record("loaded a directory")
        } catch {
            #expect(error.errors.map(\.message) == ["cannot read the patch file: it is a directory, not a file"])
        }
    }

    @Test func anUnreadableImageIsNamedNotEchoed() throws {
        let dir = try RigFileDirectory("gaps")
        FileManager.default.createFile(atPath: dir.path + "/img.yaml", contents: Data(Self.secret.utf8) + Data([0, 0xff]))
        let errors = dir.errors("machine: {image: img.yaml}\nactors: [{name: a, role: script}]\n")
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.hasPrefix("img.yaml:1:1: error: cannot read the image file: it is binary") == true, "\(errors)")
        #expect(!errors.joined().contains(Self.secret))
    }
}

@Suite struct WindowsNameRuleRigTests {
    @Test func deviceNamesAndStrippedNamesInARigAreRefusedAtTheirPosition() throws {
        let dir = try RigFileDirectory("gaps")
        let errors = dir.errors(
            """
            machine:
            actors:
              - {name: a, role: app, params: {load: 'C:\\Windows\\NUL.dll', hold: 'C:\\Windows\\doc.txt.'}}
            expect:
              files: {'C:\\Windows\\com1': absent}
            """)
        #expect(errors.count == 3, "\(errors)")
        #expect(
            errors.contains { $0.hasPrefix("r.yaml:3:41: error: parameter 'load': invalid path") && $0.contains("DOS device name NUL") },
            "\(errors)")
        #expect(
            errors.contains { $0.hasPrefix("r.yaml:3:69: error: parameter 'hold': invalid path") && $0.contains("ends in a dot") },
            "\(errors)")
        #expect(errors.contains { $0.hasPrefix("r.yaml:5:11: error: ") && $0.contains("COM1") }, "\(errors)")
    }
}
