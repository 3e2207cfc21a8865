import Glibc
import Machine
import Registry
import RigModel
import TestSupport
import Testing
import WinFS
import WindowsModel

/// A small framework: Top → Mid → Core, Other alone, every image built against engine.dll.
let chainImage: MachineImage = {
    let v1 = version("1.0.0.0")
    let files = ["Core.dll", "Mid.dll", "Top.dll", "Other.dll", "engine.dll"].map {
        ImageFile(path: winPath("C:\\Fx\\" + $0), version: v1, size: 20_000 + $0.count * 1000)
    }
    let assemblies = [
        AssemblyDefinition(name: "Core", file: winPath("C:\\Fx\\Core.dll"), version: v1),
        AssemblyDefinition(name: "Mid", file: winPath("C:\\Fx\\Mid.dll"), version: v1, references: ["Core"]),
        AssemblyDefinition(name: "Top", file: winPath("C:\\Fx\\Top.dll"), version: v1, references: ["Mid"]),
        AssemblyDefinition(name: "Other", file: winPath("C:\\Fx\\Other.dll"), version: v1),
    ]
    return MachineImage(
        name: "chain", files: files, assemblies: assemblies,
        nativeImages: NativeImageSet(
            directory: winPath("C:\\Windows\\assembly\\NI"), runtime: winPath("C:\\Fx\\engine.dll"),
            assemblies: ["Core", "Mid", "Top", "Other"]))
}()

@Suite(.forkFree) struct NativeImageTests {
    let scratch = Scratch("machine-test")

    func makeMachine(_ image: MachineImage = chainImage) throws -> MachineDirectory {
        try MachineDirectory.create(at: scratch.path + "/m", image: image, profile: .nt)
    }

    /// Status name per assembly.
    func statuses(_ machine: MachineDirectory) throws -> [String: NativeImageStatus] {
        Dictionary(uniqueKeysWithValues: try machine.nativeImageStatus().map { ($0.assembly, $0.status) })
    }

    /// Replaces `name` under C:\Fx with the file at another version (as a patch would).
    func patch(_ machine: MachineDirectory, _ name: String, to v: String, size: Int? = nil) throws {
        let path = winPath("C:\\Fx\\" + name)
        let oldSize = try machine.files.readFile(path).count
        try machine.files.writeFile(path, FileContent.bytes(name: name, version: version(v), size: size ?? oldSize))
    }

    @Test func everyImageIsFreshAfterCreate() throws {
        let machine = try makeMachine()
        let reports = try machine.nativeImageStatus()
        #expect(reports.map(\.assembly) == ["Core", "Mid", "Top", "Other"])
        #expect(reports.allSatisfy { $0.status == .fresh })
        #expect(reports[0].path.description == "C:\\Windows\\assembly\\NI\\Core\\Core.ni.dll")
        // Top's image records Top, Mid, Core (transitively) and the engine.
        let top = try #require(reports[2].image)
        #expect(top.inputs.map { $0.path.name! } == ["Top.dll", "Mid.dll", "Core.dll", "engine.dll"])
        #expect(top.inputs.allSatisfy { $0.version == version("1.0.0.0") })
    }

    /// A machine is judged at rest: an image whose inputs a pending rename replaces at the next
    /// boot is not fresh (seed 000's hotfix exiting 3010 with the engine's replacement queued).
    @Test func anImageBuiltFromAFileWithAPendingReplacementIsNotFresh() throws {
        let machine = try makeMachine()
        let engine = winPath("C:\\Fx\\engine.dll")
        let staged = winPath("C:\\Fx\\engine.dll.~tmp1")
        try machine.files.writeFile(staged, FileContent.bytes(name: "engine.dll", version: version("1.0.0.9"), size: 30_000))
        try machine.files.moveFile(
            staged, to: engine, flags: [.delayUntilReboot, .replaceExisting], store: try pendingRenameStore(for: machine.files))
        let reports = try machine.nativeImageStatus()
        #expect(
            reports.allSatisfy { $0.status == .stale(reasons: ["engine.dll is to be replaced at the next boot (a pending rename)"]) },
            "\(reports.map(\.status))")
        // A pending deletion of a file no image was built from changes nothing.
        let other = try makeMachineAt("other")
        try other.files.writeFile(winPath("C:\\Fx\\old.~1"), [1, 2, 3])
        try other.files.moveFile(
            winPath("C:\\Fx\\old.~1"), to: nil, flags: [.delayUntilReboot], store: try pendingRenameStore(for: other.files))
        #expect(try other.nativeImageStatus().allSatisfy { $0.status == .fresh })
    }

    func makeMachineAt(_ name: String) throws -> MachineDirectory {
        try MachineDirectory.create(at: scratch.path + "/" + name, image: chainImage, profile: .nt)
    }

    @Test func patchingAnAssemblyMakesEveryDependentImageStaleDirectlyAndTransitively() throws {
        let machine = try makeMachine()
        try patch(machine, "Core.dll", to: "1.0.0.1")
        #expect(try FileContent.stamp(ofFileAt: winPath("C:\\Fx\\Core.dll"), in: machine.files)?.version == version("1.0.0.1"))
        let status = try statuses(machine)
        let reason = "Core.dll changed since the image was built (1.0.0.0 -> 1.0.0.1)"
        #expect(status["Core"] == .stale(reasons: [reason]))
        #expect(status["Mid"] == .stale(reasons: [reason]))  // references Core
        #expect(status["Top"] == .stale(reasons: [reason]))  // references Mid, which references Core
        #expect(status["Other"] == .fresh)
    }

    @Test func patchingALeafLeavesItsDependenciesFresh() throws {
        let machine = try makeMachine()
        try patch(machine, "Top.dll", to: "1.0.0.7")
        let status = try statuses(machine)
        #expect(status["Top"]?.name == "stale")
        #expect(status["Mid"] == .fresh)
        #expect(status["Core"] == .fresh)
    }

    @Test func servicingTheRuntimeEngineInvalidatesEveryImage() throws {
        let machine = try makeMachine()
        try patch(machine, "engine.dll", to: "1.0.0.9")
        let status = try statuses(machine)
        #expect(status.values.allSatisfy { $0 == .stale(reasons: ["engine.dll changed since the image was built (1.0.0.0 -> 1.0.0.9)"]) })
    }

    @Test func staleIsDecidedByTheRecordedHashesAlone() throws {
        let machine = try makeMachine()
        let core = winPath("C:\\Fx\\Core.dll")
        let original = try machine.files.readFile(core)
        try patch(machine, "Core.dll", to: "1.0.0.1")
        #expect(try statuses(machine)["Mid"]?.name == "stale")
        // Putting the original bytes back makes the images fresh again, without a rebuild.
        try machine.files.writeFile(core, original)
        #expect(try statuses(machine).values.allSatisfy { $0 == .fresh })
        // Same version, other contents (a different build of the same version) is stale too.
        try patch(machine, "Core.dll", to: "1.0.0.0", size: original.count + 512)
        #expect(
            try statuses(machine)["Core"]
                == .stale(reasons: ["Core.dll changed since the image was built (same version 1.0.0.0, other contents)"]))
    }

    @Test func rebuildingMakesStaleImagesFreshAgain() throws {
        let machine = try makeMachine()
        try patch(machine, "Core.dll", to: "1.0.0.1")
        let catalog = try machine.catalog()
        // Rebuilding Top alone makes it fresh (it records the new Core); Mid stays stale.
        let rebuilt = try NativeImages.build("Top", catalog: catalog, files: machine.files)
        #expect(rebuilt.inputs.first { $0.path.name == "Core.dll" }?.version == version("1.0.0.1"))
        var status = try statuses(machine)
        #expect(status["Top"] == .fresh)
        #expect(status["Mid"]?.name == "stale")
        for assembly in ["Core", "Mid"] { try NativeImages.build(assembly, catalog: catalog, files: machine.files) }
        status = try statuses(machine)
        #expect(status.values.allSatisfy { $0 == .fresh })
    }

    @Test func aDeletedImageIsMissingUntilRebuilt() throws {
        let machine = try makeMachine()
        try machine.files.removeFile(winPath("C:\\Windows\\assembly\\NI\\Mid\\Mid.ni.dll"))
        var status = try statuses(machine)
        #expect(status["Mid"] == .missing)
        #expect(status["Top"] == .fresh)  // images record file hashes, not other images
        try NativeImages.build("Mid", catalog: try machine.catalog(), files: machine.files)
        status = try statuses(machine)
        #expect(status["Mid"] == .fresh)
    }

    @Test func aDeletedInputMakesTheImageStale() throws {
        let machine = try makeMachine()
        try machine.files.removeFile(winPath("C:\\Fx\\Core.dll"))
        #expect(try statuses(machine)["Top"] == .stale(reasons: ["Core.dll is gone since the image was built"]))
        // And ngen cannot build it: the reference is not there to read.
        #expect(throws: (any Error).self) {
            try NativeImages.build("Top", catalog: try machine.catalog(), files: machine.files)
        }
    }

    @Test func anImageCutShortIsStaleAsDamaged() throws {
        let machine = try makeMachine()
        let path = winPath("C:\\Windows\\assembly\\NI\\Core\\Core.ni.dll")
        let bytes = try machine.files.readFile(path)
        try machine.files.writeFile(path, Array(bytes.prefix(bytes.count / 2)))
        guard case .stale(let reasons) = try statuses(machine)["Core"] else {
            Issue.record("a half-written image must not be fresh")
            return
        }
        #expect(reasons == ["the image file is damaged: it holds \(bytes.count / 2) of its \(bytes.count) bytes"])
        try machine.files.writeFile(path, Array(bytes.prefix(40)))
        #expect(try statuses(machine)["Core"] == .stale(reasons: ["the image file is damaged: the header is incomplete"]))
    }

    @Test func imageBytesRoundTrip() throws {
        let image = NativeImage(
            assembly: "System.Web", version: version("1.0.5000.0"),
            inputs: [
                NativeImageInput(path: winPath("C:\\Program Files\\a b.dll"), version: version("1.1.4322.573"), hash: 0xDEAD_BEEF),
                NativeImageInput(path: winPath("C:\\x.dat"), version: nil, hash: 42),
            ], size: 5000)
        let bytes = image.bytes
        #expect(bytes.count == 5000)
        #expect(try NativeImage(parsing: bytes) == image)
    }

    @Test func netfx11ServicePackScenario() throws {
        let image = try MachineImageLoader.load(file: repositoryImage("netfx11.yaml"))
        let machine = try makeMachine(image)
        #expect(try machine.nativeImageStatus().allSatisfy { $0.status == .fresh })
        let system = winPath("C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\System.dll")
        try machine.files.writeFile(system, FileContent.bytes(name: "System.dll", version: version("1.1.4322.2032"), size: 1_236_992))
        let status = try statuses(machine)
        #expect(status["mscorlib"] == .fresh)
        let reason = "System.dll changed since the image was built (1.1.4322.573 -> 1.1.4322.2032)"
        for name in ["System", "System.Xml", "System.Web"] {
            #expect(status[name] == .stale(reasons: [reason]), "\(name)")
        }
        // An ASP.NET hotfix replacing System.Web.dll only touches System.Web's image.
        let fresh = try makeMachineNamed("m2", image)
        let web = winPath("C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\System.Web.dll")
        try fresh.files.writeFile(web, FileContent.bytes(name: "System.Web.dll", version: version("1.1.4322.2037"), size: 1_257_472))
        let after = try statuses(fresh)
        #expect(after.filter { $0.value != .fresh }.keys.sorted() == ["System.Web"])
    }

    func makeMachineNamed(_ name: String, _ image: MachineImage) throws -> MachineDirectory {
        try MachineDirectory.create(at: scratch.path + "/" + name, image: image, profile: .nt)
    }
}

@Suite(.forkFree) struct AssemblyCatalogTests {
    @Test func closureIsDepthFirstEachOnceAndSurvivesCycles() throws {
        let v = version("1.0.0.0")
        let catalog = AssemblyCatalog(
            assemblies: [
                AssemblyDefinition(name: "A", file: winPath("C:\\A.dll"), version: v, references: ["B", "C"]),
                AssemblyDefinition(name: "B", file: winPath("C:\\B.dll"), version: v, references: ["C", "A"]),
                AssemblyDefinition(name: "C", file: winPath("C:\\C.dll"), version: v, references: ["B"]),
            ], nativeImages: NativeImageSet())
        #expect(try catalog.closure(of: "A").map(\.name) == ["A", "B", "C"])
        #expect(try catalog.closure(of: "C").map(\.name) == ["C", "B", "A"])
    }

    @Test func anUnknownReferenceIsNamed() {
        let catalog = AssemblyCatalog(
            assemblies: [AssemblyDefinition(name: "A", file: winPath("C:\\A.dll"), version: version("1.0.0.0"), references: ["Gone"])],
            nativeImages: NativeImageSet())
        #expect(throws: MachineError("A references Gone, which is not installed on the machine")) {
            try catalog.closure(of: "A")
        }
    }
}
