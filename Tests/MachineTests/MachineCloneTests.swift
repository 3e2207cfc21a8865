import Glibc
import Machine
import Registry
import RigModel
import TestSupport
import Testing
import WinFS
import WindowsModel

/// `MachineDirectory.clone`: a campaign's fresh machines, copied from one made once.
@Suite(.forkFree) struct MachineCloneTests {
    let scratch = Scratch("machine-clone")

    func template() throws -> String {
        let image = try MachineImageLoader.load(file: repositoryImage("netfx11.yaml"))
        try MachineDirectory.create(at: scratch.path + "/template", image: image, profile: .nt)
        return scratch.path + "/template"
    }

    @Test func aCloneHoldsTheSameFilesRegistryAndImages() throws {
        let source = try MachineDirectory(opening: try template())
        let clone = try MachineDirectory.clone(source.path, to: scratch.path + "/clone")
        #expect(try clone.fileList().map(\.path) == source.fileList().map(\.path))
        for file in try source.fileList() { #expect(try clone.files.readFile(file.path) == source.files.readFile(file.path)) }
        #expect(try clone.catalog() == source.catalog())
        #expect(try clone.nativeImageStatus().map(\.status) == source.nativeImageStatus().map(\.status))
        #expect(try clone.profile() == .nt)
    }

    @Test func aCloneSharesNoInodeSoNoWritesAndNoShareLocks() throws {
        let path = try template()
        let one = try MachineDirectory.clone(path, to: scratch.path + "/one")
        let two = try MachineDirectory.clone(path, to: scratch.path + "/two")
        let engine = try WindowsPath("C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\mscorwks.dll")
        var a = stat()
        var b = stat()
        #expect(stat(one.path + "/drive_c/Windows/Microsoft.NET/Framework/v1.1.4322/mscorwks.dll", &a) == 0)
        #expect(stat(path + "/drive_c/Windows/Microsoft.NET/Framework/v1.1.4322/mscorwks.dll", &b) == 0)
        #expect(a.st_ino != b.st_ino)
        // A handle that shares nothing in one clone does not lock the other's file.
        let held = try one.files.open(engine, access: .read, share: .none)
        defer { held.close() }
        #expect(throws: Win32Error.self) { try one.files.open(engine, access: .read, share: .read).close() }
        try two.files.open(engine, access: .read, share: .read).close()
        // A write in one clone is not seen in the other, nor in the template.
        let original = try two.files.readFile(engine)
        try one.files.writeFile(try WindowsPath("C:\\Windows\\System32\\new.dll"), [1, 2, 3])
        let registry = try one.registry()
        try registry.setValue(RegistryKeyPath("HKLM\\SOFTWARE\\PatchRigClone"), "Marked", .dword(1))
        #expect(!two.files.exists(try WindowsPath("C:\\Windows\\System32\\new.dll")))
        #expect(try two.registry().keyExists(RegistryKeyPath("HKLM\\SOFTWARE\\PatchRigClone")) == false)
        #expect(try MachineDirectory(opening: path).registry().keyExists(RegistryKeyPath("HKLM\\SOFTWARE\\PatchRigClone")) == false)
        #expect(try two.files.readFile(engine) == original)
    }

    @Test func aCloneIsMadeOnlyFromAMachineAndOnlyWhereNothingIs() throws {
        let path = try template()
        #expect(throws: (any Error).self) { try MachineDirectory.clone(scratch.path, to: scratch.path + "/x") }
        scratch.write("occupied/file", "x")
        #expect(throws: (any Error).self) { try MachineDirectory.clone(path, to: scratch.path + "/occupied") }
        #expect(access(scratch.path + "/x", F_OK) != 0, "nothing is created when the source is not a machine")
    }
}
