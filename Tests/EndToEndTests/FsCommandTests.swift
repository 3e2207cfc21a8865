import Foundation
import TestSupport
import Testing

/// `rig fs` through the built binary: exit statuses, messages, and that bad input changes
/// nothing outside the machine directory.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct FsCommandTests {
    /// A parent directory holding the machine `machine/` and a sibling `outside/` with a file.
    final class Sandbox {
        private let scratch = Scratch("rig-fs-e2e")
        var parent: String { scratch.path }
        var machine: String { parent + "/machine" }
        var outside: String { parent + "/outside" }

        init() throws {
            let fm = FileManager.default
            try fm.createDirectory(atPath: machine + "/drive_c/Windows", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try Data("outside".utf8).write(to: URL(fileURLWithPath: outside + "/keep.txt"))
            try Data("dll".utf8).write(to: URL(fileURLWithPath: machine + "/drive_c/Windows/a.dll"))
            // What makes it a machine: its profile and registry (an empty SQLite database).
            try Data("nt\n".utf8).write(to: URL(fileURLWithPath: machine + "/profile"))
            try Data().write(to: URL(fileURLWithPath: machine + "/registry.db"))
            // Links that lead out of the machine, relative and absolute.
            try fm.createSymbolicLink(atPath: machine + "/drive_c/rel", withDestinationPath: "../../outside")
            try fm.createSymbolicLink(atPath: machine + "/drive_c/abs", withDestinationPath: outside)
            try fm.createSymbolicLink(atPath: machine + "/drive_c/keep.txt", withDestinationPath: outside + "/keep.txt")
        }

        /// Every path under the parent except the machine directory, with sizes and contents.
        func outsideSnapshot() -> [String: Data] {
            var result: [String: Data] = [:]
            let fm = FileManager.default
            for entry in (fm.subpaths(atPath: parent) ?? []) where !entry.hasPrefix("machine") {
                result[entry] = fm.contents(atPath: parent + "/" + entry) ?? Data()
            }
            return result
        }
    }

    /// Windows device names and names Win32 would strip are refused with ERROR_INVALID_NAME
    /// (123), by every `rig fs` command, and nothing is created.
    @Test func windowsNameRulesGiveErrorInvalidName() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let box = try Sandbox()
        let m = box.machine
        let cases: [[String]] = [
            ["fs", "open", m, "C:\\Windows\\NUL.txt", "--access", "write", "--share", "none", "--disposition", "create-new"],
            ["fs", "open", m, "C:\\Windows\\con", "--access", "read", "--share", "read"],
            ["fs", "open", m, "C:\\Windows\\a.dll.", "--access", "read", "--share", "read"],
            ["fs", "open", m, "C:\\Windows\\a.dll ", "--access", "read", "--share", "read"],
            ["fs", "open", m, "C:\\Windows\\...", "--access", "read", "--share", "read"],
            ["fs", "move", m, "C:\\Windows\\a.dll", "C:\\Windows\\COM1"],
            ["fs", "move", m, "C:\\Windows\\a.dll", "C:\\Windows\\LPT9.dll", "--delay-until-reboot"],
            ["fs", "delete", m, "C:\\Windows\\aux"],
        ]
        for arguments in cases {
            let result = execute(rig, arguments)
            #expect(result.status == 123, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("ERROR_INVALID_NAME (123)"), "\(arguments): \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: m + "/drive_c/Windows") == ["a.dll"])
        #expect(execute(rig, ["fs", "pending", m]).stdout == "")
    }

    /// A machine whose own entries are links leading out is refused (exit 2) naming the entry,
    /// and nothing is written outside.
    @Test func machineEntriesLinkedOutsideAreRefused() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let box = try Sandbox()
        let m = box.machine
        try FileManager.default.removeItem(atPath: m + "/registry.db")
        try FileManager.default.createSymbolicLink(atPath: m + "/registry.db", withDestinationPath: box.outside + "/registry.db")
        let before = box.outsideSnapshot()
        for arguments in [["fs", "pending", m], ["fs", "open", m, "C:\\Windows\\a.dll", "--access", "read", "--share", "read"]] {
            let result = execute(rig, arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("'registry.db'"), "\(arguments): \(result.stderr)")
        }
        #expect(box.outsideSnapshot() == before)
    }

    @Test func badInputIsRefusedAndChangesNothingOutside() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let box = try Sandbox()
        let before = box.outsideSnapshot()
        let m = box.machine
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["fs", "open", m, "C:\\Windows\\a.dll", "--access", "reed", "--share", "read"], 2, "--access 'reed'"),
            (["fs", "open", m, "C:\\Windows\\a.dll", "--access", "read", "--share", "everything"], 2, "--share 'everything'"),
            (["fs", "open", m, "C:\\Windows\\a.dll"], 2, "--access and --share"),
            (["fs", "open", m, "C:\\Windows\\a.dll", "--image", "--access", "read"], 2, "--image"),
            (
                ["fs", "open", m, "C:\\Windows\\a.dll", "--access", "read", "--share", "read", "--disposition", "sometimes"], 2,
                "--disposition"
            ),
            (["fs", "open", m, "C:\\..\\outside\\x", "--access", "write", "--share", "none", "--disposition", "create-new"], 123, "'..'"),
            (["fs", "open", m, "D:\\x", "--access", "read", "--share", "read"], 123, "drive D:"),
            (["fs", "open", m, "Windows\\a.dll", "--access", "read", "--share", "read"], 123, "ERROR_INVALID_NAME (123)"),
            (["fs", "open", m, "C:\\bad\u{1}name", "--access", "read", "--share", "read"], 123, "ERROR_INVALID_NAME (123)"),
            (
                ["fs", "open", m, "C:\\rel\\new.txt", "--access", "write", "--share", "none", "--disposition", "create-new"], 123,
                "outside the machine"
            ),
            (
                ["fs", "open", m, "C:\\abs\\new.txt", "--access", "write", "--share", "none", "--disposition", "create-always"], 123,
                "outside the machine"
            ),
            (
                ["fs", "open", m, "C:\\keep.txt", "--access", "write", "--share", "none", "--disposition", "truncate-existing"], 123,
                "outside the machine"
            ),
            (["fs", "open", m, "C:\\abs\\keep.txt", "--image"], 123, "outside the machine"),
            (["fs", "move", m, "C:\\Windows\\a.dll", "C:\\rel\\a.dll"], 123, "outside the machine"),
            (["fs", "move", m, "C:\\Windows\\a.dll", "C:\\abs\\keep.txt", "--replace"], 123, "outside the machine"),
            (["fs", "move", m, "C:\\abs\\keep.txt", "C:\\Windows\\stolen.txt"], 123, "outside the machine"),
            (["fs", "move", m, "C:\\Windows\\a.dll", "C:\\rel\\a.dll", "--delay-until-reboot"], 123, "outside the machine"),
            (["fs", "move", m, "C:\\Windows\\a.dll", "C:\\..\\a.dll", "--delay-until-reboot"], 123, "'..'"),
            (["fs", "delete", m, "C:\\abs\\keep.txt"], 123, "outside the machine"),
            (["fs", "delete", m, "C:\\rel\\keep.txt"], 123, "outside the machine"),
            (["fs", "delete", m, "E:\\keep.txt"], 123, "drive E:"),
            (["fs", "open", box.parent + "/no-such-machine", "C:\\x", "--access", "read", "--share", "read"], 2, "no-such-machine"),
            (["fs", "pending", box.parent + "/no-such-machine"], 2, "no-such-machine"),
            (["fs", "move", m], 2, "Missing expected argument"),
        ]
        for (arguments, status, message) in cases {
            let result = execute(rig, arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.isEmpty, "\(arguments)")
        }
        #expect(box.outsideSnapshot() == before)
        #expect(!FileManager.default.fileExists(atPath: box.parent + "/no-such-machine"))
        // The machine itself is as it was: nothing moved, nothing queued.
        #expect(FileManager.default.contents(atPath: m + "/drive_c/Windows/a.dll") == Data("dll".utf8))
        #expect(execute(rig, ["fs", "pending", m]).stdout == "")
    }

    @Test func win32CodesAsExitStatus() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let box = try Sandbox()
        let m = box.machine
        func run(_ arguments: String...) -> ProcessOutcome {
            execute(rig, ["fs"] + arguments)
        }
        #expect(run("open", m, "C:\\Windows\\new.txt", "--access", "write", "--share", "none", "--disposition", "create-new").status == 0)
        let exists = run("open", m, "C:\\Windows\\new.txt", "--access", "write", "--share", "none", "--disposition", "create-new")
        #expect(exists.status == 80 && exists.stderr.contains("ERROR_FILE_EXISTS (80)"))
        let missing = run("open", m, "C:\\Windows\\none.txt", "--access", "read", "--share", "read")
        #expect(missing.status == 2 && missing.stderr.contains("ERROR_FILE_NOT_FOUND (2)"))
        let noPath = run("open", m, "C:\\Nope\\none.txt", "--access", "read", "--share", "read")
        #expect(noPath.status == 3 && noPath.stderr.contains("ERROR_PATH_NOT_FOUND (3)"))
        let already = run("move", m, "C:\\Windows\\new.txt", "C:\\Windows\\a.dll")
        #expect(already.status == 183 && already.stderr.contains("ERROR_ALREADY_EXISTS (183)"))
        #expect(run("move", m, "C:\\Windows\\new.txt", "C:\\Windows\\a.dll", "--replace").status == 0)
        #expect(FileManager.default.contents(atPath: m + "/drive_c/Windows/a.dll") == Data())
        #expect(run("delete", m, "C:\\Windows\\a.dll").status == 0)
        #expect(run("delete", m, "C:\\Windows\\a.dll").status == 2)
        #expect(run("image-less-subcommand").status == 2)
    }

    @Test func delayedMovesAreQueuedInOrder() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let box = try Sandbox()
        let m = box.machine
        #expect(execute(rig, ["fs", "move", m, "C:\\Windows\\a.dll", "C:\\Windows\\a.old", "--delay-until-reboot"]).status == 0)
        #expect(
            execute(rig, ["fs", "move", m, "C:\\Windows\\a.new", "C:\\Windows\\a.dll", "--delay-until-reboot", "--replace"]).status == 0)
        #expect(execute(rig, ["fs", "move", m, "C:\\Windows\\a.old", "--delay-until-reboot"]).status == 0)
        let pending = execute(rig, ["fs", "pending", m])
        #expect(pending.status == 0)
        #expect(
            pending.stdout == """
                C:\\Windows\\a.dll -> C:\\Windows\\a.old
                C:\\Windows\\a.new -> !C:\\Windows\\a.dll
                C:\\Windows\\a.old -> (delete)

                """)
        // Only queued: the file is where it was.
        #expect(FileManager.default.contents(atPath: m + "/drive_c/Windows/a.dll") == Data("dll".utf8))
    }

    @Test func holdBlocksAnotherRigProcess() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let box = try Sandbox()
        let m = box.machine
        let holder = TestProcess([rig, "fs", "open", m, "C:\\Windows\\a.dll", "--access", "read", "--share", "read", "--hold"])
        _ = holder.waitForOutput("held\n")
        #expect(holder.stdoutSoFar == "held\n")
        let blocked = execute(rig, ["fs", "move", m, "C:\\Windows\\a.dll", "C:\\Windows\\b.dll"])
        #expect(blocked.status == 32 && blocked.stderr.contains("ERROR_SHARING_VIOLATION (32)"))
        let write = execute(rig, ["fs", "open", m, "C:\\Windows\\a.dll", "--access", "write", "--share", "all"])
        #expect(write.status == 2)  // "all" is not a share name: usage
        let write2 = execute(rig, ["fs", "open", m, "C:\\Windows\\a.dll", "--access", "write", "--share", "read,write,delete"])
        #expect(write2.status == 32)
        #expect(holder.release().status == 0)
        #expect(execute(rig, ["fs", "move", m, "C:\\Windows\\a.dll", "C:\\Windows\\b.dll"]).status == 0)
    }
}
