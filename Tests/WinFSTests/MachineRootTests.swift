import Foundation
import Testing
import WinFS

@Suite struct MachineRootTests {
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
        let s = try Scratch()
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
        let s = try Scratch()
        try s.root.createDirectories(s.win("Windows"))
        #expect(win32Code { _ = try s.root.readFile(s.win("Windows\\x.dll")) } == 2)
        #expect(win32Code { _ = try s.root.readFile(s.win("Nope\\x.dll")) } == 3)
        #expect(win32Code { try s.root.writeFile(s.win("Nope\\x.dll"), [1]) } == 3)
        #expect(win32Code { try s.root.removeFile(s.win("Windows\\x.dll")) } == 2)
    }

    @Test func symlinksLeadingOutAreRefused() throws {
        let s = try Scratch()
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
