import Glibc
import Machine
import Registry
import RigModel
import TestSupport
import Testing
import WinFS
import WindowsModel

@Suite(.forkFree) struct MachineDirectoryTests {
    let scratch = Scratch("machine-test")

    @Test func minimalMachineHasSystem32AndAnEmptyRegistry() throws {
        let machine = try MachineDirectory.create(at: scratch.path + "/m", image: .minimal, profile: .win9x)
        #expect(try machine.profile() == .win9x)
        #expect(machine.files.isDirectory(winPath("C:\\Windows\\System32")))
        #expect(try machine.fileList().isEmpty)
        #expect(try machine.registry().subkeys(of: RegistryKeyPath("HKLM")) == [])
        #expect(try machine.nativeImageStatus().isEmpty)
        #expect(try machine.pendingRenames().isEmpty)
    }

    @Test func netfx11IsLaidOutAsTheImageSays() throws {
        let image = try MachineImageLoader.load(file: repositoryImage("netfx11.yaml"))
        let machine = try MachineDirectory.create(at: scratch.path + "/m", image: image, profile: .nt)
        let files = try machine.fileList()
        for file in image.files {
            let listed = try #require(files.first { $0.path == file.path })
            #expect(listed.size == file.size)
            #expect(listed.version == file.version)
            #expect(try machine.files.readFile(file.path) == file.bytes)
        }
        // The registry lists assemblies in name order.
        let catalog = try machine.catalog()
        #expect(catalog.assemblies == image.assemblies.sorted { $0.name.lowercased() < $1.name.lowercased() })
        #expect(catalog.nativeImages == image.nativeImages)
        let registry = try machine.registry()
        #expect(try registry.value("HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v1.1.4322", "Install") == .dword(1))
        #expect(try registry.keyExists(RegistryKeyPath("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce")))
        #expect(try machine.startupEntries().isEmpty)
    }

    @Test func servicesAndStartupEntriesAreWrittenToTheRegistryAndReadBack() throws {
        var image = MachineImage.minimal
        image.services = [ServiceDefinition(name: "NetFxUpdate", command: "netfxupdate.exe /service", start: .auto)]
        image.startup = [
            StartupEntry(hive: .localMachine, kind: .runOnce, name: "!ngen", command: "ngen.exe System.Web"),
            StartupEntry(hive: .currentUser, kind: .run, name: "tray", command: "tray.exe"),
        ]
        let machine = try MachineDirectory.create(at: scratch.path + "/m", image: image, profile: .nt)
        #expect(try machine.services() == image.services)
        #expect(try machine.startupEntries() == image.startup)
        #expect(
            try machine.registry().value("HKLM\\SYSTEM\\CurrentControlSet\\Services\\NetFxUpdate", "Start") == .dword(2))
    }

    @Test func createRefusesANonEmptyDirectoryAndChangesNothing() throws {
        let dir = scratch.path + "/busy"
        mkdir(dir, 0o755)
        let fd = open(dir + "/keep.txt", O_WRONLY | O_CREAT, 0o644)
        _ = write(fd, "data", 4)
        close(fd)
        #expect(throws: (any Error).self) { try MachineDirectory.create(at: dir, image: .minimal, profile: .nt) }
        var info = stat()
        #expect(lstat(dir + "/drive_c", &info) != 0)
        #expect(lstat(dir + "/profile", &info) != 0)
        #expect(lstat(dir + "/registry.db", &info) != 0)
        #expect(lstat(dir + "/keep.txt", &info) == 0 && info.st_size == 4)
    }

    @Test func createRefusesAFileAndAMissingParent() {
        let file = scratch.path + "/file"
        close(open(file, O_WRONLY | O_CREAT, 0o644))
        #expect(throws: (any Error).self) { try MachineDirectory.create(at: file, image: .minimal, profile: .nt) }
        #expect(throws: (any Error).self) {
            try MachineDirectory.create(at: scratch.path + "/no/such/parent", image: .minimal, profile: .nt)
        }
        var info = stat()
        #expect(lstat(scratch.path + "/no", &info) != 0)
    }

    @Test func createWorksInAnExistingEmptyDirectory() throws {
        let dir = scratch.path + "/empty"
        mkdir(dir, 0o755)
        let machine = try MachineDirectory.create(at: dir, image: .minimal, profile: .nt)
        #expect(try machine.profile() == .nt)
    }

    @Test func openingSomethingThatIsNotAMachineFailsAndCreatesNothing() {
        #expect(throws: (any Error).self) { try MachineDirectory(opening: scratch.path) }
        var info = stat()
        #expect(lstat(scratch.path + "/drive_c", &info) != 0)
    }

    @Test func pendingRenamesAreReadInQueuedOrder() throws {
        let machine = try MachineDirectory.create(at: scratch.path + "/m", image: .minimal, profile: .nt)
        try machine.registry().setValue(
            "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager", "PendingFileRenameOperations",
            .multiString([
                "\\??\\C:\\Windows\\System32\\mscoree.dll.new", "!\\??\\C:\\Windows\\System32\\mscoree.dll",
                "\\??\\C:\\Windows\\System32\\old.tmp", "",
            ]))
        #expect(
            try machine.pendingRenames().map(\.description) == [
                "C:\\Windows\\System32\\mscoree.dll.new -> !C:\\Windows\\System32\\mscoree.dll",
                "C:\\Windows\\System32\\old.tmp -> (delete)",
            ])

        let old = try MachineDirectory.create(at: scratch.path + "/m9x", image: .minimal, profile: .win9x)
        try old.files.writeFile(
            winPath("C:\\Windows\\wininit.ini"),
            Array("[rename]\r\nNUL=C:\\Windows\\old.tmp\r\nC:\\Windows\\System32\\a.dll=C:\\Windows\\a.new\r\n".utf8))
        #expect(
            try old.pendingRenames().map(\.description) == [
                "C:\\Windows\\old.tmp -> (delete)", "C:\\Windows\\a.new -> !C:\\Windows\\System32\\a.dll",
            ])
    }
}
