import Foundation
import TestSupport
import Testing
import WinFS
import WindowsModel

/// Share modes and images between real processes: a `rig fs open --hold` process holds the
/// first handle, this test process makes the second opens.
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5))) struct CrossProcessTests {
    /// 64 holder processes × 64 second opens from this process = 4096 cases.
    @Test func pairMatrixAcrossProcesses() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        let path = s.win("shared.dat")
        try s.root.writeFile(path, [1, 2, 3])
        var cases = 0
        for a1 in allAccess {
            for s1 in allShare {
                let holder = try TestProcess(
                    [rig, "fs", "open", s.path, path.description, "--access", a1.description, "--share", s1.description, "--hold"],
                    until: "held\n")
                for a2 in allAccess {
                    for s2 in allShare {
                        let expected = oracleAllows(existing: [(a1.rawValue, s1.rawValue)], access: a2.rawValue, share: s2.rawValue)
                        let code = win32Code { try s.root.open(path, access: a2, share: s2).close() }
                        #expect(code == (expected ? nil : 32), "holder \(a1)/\(s1), this process \(a2)/\(s2)")
                        cases += 1
                    }
                }
                #expect(holder.release().status == 0)
            }
        }
        #expect(cases == 4096)
    }

    /// The first open in this process, the second from a `rig fs open` process (its exit
    /// status is the Win32 code), for a spread of combinations.
    @Test func secondOpenFromAnotherProcess() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        let path = s.win("f.dat")
        try s.root.writeFile(path, [1])
        let cases: [(Access, ShareMode, Access, ShareMode)] = [
            (.read, .read, .read, .read), (.read, .read, .write, .all), (.write, .none, .none, .none),
            (.delete, .all, .read, [.read, .write]), ([.read, .write], .all, .read, .read),
        ]
        for (a1, s1, a2, s2) in cases {
            let first = try s.root.open(path, access: a1, share: s1)
            let result = execute(rig, ["fs", "open", s.path, path.description, "--access", a2.description, "--share", s2.description])
            let expected = oracleAllows(existing: [(a1.rawValue, s1.rawValue)], access: a2.rawValue, share: s2.rawValue)
            #expect(result.status == (expected ? 0 : 32), "\(a1)/\(s1) then \(a2)/\(s2): \(result.stderr)")
            if !expected { #expect(result.stderr.contains("ERROR_SHARING_VIOLATION (32)")) }
            first.close()
        }
    }

    @Test func lockReleasedWhenHolderIsKilled() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        let path = s.win("locked.dat")
        try s.root.writeFile(path, [1])
        let holder = try TestProcess(
            [rig, "fs", "open", s.path, path.description, "--access", "write", "--share", "none", "--hold"], until: "held\n")
        #expect(win32Code { try s.root.open(path, access: .read, share: .all).close() } == 32)
        #expect(win32Code { try s.root.moveFile(path, to: s.win("moved.dat")) } == 32)
        holder.kill()
        try s.root.open(path, access: .write, share: .none).close()
        try s.root.moveFile(path, to: s.win("moved.dat"))
    }

    @Test func sigtermReleasesAndExitsZero() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        let path = s.win("t.dat")
        try s.root.writeFile(path, [1])
        let holder = try TestProcess(
            [rig, "fs", "open", s.path, path.description, "--access", "read", "--share", "none", "--hold"], until: "held\n")
        #expect(win32Code { try s.root.open(path, access: .read, share: .all).close() } == 32)
        #expect(holder.terminate().status == 0)
        try s.root.open(path, access: .read, share: .none).close()
    }

    /// An image loaded by another process: write 32, delete 5, replace 5, rename allowed; a new
    /// file put in place is free and loads with the new bytes.
    @Test func imageHeldByAnotherProcess() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        try s.root.createDirectories(s.win("Windows"))
        let dll = s.win("Windows\\x.dll")
        try s.root.writeFile(dll, Array("old".utf8))
        let holder = try TestProcess([rig, "fs", "open", s.path, dll.description, "--image", "--hold"], until: "held\n")
        #expect(win32Code { try s.root.open(dll, access: .write, share: .all).close() } == 32)
        #expect(win32Code { try s.root.deleteFile(dll) } == 5)
        try s.root.writeFile(s.win("Windows\\x.new"), Array("new".utf8))
        #expect(win32Code { try s.root.moveFile(s.win("Windows\\x.new"), to: dll, flags: .replaceExisting) } == 5)
        try s.root.open(dll, access: .read, share: .none).close()
        try s.root.open(dll, access: .delete, share: .none).close()
        let aside = try s.root.renameAside(dll)
        try s.root.moveFile(s.win("Windows\\x.new"), to: dll)
        try s.root.open(dll, access: .write, share: .all).close()  // the new file is not loaded
        #expect(try s.root.loadImage(dll).contents() == Array("new".utf8))
        #expect(win32Code { try s.root.deleteFile(aside) } == 5)  // still loaded by the holder
        #expect(holder.release().status == 0)
        try s.root.deleteFile(aside)
    }

    /// Eight processes race for an exclusive handle at once: the gate lets exactly one win, the
    /// others exit with ERROR_SHARING_VIOLATION (32).
    @Test func exclusiveOpenRace() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        let path = s.win("race.dat")
        try s.root.writeFile(path, [1])
        var racers: [(Process, Pipe, Pipe)] = []
        for _ in 0..<8 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: rig)
            process.arguments = ["fs", "open", s.path, path.description, "--access", "read,write", "--share", "none", "--hold"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            racers.append((process, input, output))
        }
        for (process, _, _) in racers { try process.run() }
        // Nobody is released before every racer has either held or failed.
        var winners: [(Process, Pipe)] = []
        for (process, input, output) in racers {
            let first = output.fileHandleForReading.availableData
            if String(decoding: first, as: UTF8.self) == "held\n" {
                winners.append((process, input))
            } else {
                process.waitUntilExit()
                #expect(process.terminationStatus == 32)
            }
        }
        #expect(win32Code { try s.root.open(path, access: .read, share: .all).close() } == 32)
        for (process, input) in winners {
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        #expect(winners.count == 1)
    }
}
