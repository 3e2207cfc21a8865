import TestSupport
import Testing
import WinFS
import WindowsModel

/// An in-memory store, to see what delayed moves queue.
final class MemoryStore: PendingRenameStore {
    var queued: [PendingRename] = []
    func append(_ rename: PendingRename) throws { queued.append(rename) }
    func pending() throws -> [PendingRename] { queued }
}

@Suite(.serialized, .forkFree) struct ImageTests {
    @Test func sectionRules() throws {
        let s = try ScratchMachine()
        try s.root.createDirectories(s.win("Windows\\System32"))
        let dll = s.win("Windows\\System32\\mscorwks.dll")
        try s.root.writeFile(dll, Array("version 1".utf8))
        let image = try s.root.loadImage(dll)
        #expect(image.contents() == Array("version 1".utf8))

        // Reads in any share mode, opens for delete in any share mode: allowed.
        for share in allShare {
            try s.root.open(dll, access: .read, share: share).close()
            try s.root.open(dll, access: .delete, share: share).close()
            try s.root.open(dll, access: .none, share: share).close()
        }
        // Write: 32, whatever the share mode or the disposition.
        for share in allShare {
            #expect(win32Code { try s.root.open(dll, access: .write, share: share).close() } == 32)
        }
        #expect(win32Code { try s.root.open(dll, access: .write, share: .all, disposition: .createAlways).close() } == 32)
        // Delete: 5 (STATUS_CANNOT_DELETE), by DeleteFile or MoveFileEx without destination.
        #expect(win32Code { try s.root.deleteFile(dll) } == 5)
        #expect(win32Code { try s.root.moveFile(dll, to: nil) } == 5)
        // As the target of a replacing move: 5.
        try s.root.writeFile(s.win("Windows\\System32\\new.dll"), Array("version 2".utf8))
        #expect(win32Code { try s.root.moveFile(s.win("Windows\\System32\\new.dll"), to: dll, flags: .replaceExisting) } == 5)
        // Without replace: 183 (it exists).
        #expect(win32Code { try s.root.moveFile(s.win("Windows\\System32\\new.dll"), to: dll) } == 183)

        // Rename it aside: allowed. Put the new file in place; the holder keeps the old bytes.
        let aside = try s.root.renameAside(dll)
        #expect(aside.name == "mscorwks.dll.~1")
        try s.root.moveFile(s.win("Windows\\System32\\new.dll"), to: dll)
        #expect(image.contents() == Array("version 1".utf8))
        #expect(try s.root.fileIdentity(aside) == image.identity)
        // A later load sees the new file; the renamed one is still loaded.
        let later = try s.root.loadImage(dll)
        #expect(later.contents() == Array("version 2".utf8))
        #expect(win32Code { try s.root.deleteFile(aside) } == 5)
        // The new file is loaded too now.
        #expect(win32Code { try s.root.open(dll, access: .write, share: .all).close() } == 32)
        image.unload()
        try s.root.deleteFile(aside)
        later.unload()
        try s.root.open(dll, access: .write, share: .all).close()
    }

    @Test func loaderOpenIsShareChecked() throws {
        let s = try ScratchMachine()
        let dll = s.win("a.dll")
        try s.root.writeFile(dll, [0x4D, 0x5A])
        // A writer sharing everything: the loader (read, share read|delete) does not share write.
        let writer = try s.root.open(dll, access: .write, share: .all)
        #expect(win32Code { _ = try s.root.loadImage(dll) } == 32)
        writer.close()
        // A reader not sharing read.
        let exclusive = try s.root.open(dll, access: .read, share: .none)
        #expect(win32Code { _ = try s.root.loadImage(dll) } == 32)
        exclusive.close()
        // A reader sharing read only: the loader's read fits; its share (read|delete) allows read.
        let reader = try s.root.open(dll, access: .read, share: .read)
        let image = try s.root.loadImage(dll)
        #expect(image.contents() == [0x4D, 0x5A])
        reader.close()
        try s.root.writeFile(s.win("empty.dll"), [])
        #expect(win32Code { _ = try s.root.loadImage(s.win("empty.dll")) } == 193)
        #expect(win32Code { _ = try s.root.loadImage(s.win("none.dll")) } == 2)
    }
}

@Suite(.serialized, .forkFree) struct MoveFileTests {
    enum Holder: CaseIterable { case nothing, sharesDelete, noShareDelete, noDataAccess, loaded }

    func hold(_ s: ScratchMachine, _ path: WindowsPath, _ holder: Holder) throws -> AnyObject? {
        switch holder {
        case .nothing: return nil
        case .sharesDelete: return try s.root.open(path, access: .read, share: [.read, .delete])
        case .noShareDelete: return try s.root.open(path, access: .read, share: [.read, .write])
        case .noDataAccess: return try s.root.open(path, access: .none, share: .none)
        case .loaded: return try s.root.loadImage(path)
        }
    }

    /// Source holder × destination (missing / existing with a holder) × replace or not.
    @Test func matrix() throws {
        for sourceHolder in Holder.allCases {
            for destinationExists in [false, true] {
                for destinationHolder in destinationExists ? Holder.allCases : [.nothing] {
                    for replace in [false, true] {
                        let s = try ScratchMachine()
                        let src = s.win("src.dll")
                        let dst = s.win("dst.dll")
                        try s.root.writeFile(src, [1])
                        if destinationExists { try s.root.writeFile(dst, [2]) }
                        let h1 = try hold(s, src, sourceHolder)
                        let h2 = try hold(s, dst, destinationHolder)
                        let expected: UInt32?
                        if sourceHolder == .noShareDelete {
                            expected = 32
                        } else if destinationExists && !replace {
                            expected = 183
                        } else if destinationExists && destinationHolder != .nothing {
                            expected = 5
                        } else {
                            expected = nil
                        }
                        let label = "\(sourceHolder) → \(destinationExists ? "\(destinationHolder)" : "missing"), replace \(replace)"
                        let code = win32Code { try s.root.moveFile(src, to: dst, flags: replace ? .replaceExisting : []) }
                        #expect(code == expected, "\(label)")
                        if expected == nil {
                            #expect(try s.root.readFile(dst) == [1], "\(label)")
                            #expect(!s.root.exists(src), "\(label)")
                        } else {
                            #expect(try s.root.readFile(src) == [1], "\(label)")
                            if destinationExists { #expect(try s.root.readFile(dst) == [2], "\(label)") }
                        }
                        _ = (h1, h2)
                    }
                }
            }
        }
    }

    @Test func deleteMatrix() throws {
        for holder in Holder.allCases {
            let s = try ScratchMachine()
            let p = s.win("x.dll")
            try s.root.writeFile(p, [1])
            let h = try hold(s, p, holder)
            let expected: UInt32? = holder == .noShareDelete ? 32 : holder == .loaded ? 5 : nil
            #expect(win32Code { try s.root.deleteFile(p) } == expected, "\(holder)")
            // A delete with other handles open (all sharing delete) leaves it delete-pending: the
            // name stays until they close.
            let pending = expected == nil && holder != .nothing
            #expect(s.root.exists(p) == (expected != nil || pending), "\(holder)")
            #expect(s.root.isDeletePending(p) == pending, "\(holder)")
            // A holder that shared delete keeps its file.
            if holder == .sharesDelete, let file = h as? WinFile {
                try file.seek(to: 0)
                #expect(try file.readToEnd() == [1])
            }
            (h as? WinFile)?.close()
            (h as? LoadedImage)?.unload()
            #expect(s.root.exists(p) == (expected != nil), "\(holder), closed")
        }
        let s = try ScratchMachine()
        #expect(win32Code { try s.root.deleteFile(s.win("missing.dll")) } == 2)
        #expect(win32Code { try s.root.deleteFile(s.win("nodir\\missing.dll")) } == 3)
        try s.root.createDirectories(s.win("dir"))
        #expect(win32Code { try s.root.deleteFile(s.win("dir")) } == 5)
    }

    @Test func missingSourceAndSameFile() throws {
        let s = try ScratchMachine()
        #expect(win32Code { try s.root.moveFile(s.win("a"), to: s.win("b")) } == 2)
        #expect(win32Code { try s.root.moveFile(s.win("d\\a"), to: s.win("b")) } == 3)
        try s.root.writeFile(s.win("a"), [1])
        #expect(win32Code { try s.root.moveFile(s.win("a"), to: s.win("d\\b")) } == 3)
        try s.root.moveFile(s.win("a"), to: s.win("a"))  // same file: nothing to do
        try s.root.moveFile(s.win("a"), to: s.win("b"), flags: .writeThrough)
        #expect(try s.root.readFile(s.win("b")) == [1])
    }

    @Test func delayUntilRebootOnlyQueues() throws {
        let s = try ScratchMachine()
        let store = MemoryStore()
        try s.root.writeFile(s.win("a.dll"), [1])
        let holder = try s.root.open(s.win("a.dll"), access: .read, share: .none)  // hard lock
        try s.root.moveFile(s.win("a.dll"), to: s.win("b.dll"), flags: [.delayUntilReboot, .replaceExisting], store: store)
        try s.root.moveFile(s.win("a.dll"), to: nil, flags: .delayUntilReboot, store: store)
        try s.root.moveFile(s.win("later\\new.dll"), to: s.win("a.dll"), flags: .delayUntilReboot, store: store)
        #expect(
            store.queued.map(\.description) == [
                "C:\\a.dll -> !C:\\b.dll", "C:\\a.dll -> (delete)", "C:\\later\\new.dll -> C:\\a.dll",
            ])
        #expect(try s.root.readFile(s.win("a.dll")) == [1])
        #expect(!s.root.exists(s.win("b.dll")))
        #expect(win32Code { try s.root.moveFile(s.win("a.dll"), to: s.win("b.dll"), flags: .delayUntilReboot) } == 87)
        holder.close()
    }

    @Test func copyAndCreate() throws {
        let s = try ScratchMachine()
        try s.root.createFile(s.win("a"), contents: [1, 2])
        #expect(win32Code { try s.root.createFile(s.win("a"), contents: [3]) } == 80)
        try s.root.copyFile(s.win("a"), to: s.win("b"), failIfExists: true)
        #expect(try s.root.readFile(s.win("b")) == [1, 2])
        #expect(win32Code { try s.root.copyFile(s.win("a"), to: s.win("b"), failIfExists: true) } == 80)
        try s.root.writeFile(s.win("a"), [5])
        try s.root.copyFile(s.win("a"), to: s.win("b"), failIfExists: false)
        #expect(try s.root.readFile(s.win("b")) == [5])
        // The destination held without sharing write: CREATE_ALWAYS fails with 32.
        let h = try s.root.open(s.win("b"), access: .read, share: .read)
        #expect(win32Code { try s.root.copyFile(s.win("a"), to: s.win("b"), failIfExists: false) } == 32)
        h.close()
    }
}
