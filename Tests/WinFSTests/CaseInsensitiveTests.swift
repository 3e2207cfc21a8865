import Foundation
import Glibc
import TestSupport
import Testing
import WinFS
import WindowsModel

/// Windows names are case-insensitive and case-preserving: every spelling of a name is the one
/// file, and the file keeps the case it was created with. The share-mode and image checks run
/// between real processes (`rig fs open --hold` holds the first handle).
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5))) struct CaseInsensitiveTests {
    /// A machine with `C:\Windows\System32\mscoree.dll` spelled that way on disk.
    func machine() throws -> (ScratchMachine, WindowsPath) {
        let s = try ScratchMachine()
        try s.root.createDirectories(s.win("Windows\\System32"))
        let dll = s.win("Windows\\System32\\mscoree.dll")
        try s.root.writeFile(dll, Array("mscoree".utf8))
        return (s, dll)
    }

    @Test func namesCompareIgnoringCaseOneCharacterToOne() throws {
        #expect(WindowsPath.namesMatch("MSCOREE.DLL", "mscoree.dll"))
        #expect(WindowsPath.namesMatch("Ärger.txt", "äRGER.TXT"))
        #expect(!WindowsPath.namesMatch("straße", "STRASSE"))  // the upcase table maps one to one
        #expect(!WindowsPath.namesMatch("a.dll", "a.dl"))
        #expect(try WindowsPath("c:\\windows\\A.DLL").isSameName(as: WindowsPath("C:\\Windows\\a.dll")))
    }

    @Test func everySpellingOpensTheFileAndListingsKeepItsCase() throws {
        let (s, _) = try machine()
        let other = s.win("WINDOWS\\system32\\MSCOREE.DLL")
        #expect(try s.root.readFile(other) == Array("mscoree".utf8))
        #expect(s.root.exists(other) && s.root.isDirectory(s.win("windows\\SYSTEM32")))
        #expect(try s.root.fileIdentity(other) == s.root.fileIdentity(s.win("Windows\\System32\\mscoree.dll")))
        #expect(s.root.onDiskPath(other).description == "C:\\Windows\\System32\\mscoree.dll")
        // Missing names are still missing, with the right error.
        #expect(win32Code { _ = try s.root.readFile(s.win("WINDOWS\\System32\\missing.dll")) } == 2)
        #expect(win32Code { _ = try s.root.readFile(s.win("WINDOWS\\Nowhere\\missing.dll")) } == 3)
        // A file created through a spelling keeps it; its directories keep theirs.
        let created = s.win("WINDOWS\\SYSTEM32\\New.Dll")
        try s.root.createFile(created, contents: [1])
        try s.root.createDirectories(s.win("windows\\system32\\Drivers\\Etc"))
        #expect(try s.root.list(s.win("")) == ["Windows"])
        #expect(try s.root.list(s.win("windows\\system32")) == ["Drivers", "New.Dll", "mscoree.dll"])
        #expect(try s.root.list(s.win("WINDOWS\\SYSTEM32\\DRIVERS")) == ["Etc"])
        // CopyFile and DeleteFile through other spellings.
        try s.root.copyFile(s.win("windows\\SYSTEM32\\MSCOREE.dll"), to: s.win("WINDOWS\\system32\\Copy.DLL"), failIfExists: true)
        try s.root.deleteFile(s.win("Windows\\System32\\NEW.DLL"))
        #expect(try s.root.list(s.win("Windows\\System32")) == ["Copy.DLL", "Drivers", "mscoree.dll"])
        #expect(try s.root.readFile(s.win("windows\\system32\\copy.dll")) == Array("mscoree".utf8))
    }

    /// CreateFile(CREATE_NEW) of a case variant of an existing file: ERROR_FILE_EXISTS (80); the
    /// other dispositions open the existing file instead of making a second one.
    @Test func createNewOnACaseVariantFailsWithFileExists() throws {
        let (s, dll) = try machine()
        let variant = s.win("Windows\\System32\\MSCOREE.DLL")
        #expect(win32Code { try s.root.open(variant, access: .write, share: .none, disposition: .createNew).close() } == 80)
        #expect(
            win32Code {
                try s.root.copyFile(
                    s.win("Windows\\System32\\mscoree.dll"), to: s.win("windows\\system32\\MsCorEE.dll"), failIfExists: true)
            } == 80)
        let opened = try s.root.open(variant, access: .read, share: .all, disposition: .openAlways)
        #expect(!opened.created)
        #expect(try opened.identity() == s.root.fileIdentity(dll))
        opened.close()
        let truncated = try s.root.open(variant, access: .write, share: .all, disposition: .createAlways)
        #expect(!truncated.created)
        truncated.close()
        #expect(try s.root.list(s.win("Windows\\System32")) == ["mscoree.dll"])
        #expect(try s.root.readFile(dll).isEmpty)
    }

    /// Opens through two spellings from two processes are opens of one file.
    @Test func shareModesConflictAcrossSpellingsAndProcesses() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let (s, _) = try machine()
        let holder = try TestProcess(
            [rig, "fs", "open", s.path, "c:\\windows\\system32\\MSCOREE.DLL", "--access", "write", "--share", "read", "--hold"],
            until: "held\n")
        #expect(win32Code { try s.root.open(s.win("WINDOWS\\System32\\mscoree.dll"), access: .write, share: .all).close() } == 32)
        #expect(win32Code { try s.root.moveFile(s.win("Windows\\SYSTEM32\\MsCoree.dll"), to: s.win("Windows\\x.dll")) } == 32)
        try s.root.open(s.win("Windows\\System32\\Mscoree.Dll"), access: .read, share: [.read, .write]).close()
        // And the other way round: a second process opening through yet another spelling.
        let second = execute(rig, ["fs", "open", s.path, "C:\\WINDOWS\\SYSTEM32\\mscoree.dll", "--access", "read", "--share", "read"])
        #expect(second.status == 32, "\(second.stderr)")
        #expect(second.stderr.contains("ERROR_SHARING_VIOLATION (32)"))
        #expect(holder.release().status == 0)
        try s.root.open(s.win("WINDOWS\\System32\\mscoree.dll"), access: .write, share: .none).close()
    }

    /// An image loaded through one spelling by another process blocks writing, deleting and
    /// replacing through any other spelling.
    @Test func anImageLoadedThroughOneCaseBlocksAWriteThroughAnother() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let (s, _) = try machine()
        let holder = try TestProcess(
            [rig, "fs", "open", s.path, "c:\\windows\\system32\\MSCOREE.DLL", "--image", "--hold"], until: "held\n")
        let upper = s.win("WINDOWS\\SYSTEM32\\MSCOREE.DLL")
        #expect(win32Code { try s.root.open(upper, access: .write, share: .all).close() } == 32)
        #expect(win32Code { try s.root.deleteFile(s.win("Windows\\System32\\MsCoree.dll")) } == 5)
        try s.root.writeFile(s.win("Windows\\System32\\mscoree.new"), Array("new".utf8))
        #expect(win32Code { try s.root.moveFile(s.win("Windows\\System32\\mscoree.new"), to: upper, flags: .replaceExisting) } == 5)
        #expect(holder.release().status == 0)
        try s.root.moveFile(s.win("Windows\\System32\\mscoree.new"), to: upper, flags: .replaceExisting)
        #expect(try s.root.list(s.win("Windows\\System32")) == ["mscoree.dll"])
        #expect(try s.root.readFile(s.win("windows\\system32\\mscoree.dll")) == Array("new".utf8))
    }

    /// MoveFileEx onto a case variant of an existing file is a move onto that file: 183 without
    /// REPLACE_EXISTING, a replacement (keeping the existing name's case, as Wine does) with it,
    /// and 5 while another process holds the target open.
    @Test func moveOntoACaseVariantOfAnExistingFile() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let (s, dll) = try machine()
        let new = s.win("Windows\\System32\\mscoree.new")
        try s.root.writeFile(new, Array("new".utf8))
        let variant = s.win("WINDOWS\\SYSTEM32\\MSCOREE.DLL")
        #expect(win32Code { try s.root.moveFile(new, to: variant) } == 183)
        let holder = try TestProcess(
            [
                rig, "fs", "open", s.path, "C:\\Windows\\System32\\mscoree.dll", "--access", "read", "--share", "read,write,delete",
                "--hold",
            ], until: "held\n")
        #expect(win32Code { try s.root.moveFile(new, to: variant, flags: .replaceExisting) } == 5)
        #expect(holder.release().status == 0)
        try s.root.moveFile(new, to: variant, flags: .replaceExisting)
        #expect(try s.root.list(s.win("Windows\\System32")) == ["mscoree.dll"])
        #expect(try s.root.readFile(dll) == Array("new".utf8))
    }

    /// Renaming a file to its own name in another case renames it in place, changing the case.
    @Test func renamingToAnotherCaseOfItsNameChangesTheCase() throws {
        let (s, dll) = try machine()
        let before = try s.root.fileIdentity(dll)
        try s.root.moveFile(s.win("WINDOWS\\system32\\MSCOREE.dll"), to: s.win("windows\\SYSTEM32\\MsCorEE.DLL"))
        #expect(try s.root.list(s.win("Windows\\System32")) == ["MsCorEE.DLL"])
        #expect(try s.root.fileIdentity(s.win("Windows\\System32\\mscoree.dll")) == before)
    }

    /// Processes creating four spellings of one new name at once make one file: a name is added
    /// to a directory only under the directory's entry lock (an exclusive `flock` on it), after
    /// looking for a case variant. The test holds that lock while the four start, so all of them
    /// are inside the window at once; released, exactly one creates and the others get 80.
    @Test func racingCreatorsOfFourSpellingsMakeOneFile() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let (s, _) = try machine()
        for round in 0..<3 {
            let directory = Glibc.open(s.host("Windows"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            #expect(directory >= 0 && flock(directory, LOCK_EX) == 0)
            var racers: [Process] = []
            for spelling in ["race\(round).dat", "RACE\(round).DAT", "Race\(round).Dat", "rACE\(round).dAT"] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: rig)
                process.arguments = [
                    "fs", "open", s.path, "C:\\Windows\\" + spelling, "--access", "write", "--share", "read,write,delete", "--disposition",
                    "create-new",
                ]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                racers.append(process)
            }
            for process in racers { try process.run() }
            usleep(300_000)
            // Nobody adds a name while the directory's entry lock is held.
            let waiting = racers.allSatisfy { $0.isRunning }
            #expect(waiting, "round \(round): a creator did not wait for the entry lock")
            #expect(try s.root.list(s.win("Windows")).filter { WindowsPath.namesMatch($0, "race\(round).dat") }.isEmpty)
            flock(directory, LOCK_UN)
            Glibc.close(directory)
            var statuses: [Int32] = []
            for process in racers {
                process.waitUntilExit()
                statuses.append(process.terminationStatus)
            }
            #expect(statuses.filter { $0 == 0 }.count == 1 && statuses.filter { $0 == 80 }.count == 3, "round \(round): \(statuses)")
            #expect(try s.root.list(s.win("Windows")).filter { WindowsPath.namesMatch($0, "race\(round).dat") }.count == 1)
        }
    }

    /// A move to a new name adds it under the directory's entry lock too: it waits while the
    /// lock is held (without ever blocking on it while it holds the source's gate), then moves.
    @Test func aMoveToANewNameWaitsForTheEntryLock() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let (s, _) = try machine()
        try s.root.writeFile(s.win("Windows\\Setup.log"), [1])
        let directory = Glibc.open(s.host("Windows/System32"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(directory >= 0 && flock(directory, LOCK_EX) == 0)
        let mover = Process()
        mover.executableURL = URL(fileURLWithPath: rig)
        mover.arguments = ["fs", "move", s.path, "C:\\WINDOWS\\setup.LOG", "c:\\windows\\system32\\Moved.Log"]
        try mover.run()
        usleep(300_000)
        let waiting = mover.isRunning
        #expect(waiting, "the move did not wait for the entry lock")
        #expect(try s.root.list(s.win("Windows\\System32")) == ["mscoree.dll"])
        flock(directory, LOCK_UN)
        Glibc.close(directory)
        mover.waitUntilExit()
        #expect(mover.terminationStatus == 0)
        #expect(try s.root.list(s.win("Windows\\System32")) == ["Moved.Log", "mscoree.dll"])
    }

    /// Containment is as strict as before: a link leaving the machine is refused whatever the
    /// spelling that reaches it.
    @Test func aLinkLeavingTheMachineIsRefusedInEveryCase() throws {
        let s = try ScratchMachine()
        let outside = s.path + "-outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: s.host("Out"), withDestinationPath: outside)
        #expect(win32Code { _ = try s.root.readFile(s.win("OUT\\secret.txt")) } == 123)
        #expect(win32Code { _ = try s.root.readFile(s.win("out\\SECRET.TXT")) } == 123)
        #expect(win32Code { try s.root.createFile(s.win("OUT\\new.txt"), contents: [1]) } == 123)
        #expect(!FileManager.default.fileExists(atPath: outside + "/new.txt"))
    }
}
