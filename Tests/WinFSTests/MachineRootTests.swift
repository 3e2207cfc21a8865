import Foundation
import TestSupport
import Testing
import WinFS
import WindowsModel

@Suite(.forkFree) struct MachineRootTests {
    @Test func missingMachineDirectoryIsNamed() {
        do {
            _ = try MachineRoot(path: "/nonexistent-machine-\(getpid())")
            Issue.record("opened a missing machine")
        } catch {
            #expect(error.code == 3)
            #expect(error.message.contains("/nonexistent-machine-"))
        }
    }

    @Test func layOutAndReadBack() throws {
        let s = try ScratchMachine()
        try s.root.createDirectories(s.win("Windows\\System32"))
        try s.root.createDirectories(s.win("Windows\\System32"))  // again: fine
        try s.root.writeFile(s.win("Windows\\System32\\a.dll"), [1, 2, 3])
        try s.root.writeFile(s.win("Windows\\System32\\a.dll"), [4, 5])
        #expect(try s.root.readFile(s.win("Windows\\System32\\a.dll")) == [4, 5])
        #expect(s.root.exists(s.win("Windows\\System32\\a.dll")))
        #expect(s.root.isDirectory(s.win("Windows")))
        #expect(!s.root.exists(s.win("Windows\\nope.dll")))
        #expect(try s.root.list(s.win("Windows\\System32")) == ["a.dll"])
        #expect(FileManager.default.fileExists(atPath: s.host("Windows/System32/a.dll")))
        try s.root.removeFile(s.win("Windows\\System32\\a.dll"))
        #expect(try s.root.list(s.win("Windows\\System32")) == [])
    }

    @Test func missingFileVersusMissingDirectory() throws {
        let s = try ScratchMachine()
        try s.root.createDirectories(s.win("Windows"))
        #expect(win32Code { _ = try s.root.readFile(s.win("Windows\\x.dll")) } == 2)
        #expect(win32Code { _ = try s.root.readFile(s.win("Nope\\x.dll")) } == 3)
        #expect(win32Code { try s.root.writeFile(s.win("Nope\\x.dll"), [1]) } == 3)
        #expect(win32Code { try s.root.removeFile(s.win("Windows\\x.dll")) } == 2)
    }

    @Test func symlinksLeadingOutAreRefused() throws {
        let s = try ScratchMachine()
        let outside = s.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: s.host("abs"), withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: s.host("rel"), withDestinationPath: "../outside")
        try FileManager.default.createSymbolicLink(atPath: s.host("file"), withDestinationPath: outside + "/secret.txt")
        for name in ["abs\\secret.txt", "rel\\secret.txt", "file"] {
            #expect(win32Code { _ = try s.root.readFile(s.win(name)) } == 123, "\(name)")
        }
        #expect(win32Code { try s.root.writeFile(s.win("abs\\new.txt"), [1]) } == 123)
        #expect(win32Code { try s.root.createDirectories(s.win("rel\\made")) } != nil)
        #expect(!FileManager.default.fileExists(atPath: outside + "/new.txt"))
        #expect(!FileManager.default.fileExists(atPath: outside + "/made"))
        // A link that stays inside drive C: is followed.
        try s.root.createDirectories(s.win("real"))
        try s.root.writeFile(s.win("real\\f.txt"), [7])
        try FileManager.default.createSymbolicLink(atPath: s.host("inside"), withDestinationPath: "real")
        #expect(try s.root.readFile(s.win("inside\\f.txt")) == [7])
    }

    @Test func lexicallyRefusedPaths() {
        for text in ["C:\\a\u{0}b", "C:\\..\\x", "C:\\a\\..\\..\\x", "D:\\x", "x", "C:x", "C:\\a:b", "C:\\a\u{1}"] {
            #expect(throws: PathError.self, "\(text)") { try WindowsPath(text) }
        }
        let error = Win32Error(PathError("D:\\x", "other drive"))
        #expect(error.code == 123)
    }

    @Test func win32ErrorDescription() {
        #expect(Win32Error.sharingViolation.description == "ERROR_SHARING_VIOLATION (32)")
        #expect(Win32Error(183).description == "ERROR_ALREADY_EXISTS (183)")
        let e = Win32Error(errno: ENOENT, operation: "open", path: "C:\\x")
        #expect(e == .fileNotFound)
        #expect(e.message == "open C:\\x: ERROR_FILE_NOT_FOUND (2)")
    }
}

@Suite(.forkFree) struct WindowsNameRuleTests {
    /// Names Windows gives another meaning (a device, a stripped name) are refused with
    /// ERROR_INVALID_NAME (123), in every spelling and at every level of a path.
    @Test func deviceNamesAreRefused() {
        for name in [
            "CON", "con", "PRN", "AUX", "NUL", "nul", "COM1", "com9", "LPT1", "Lpt9",
            "NUL.txt", "con.dll", "AUX.tar.gz", "NUL ", "COM1 .txt",
        ] {
            for text in ["C:\\" + name, "C:\\Windows\\" + name, "C:\\" + name + "\\x.dll", "\\??\\C:\\Windows\\" + name] {
                #expect(throws: PathError.self, "\(text)") { try WindowsPath(text) }
            }
        }
        do {
            _ = try WindowsPath("C:\\Windows\\NUL.txt")
        } catch {
            #expect(Win32Error(error).code == 123)
            #expect(error.reason.contains("device"))
        }
    }

    @Test func lookAlikesOfDeviceNamesAreFiles() throws {
        for name in ["CONSOLE", "NULL", "COM0", "COM10", "LPT", "COM", "xNUL", "nul_", "CON-1.txt", "a.NUL", "AUX1"] {
            #expect(try WindowsPath("C:\\" + name).name == name)
        }
    }

    @Test func trailingDotsAndSpacesAreRefused() {
        for text in [
            "C:\\a.", "C:\\a.txt.", "C:\\a ", "C:\\a. .", "C:\\dir.\\a.txt", "C:\\dir \\a.txt", "C:\\...",
            "C:\\Windows\\...\\x", "C:\\....", "\\??\\C:\\a.",
        ] {
            #expect(throws: PathError.self, "\(text)") { try WindowsPath(text) }
        }
        // A dot inside a name, a leading dot or space, and `.` as a component are fine.
        for text in ["C:\\a.b.c", "C:\\.hidden", "C:\\ lead", "C:\\Windows\\.\\x.dll", "C:\\a b\\c d.txt"] {
            #expect(throws: Never.self, "\(text)") { try WindowsPath(text) }
        }
    }
}

/// Every entry point that takes a Windows path refuses a symbolic link on the way that leads out
/// of drive C:, and nothing outside is read, written, moved or removed.
@Suite(.forkFree) struct SymlinkEntryPointTests {
    /// A machine with `C:\abs` (absolute link) and `C:\rel` (relative link) to `<machine>/outside`
    /// holding `secret.txt`, `C:\file` linked to that file, and `C:\in\a.txt` inside.
    private func setUp() throws -> (ScratchMachine, outside: String) {
        let s = try ScratchMachine()
        let outside = s.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: s.host("abs"), withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: s.host("rel"), withDestinationPath: "../outside")
        try FileManager.default.createSymbolicLink(atPath: s.host("file"), withDestinationPath: outside + "/secret.txt")
        try s.root.createDirectories(s.win("in"))
        try s.root.writeFile(s.win("in\\a.txt"), [1])
        return (s, outside)
    }

    private func outsideIsIntact(_ outside: String) -> Bool {
        (try? FileManager.default.contentsOfDirectory(atPath: outside)) == ["secret.txt"]
            && FileManager.default.contents(atPath: outside + "/secret.txt") == Data("secret".utf8)
    }

    @Test func open() throws {
        let (s, outside) = try setUp()
        for name in ["abs\\secret.txt", "rel\\secret.txt"] {
            #expect(win32Code { _ = try s.root.open(s.win(name), access: .read, share: .all) } == 123, "\(name)")
            #expect(win32Code { _ = try s.root.open(s.win(name), access: .write, share: .none, disposition: .createAlways) } == 123)
        }
        #expect(win32Code { _ = try s.root.open(s.win("abs\\new.txt"), access: .write, share: .none, disposition: .createNew) } == 123)
        #expect(win32Code { _ = try s.root.open(s.win("file"), access: .read, share: .all) } == 123)
        #expect(win32Code { _ = try s.root.loadImage(s.win("abs\\secret.txt")) } == 123)
        #expect(outsideIsIntact(outside))
    }

    @Test func move() throws {
        let (s, outside) = try setUp()
        #expect(win32Code { try s.root.moveFile(s.win("in\\a.txt"), to: s.win("abs\\a.txt")) } == 123)
        #expect(win32Code { try s.root.moveFile(s.win("in\\a.txt"), to: s.win("rel\\a.txt"), flags: .replaceExisting) } == 123)
        #expect(win32Code { try s.root.moveFile(s.win("abs\\secret.txt"), to: s.win("in\\b.txt")) } == 123)
        #expect(win32Code { try s.root.moveFile(s.win("in\\a.txt"), to: s.win("abs\\secret.txt"), flags: .replaceExisting) } == 123)
        #expect(win32Code { try s.root.moveFile(s.win("abs\\secret.txt"), to: nil) } == 123)
        #expect(try s.root.readFile(s.win("in\\a.txt")) == [1])
        #expect(outsideIsIntact(outside))
    }

    @Test func delete() throws {
        let (s, outside) = try setUp()
        #expect(win32Code { try s.root.deleteFile(s.win("abs\\secret.txt")) } == 123)
        #expect(win32Code { try s.root.deleteFile(s.win("rel\\secret.txt")) } == 123)
        #expect(win32Code { try s.root.removeFile(s.win("abs\\secret.txt")) } == 123)
        #expect(outsideIsIntact(outside))
    }

    @Test func copy() throws {
        let (s, outside) = try setUp()
        #expect(win32Code { try s.root.copyFile(s.win("abs\\secret.txt"), to: s.win("in\\copy.txt"), failIfExists: true) } == 123)
        #expect(!s.root.exists(s.win("in\\copy.txt")))
        #expect(win32Code { try s.root.copyFile(s.win("in\\a.txt"), to: s.win("abs\\copy.txt"), failIfExists: true) } == 123)
        #expect(win32Code { try s.root.copyFile(s.win("in\\a.txt"), to: s.win("rel\\secret.txt"), failIfExists: false) } == 123)
        #expect(win32Code { try s.root.copyFile(s.win("in\\a.txt"), to: s.win("file"), failIfExists: false) } == 123)
        #expect(outsideIsIntact(outside))
    }

    @Test func createDirectory() throws {
        let (s, outside) = try setUp()
        #expect(win32Code { try s.root.createDirectories(s.win("abs\\made")) } == 123)
        #expect(win32Code { try s.root.createDirectories(s.win("rel\\made\\deeper")) } == 123)
        #expect(win32Code { try s.root.writeFile(s.win("rel\\w.txt"), [1]) } == 123)
        #expect(outsideIsIntact(outside))
    }
}
