import Glibc
import Machine
import Registry
import TestSupport
import Testing
import WinFS
import WindowsModel

/// A symbolic link planted among a machine directory's own entries must never make the machine
/// read or write outside it: the machine is refused, naming the entry.
@Suite(.forkFree) struct MachineContainmentTests {
    /// A machine in `scratch/machine` and an `outside` directory beside it.
    private func machineAndOutside(_ scratch: Scratch) throws -> (machine: String, outside: String) {
        let machine = scratch.path + "/machine"
        let outside = scratch.path + "/outside"
        try MachineDirectory.create(at: machine, image: .minimal, profile: .nt)
        #expect(mkdir(outside, 0o755) == 0)
        return (machine, outside)
    }

    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    @Test func objectsLinkedOutsideIsRefusedAndTheMutexIsNotCreatedThere() throws {
        let scratch = Scratch("machine-test")
        let (machine, outside) = try machineAndOutside(scratch)
        let root = try MachineRoot(path: machine)
        // Planted after the machine was opened: the mutex itself must not follow it.
        _ = system("rm -rf '\(machine)/objects'")
        #expect(symlink(outside, machine + "/objects") == 0)
        do {
            _ = try NamedMutex(NamedMutex.installer, machine: root)
            Issue.record("the mutex was opened through a link leading out")
        } catch {
            #expect(error.code == 123)
            #expect(error.message.contains("objects"))
        }
        #expect(!exists(outside + "/" + NamedMutex.installer))
        // Opening the machine afterwards refuses it, naming the entry.
        do {
            _ = try MachineRoot(path: machine)
            Issue.record("a machine with a linked 'objects' was opened")
        } catch {
            #expect(error.code == 123)
            #expect(error.message.contains("'objects'"))
        }
    }

    @Test(arguments: ["registry.db", "registry.db-wal", "registry.db-shm", "registry.db-journal"])
    func registryFilesLinkedOutsideAreRefused(_ entry: String) throws {
        let scratch = Scratch("machine-test")
        let (machine, outside) = try machineAndOutside(scratch)
        let target = outside + "/" + entry
        if entry == "registry.db" {
            _ = system("mv '\(machine)/registry.db' '\(target)'")
        } else {
            _ = unlink(machine + "/" + entry)
        }
        #expect(symlink(target, machine + "/" + entry) == 0)
        var before = stat()
        let existedBefore = lstat(target, &before) == 0
        var thrown = ""
        do {
            let registry = try Registry(machineDirectory: machine)
            try registry.setValue(try RegistryKeyPath("HKLM\\SOFTWARE\\Planted"), "x", .dword(1))
        } catch {
            thrown = "\(error)"
        }
        #expect(thrown.contains("'\(entry)'"), "the registry was opened through \(entry) linked outside")
        #expect(thrown.contains("symbolic link"))
        var after = stat()
        if existedBefore {
            #expect(lstat(target, &after) == 0 && after.st_size == before.st_size && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        } else {
            #expect(!exists(target))
        }
        var opened = ""
        do { _ = try MachineDirectory(opening: machine) } catch { opened = (error as? Win32Error)?.message ?? "\(error)" }
        #expect(opened.contains("ERROR_INVALID_NAME (123)"), "a machine with \(entry) linked outside was opened")
        #expect(opened.contains("'\(entry)'"))
    }

    @Test func profileLinkedOutsideIsRefused() throws {
        let scratch = Scratch("machine-test")
        let (machine, outside) = try machineAndOutside(scratch)
        let fd = open(outside + "/profile", O_WRONLY | O_CREAT, 0o644)
        _ = write(fd, "win9x\n", 6)
        close(fd)
        _ = unlink(machine + "/profile")
        #expect(symlink(outside + "/profile", machine + "/profile") == 0)
        #expect(throws: Win32Error.self) { try MachineRoot(path: machine) }
    }

    @Test func aRegularFileWhereADirectoryBelongsIsRefused() throws {
        let scratch = Scratch("machine-test")
        let (machine, _) = try machineAndOutside(scratch)
        _ = system("rm -rf '\(machine)/objects'")
        close(open(machine + "/objects", O_WRONLY | O_CREAT, 0o644))
        do {
            _ = try MachineRoot(path: machine)
            Issue.record("opened")
        } catch {
            #expect(error.code == 123)
            #expect(error.message.contains("'objects'"))
        }
    }
}
