import Glibc
import Machine
import TestSupport
import Testing
import WinFS
import WindowsModel

/// Which images an ngen run builds, and native-image builds through real WinFS handles.
@Suite(.forkFree) struct NgenPlanTests {
    let scratch = Scratch("machine-test")
    let catalog = chainImage.catalog

    @Test func allMeansEveryAssemblyWithANativeImageInCatalogOrder() {
        #expect(NgenPlan.requested("all", catalog: catalog) == ["Core", "Mid", "Top", "Other"])
        #expect(NgenPlan.requested(" all ", catalog: catalog) == ["Core", "Mid", "Top", "Other"])
    }

    @Test func aListKeepsItsOrderWithoutBlanksOrRepeats() {
        #expect(NgenPlan.requested("Top, Core,,Top , Nope", catalog: catalog) == ["Top", "Core", "Nope"])
        #expect(NgenPlan.requested("", catalog: catalog) == [])
    }

    @Test func dependentsAreEverythingThatReachesAChangedAssembly() {
        // Top → Mid → Core: servicing Core invalidates all three, not Other.
        #expect(NgenPlan.withDependents(["Core"], catalog: catalog) == ["Core", "Mid", "Top"])
        #expect(NgenPlan.withDependents(["Mid"], catalog: catalog) == ["Mid", "Top"])
        #expect(NgenPlan.withDependents(["Top"], catalog: catalog) == ["Top"])
        #expect(NgenPlan.withDependents(["Other", "Core"], catalog: catalog) == ["Other", "Core", "Mid", "Top"])
        // A name the catalog does not know stays (ngen reports it), and adds nothing.
        #expect(NgenPlan.withDependents(["Ghost"], catalog: catalog) == ["Ghost"])
    }

    @Test func updateSelectsOnlyStaleOrMissingImages() throws {
        let machine = try MachineDirectory.create(at: scratch.path + "/m", image: chainImage, profile: .nt)
        let files = HandleFiles(root: machine.files)
        #expect(NgenPlan.needingUpdate(["Core", "Mid", "Top", "Other"], catalog: catalog, files: files) == [])
        let core = winPath("C:\\Fx\\Core.dll")
        try machine.files.writeFile(core, FileContent.bytes(name: "Core.dll", version: version("1.0.0.1"), size: 21_000))
        try machine.files.removeFile(winPath("C:\\Windows\\assembly\\NI\\Other\\Other.ni.dll"))
        #expect(
            NgenPlan.needingUpdate(["Core", "Mid", "Top", "Other"], catalog: catalog, files: files)
                == ["Core", "Mid", "Top", "Other"])
        #expect(NgenPlan.needingUpdate(["Top"], catalog: catalog, files: files) == ["Top"])
    }

    @Test func aBuildThroughHandlesFailsWhileAWriterHoldsAnInputAndSucceedsAfter() throws {
        let machine = try MachineDirectory.create(at: scratch.path + "/m", image: chainImage, profile: .nt)
        let files = HandleFiles(root: machine.files)
        let core = winPath("C:\\Fx\\Core.dll")
        try machine.files.writeFile(core, FileContent.bytes(name: "Core.dll", version: version("1.0.0.1"), size: 21_000))
        // An installer writing Core.dll (share none): ngen's read of it is a sharing violation.
        let writer = try machine.files.open(core, access: .write, share: .none)
        do {
            _ = try NativeImages.build("Mid", catalog: catalog, files: files)
            Issue.record("the build read Core.dll while a writer held it exclusively")
        } catch {
            #expect("\(error)".contains("ERROR_SHARING_VIOLATION (32)"), "\(error)")
            #expect("\(error)".contains("Core.dll"), "\(error)")
        }
        #expect(NativeImages.status(of: "Mid", catalog: catalog, files: machine.files).status.name == "stale")
        writer.close()
        try NativeImages.build("Mid", catalog: catalog, files: files)
        #expect(NativeImages.status(of: "Mid", catalog: catalog, files: machine.files).status == .fresh)
    }

    @Test func readsThroughHandlesShareReadWithOtherReadersButNotWithAnImageWriter() throws {
        let machine = try MachineDirectory.create(at: scratch.path + "/m", image: chainImage, profile: .nt)
        let files = HandleFiles(root: machine.files)
        let engine = winPath("C:\\Fx\\engine.dll")
        // Another ngen reading (read, share read) does not block; an image load does not either.
        let reader = try machine.files.open(engine, access: .read, share: .read)
        let image = try machine.files.loadImage(engine)
        #expect(try files.readFile(engine).count > 0)
        reader.close()
        // A reader that does not share read does.
        let exclusive = try machine.files.open(engine, access: .read, share: .none)
        #expect(throws: Win32Error.self) { try files.readFile(engine) }
        exclusive.close()
        withExtendedLifetime(image) {}
    }
}
