import Foundation
import Machine
import Registry
import RigModel
import Servicing
import TestSupport
import Testing
import WinFS
import WindowsModel

@Suite struct PatchPackageTests {
    @Test func everyShippedPatchRoundTripsThroughThePackageFormat() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: repositoryPatch("")).filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 6)
        for name in names {
            let patch = try loadPatch(name)
            #expect(try PatchPackage.decode(PatchPackage.encode(patch)) == patch, "\(name)")
        }
    }

    @Test func registryValuesAndFreeTextSurvive() throws {
        let patch = Patch(
            id: "T-1", description: "two\tfields\nand lines", era: .service, product: "A\\B",
            files: [PatchFile(path: winPath("C:\\Program Files\\x y\\a.dll"), version: FileVersion("1.2.3.4")!, size: 100, adds: true)],
            ngen: ["System"], gac: [winPath("C:\\Program Files\\x y\\a.dll")],
            registry: [
                RegistryValueDefinition(key: winRegistryKey("HKLM\\SOFTWARE\\A B"), name: "N", data: .multiString(["1", "", "3"])),
                RegistryValueDefinition(key: winRegistryKey("HKLM\\SOFTWARE\\A B"), name: "D", data: .dword(7)),
                RegistryValueDefinition(key: winRegistryKey("HKLM\\SOFTWARE\\C"), name: "", data: nil),
            ])
        let decoded = try PatchPackage.decode(PatchPackage.encode(patch))
        #expect(decoded.description == "two fields and lines")
        var expected = patch
        expected.description = decoded.description
        #expect(decoded == expected)
    }

    @Test func damagedPackagesAreRefusedWithTheirLine() {
        let good = PatchPackage.encode(
            Patch(id: "K", files: [PatchFile(path: winPath("C:\\a.dll"), version: FileVersion("1.0.0.0")!, size: 100)]))
        #expect(throws: PatchPackageError.self) { try PatchPackage.decode(String(good.dropLast("end\n".count))) }
        #expect { try PatchPackage.decode("MZ\n") } throws: { ($0 as? PatchPackageError)?.line == 1 }
        do {
            _ = try PatchPackage.decode(good.replacingOccurrences(of: "era\trunonce", with: "era\tboot"))
            Issue.record("an unknown era was accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.message.contains("unknown era 'boot'"))
        }
    }
}

@Suite struct PatchLoaderTests {
    @Test func shippedPatchesFitTheNetfx11Image() throws {
        let image = try MachineImageLoader.load(file: repositoryImage("netfx11.yaml"))
        for name in [
            "netfx11-sp1.yaml", "netfx11-sp1-service.yaml", "kb886903.yaml", "kb886903-service.yaml", "netfx20-mscoree.yaml",
            "contoso-orders.yaml",
        ] {
            let document = try PatchLoader.loadDocument(file: repositoryPatch(name))
            #expect(PatchLoader.check(document, against: image) == [], "\(name)")
        }
        let sp1 = try loadPatch("netfx11-sp1.yaml")
        #expect(sp1.id == "NDP1.1sp1-KB867460")
        #expect(sp1.files.map(\.version).allSatisfy { $0 == FileVersion("1.1.4322.2032") })
        #expect(try loadPatch("kb886903.yaml").files.map(\.path.name) == ["mscorwks.dll", "System.Web.dll", "aspnet_isapi.dll"])
        #expect(try loadPatch("netfx20-mscoree.yaml").file(at: mscoree)?.version == FileVersion("2.0.50727.42"))
    }

    @Test func aFileTheImageLacksIsAnErrorAtItsEntry() throws {
        let text = """
            patch: KB1
            era: runonce
            files:
              - {path: C:\\Windows\\System32\\mscoree.dll, version: 1.1.4322.2032, size: 4096}
              - {path: C:\\Windows\\System32\\missing.dll, version: 1.0.0.0, size: 4096}
            ngen: [System.Wbe]
            """
        let document = try PatchLoader.decodeDocument(text, file: "p.yaml")
        let image = try MachineImageLoader.load(file: repositoryImage("netfx11.yaml"))
        let errors = PatchLoader.check(document, against: image).map(\.description)
        #expect(errors.count == 2)
        #expect(errors[0].hasPrefix("p.yaml:5:5: error: the patch replaces C:\\Windows\\System32\\missing.dll"))
        #expect(errors[1].hasPrefix("p.yaml:6:8: error: the patch regenerates native images of 'System.Wbe'"))
    }

    @Test func badPatchFilesReportEveryProblemWithPositions() {
        let text = """
            patch: KB 1
            era: boot
            files:
              - {path: D:\\x.dll, version: 1.0, size: 10}
            gac: [C:\\other.dll]
            extra: 1
            """
        do {
            _ = try PatchLoader.decode(text, file: "bad.yaml")
            Issue.record("a bad patch was accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains { $0.hasPrefix("bad.yaml:1:8: error: the patch id 'KB 1'") })
            #expect(lines.contains { $0.hasPrefix("bad.yaml:2:6: error: unknown era 'boot'") })
            #expect(lines.contains { $0.hasPrefix("bad.yaml:4:12: error: the file path") })
            #expect(lines.contains { $0.hasPrefix("bad.yaml:6:1: error: unknown key 'extra'") })
            #expect(lines.contains { $0.hasPrefix("bad.yaml:5:7: error: the GAC install C:\\other.dll is not one of the patch's files") })
            #expect(lines.count == 7)
        }
    }
}

@Suite struct RebootReductionDecisionTests {
    let aside = PendingRename(source: winPath("C:\\Windows\\System32\\mscoree.dll.~1"), destination: nil, replaceExisting: false)
    let new = FileVersion("2.0.50727.42")!

    @Test func onlyMscoreeSoftLockedIsReduced() {
        let decision = RebootReduction.decide(installerCode: 3010, queued: [aside], patchVersion: new, standing: new)
        #expect(decision.exitCode == 0)
    }

    @Test func anotherQueuedFileKeeps3010() {
        let other = PendingRename(source: winPath("C:\\Windows\\x.dll.~1"), destination: nil, replaceExisting: false)
        #expect(RebootReduction.decide(installerCode: 3010, queued: [aside, other], patchVersion: new, standing: new).exitCode == 3010)
        #expect(RebootReduction.decide(installerCode: 3010, queued: [other], patchVersion: new, standing: new).exitCode == 3010)
    }

    @Test func hardLockedMscoreeIsNotReduced() {
        let replace = PendingRename(
            source: winPath("C:\\Windows\\System32\\mscoree.dll.~tmp1"), destination: RebootReduction.mscoree, replaceExisting: true)
        #expect(
            RebootReduction.decide(installerCode: 3010, queued: [replace], patchVersion: new, standing: FileVersion("1.1.4322.573"))
                .exitCode == 3010)
        // Even a deletion of an aside copy does not count when the old version still stands.
        #expect(
            RebootReduction.decide(installerCode: 3010, queued: [aside], patchVersion: new, standing: FileVersion("1.1.4322.573")).exitCode
                == 3010)
    }

    @Test func otherCodesPassThrough() {
        for code: Int32 in [0, 1602, 1603, 1618] {
            #expect(RebootReduction.decide(installerCode: code, queued: [aside], patchVersion: new, standing: new).exitCode == code)
        }
        #expect(RebootReduction.decide(installerCode: 3010, queued: [aside], patchVersion: nil, standing: new).exitCode == 3010)
    }

    @Test func asideCopiesAreRecognised() {
        #expect(RebootReduction.isAsideCopy(winPath("C:\\WINDOWS\\system32\\MSCOREE.DLL.~12"), of: RebootReduction.mscoree))
        #expect(!RebootReduction.isAsideCopy(winPath("C:\\Windows\\System32\\mscoree.dll.~tmp1"), of: RebootReduction.mscoree))
        #expect(!RebootReduction.isAsideCopy(winPath("C:\\Windows\\mscoree.dll.~1"), of: RebootReduction.mscoree))
    }

    @Test func childStatusMapsBackToInstallerCodes() {
        #expect(InstallerExit.windowsCode(fromChildStatus: 194) == 3010)
        #expect(InstallerExit.windowsCode(fromChildStatus: 66) == 1602)
        #expect(InstallerExit.windowsCode(fromChildStatus: 82) == 1618)
        #expect(InstallerExit.windowsCode(fromChildStatus: 3010) == 3010)
        #expect(InstallerExit.windowsCode(fromChildStatus: 0) == 0)
        #expect(InstallerExit.windowsCode(fromChildStatus: 2) == 2)
    }
}

/// Reboot reduction from what real installations did: the queue entries and the version standing.
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5))) struct RebootReductionOnTheMachineTests {
    /// Runs `patch` and decides as setup does.
    func decide(
        _ patch: Patch, _ machine: InstallerMachine, _ options: InstallerOptions = InstallerOptions()
    ) throws -> (Int32, RebootReduction.Decision) {
        let before = try machine.pending()
        let outcome = try install(patch, on: machine, options)
        let queued = InstallerPendingQueue.added(before: before, after: try machine.pending())
        let decision = RebootReduction.decide(
            installerCode: outcome.exitCode, queued: queued, patchVersion: patch.file(at: RebootReduction.mscoree)?.version,
            standing: try machine.version(RebootReduction.mscoree))
        return (outcome.exitCode, decision)
    }

    @Test func loadedMscoreeAloneIsReducedTo0() throws {
        let machine = try InstallerMachine()
        let app = try TestProcess.image(machine, mscoree)
        defer { app.release() }
        let (installer, decision) = try decide(try loadPatch("netfx20-mscoree.yaml"), machine)
        #expect(installer == 3010)
        #expect(decision.exitCode == 0)
    }

    @Test func aSecondInUseFileKeeps3010() throws {
        let machine = try InstallerMachine()
        var patch = try loadPatch("netfx20-mscoree.yaml")
        patch.files.append(PatchFile(path: aspnetIsapi, version: FileVersion("1.1.4322.2032")!, size: 212992))
        let app = try TestProcess.image(machine, mscoree)
        let isapi = try TestProcess.image(machine, aspnetIsapi)
        defer {
            app.release()
            isapi.release()
        }
        let (installer, decision) = try decide(patch, machine)
        #expect(installer == 3010)
        #expect(decision.exitCode == 3010)
    }

    @Test func hardLockedMscoreeIsNotReduced() throws {
        let machine = try InstallerMachine()
        let editor = try TestProcess.editor(machine, mscoree)
        defer { editor.release() }
        let (installer, decision) = try decide(try loadPatch("netfx20-mscoree.yaml"), machine, InstallerOptions(filesInUse: .ignore))
        #expect(installer == 3010)
        #expect(decision.exitCode == 3010)
    }
}
