import Foundation
import Glibc
import TestSupport
import Testing
import WindowsModel

@testable import WinFS

/// DeleteFile on a file that other processes hold (sharing delete): delete-pending until the
/// last handle is gone, as NTFS does it.
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5))) struct DeletePendingTests {
    /// A holder in another process that shares delete: DeleteFile succeeds, but the name stays and
    /// every use of it fails as Windows fails it, until the holder is gone.
    @Test func heldNameStaysUntilTheHolderIsGone() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        let path = s.win("doc.dat")
        let other = s.win("other.dat")
        try s.root.writeFile(path, [1, 2, 3])
        try s.root.writeFile(other, [9])
        let holder = try TestProcess(
            [rig, "fs", "open", s.path, path.description, "--access", "read", "--share", "read,write,delete", "--hold"], until: "held\n")
        try s.root.deleteFile(path)
        // The name stays (FindFirstFile still lists it) ...
        #expect(FileManager.default.fileExists(atPath: s.host("doc.dat")))
        #expect(try s.root.list(WindowsPath(components: [])).contains("doc.dat"))
        #expect(s.root.exists(path))
        #expect(s.root.isDeletePending(path))
        // ... but every open of it fails with STATUS_DELETE_PENDING → ERROR_ACCESS_DENIED (5).
        #expect(win32Code { try s.root.open(path, access: .read, share: .all).close() } == 5)
        #expect(win32Code { try s.root.open(path, access: .none, share: .all).close() } == 5)
        #expect(win32Code { try s.root.open(path, access: .write, share: .none, disposition: .createNew).close() } == 5)
        #expect(win32Code { try s.root.open(path, access: .write, share: .none, disposition: .createAlways).close() } == 5)
        #expect(win32Code { try s.root.open(path, access: .read, share: .all, disposition: .openAlways).close() } == 5)
        #expect(win32Code { _ = try s.root.loadImage(path) } == 5)
        #expect(win32Code { try s.root.deleteFile(path) } == 5)
        #expect(win32Code { try s.root.moveFile(path, to: s.win("renamed.dat")) } == 5)
        // The name cannot be reused: a move onto it meets an open file.
        #expect(win32Code { try s.root.moveFile(other, to: path, flags: [.replaceExisting]) } == 5)
        #expect(win32Code { try s.root.moveFile(other, to: path) } == 183)
        #expect(win32Code { try s.root.copyFile(other, to: path, failIfExists: true) } == 5)
        // Another process meets the same.
        #expect(execute(rig, ["fs", "open", s.path, path.description, "--access", "read", "--share", "read,write,delete"]).status == 5)

        holder.kill()  // no code runs at its end: the kernel drops its locks
        // The next operation meeting the name completes the delete and finds it free.
        #expect(win32Code { try s.root.open(path, access: .read, share: .all).close() } == 2)
        #expect(!FileManager.default.fileExists(atPath: s.host("doc.dat")))
        try s.root.createFile(path, contents: [7], share: .none)
        #expect(try s.root.readFile(path) == [7])
    }

    /// Once the holder is gone, listings (and the machine snapshots built on them) no longer
    /// show the file, and a CREATE_NEW, a rename onto the name and a load behave as for a free name.
    @Test func completedDeleteLeavesListingsAndFreesTheName() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        try s.root.createDirectories(s.win("dir"))
        let path = s.win("dir\\a.dll")
        try s.root.writeFile(path, [1])
        try s.root.writeFile(s.win("dir\\b.dll"), [2])
        let holder = try TestProcess(
            [rig, "fs", "open", s.path, path.description, "--access", "none", "--share", "read,write,delete", "--hold"], until: "held\n")
        try s.root.deleteFile(path)
        #expect(try s.root.list(s.win("dir")) == ["a.dll", "b.dll"])
        #expect(holder.release().status == 0)
        #expect(try s.root.list(s.win("dir")) == ["b.dll"])
        #expect(!FileManager.default.fileExists(atPath: s.host("dir/a.dll")))

        // The same for each kind of operation meeting the name first.
        for meet in ["exists", "createNew", "moveOnto", "load", "delete"] {
            try s.root.writeFile(path, [1])
            let again = try TestProcess(
                [rig, "fs", "open", s.path, path.description, "--access", "read", "--share", "read,write,delete", "--hold"], until: "held\n"
            )
            try s.root.deleteFile(path)
            #expect(win32Code { try s.root.open(path, access: .read, share: .all).close() } == 5, "\(meet)")
            again.kill()
            switch meet {
            case "exists": #expect(!s.root.exists(path))
            case "createNew": try s.root.createFile(path, contents: [3])
            case "moveOnto":
                try s.root.writeFile(s.win("dir\\c.dll"), [4])
                try s.root.moveFile(s.win("dir\\c.dll"), to: path)
                #expect(try s.root.readFile(path) == [4])
            case "load": #expect(win32Code { _ = try s.root.loadImage(path) } == 2)
            default: #expect(win32Code { try s.root.deleteFile(path) } == 2)
            }
            if s.root.exists(path) { try s.root.removeFile(path) }
        }
    }

    /// With no other handle the file goes at once; a holder that does not share delete still
    /// makes DeleteFile fail (32) and marks nothing; an image still makes it fail with 5.
    @Test func otherCasesAreUnchanged() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        let path = s.win("x.dat")
        try s.root.writeFile(path, [1])
        try s.root.deleteFile(path)
        #expect(!FileManager.default.fileExists(atPath: s.host("x.dat")))

        try s.root.writeFile(path, [1])
        let hard = try TestProcess(
            [rig, "fs", "open", s.path, path.description, "--access", "read", "--share", "read", "--hold"], until: "held\n")
        #expect(win32Code { try s.root.deleteFile(path) } == 32)
        hard.kill()
        try s.root.open(path, access: .read, share: .all).close()

        let image = try TestProcess([rig, "fs", "open", s.path, path.description, "--image", "--hold"], until: "held\n")
        #expect(win32Code { try s.root.deleteFile(path) } == 5)
        #expect(!s.root.isDeletePending(path))
        image.kill()
        try s.root.deleteFile(path)
        #expect(!FileManager.default.fileExists(atPath: s.host("x.dat")))
    }

    /// A second handle of the same process holds the file as another process's would (one
    /// handle per open file description).
    @Test func handleOfTheSameProcessCounts() throws {
        let s = try ScratchMachine()
        let path = s.win("y.dat")
        try s.root.writeFile(path, [5, 6])
        let handle = try s.root.open(path, access: .read, share: .all)
        try s.root.deleteFile(path)
        #expect(win32Code { try s.root.open(path, access: .read, share: .all).close() } == 5)
        #expect(try handle.readToEnd() == [5, 6])
        handle.close()
        #expect(!s.root.exists(path))
        #expect(!FileManager.default.fileExists(atPath: s.host("y.dat")))
    }

    /// `rig fs delete` on a file another `rig fs open --hold` holds: exit 0, then `rig fs open`
    /// exits 5 (ERROR_ACCESS_DENIED) until the holder is gone, then 2.
    @Test func rigFsDelete() throws {
        guard let rig = BuiltBinaries.requireRig() else { return }
        let s = try ScratchMachine()
        let path = s.win("z.dat")
        try s.root.writeFile(path, [1])
        let holder = try TestProcess(
            [rig, "fs", "open", s.path, path.description, "--access", "read", "--share", "read,delete", "--hold"], until: "held\n")
        let deleted = execute(rig, ["fs", "delete", s.path, path.description])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let open = execute(rig, ["fs", "open", s.path, path.description, "--access", "read", "--share", "read,write,delete"])
        #expect(open.status == 5)
        #expect(open.stderr.contains("ERROR_ACCESS_DENIED (5)") && open.stderr.contains("delete-pending"), "\(open.stderr)")
        #expect(execute(rig, ["fs", "delete", s.path, path.description]).status == 5)
        holder.kill()
        #expect(execute(rig, ["fs", "open", s.path, path.description, "--access", "read", "--share", "read,write,delete"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: s.host("z.dat")))
    }
}
