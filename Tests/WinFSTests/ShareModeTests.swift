import TestSupport
import Testing
import WinFS
import WindowsModel

/// The Windows rule, written independently of WinFS from Wine's server/fd.c check_sharing:
/// existing handles narrow the allowed sharing (only those with data access) and accumulate
/// their access; the new open must fit the sharing, and (if it has data access itself) its own
/// share mode must allow every existing access.
func oracleAllows(existing: [(access: UInt32, share: UInt32)], access: UInt32, share: UInt32) -> Bool {
    var existingSharing: UInt32 = 7
    var existingAccess: UInt32 = 0
    for handle in existing {
        if handle.access != 0 { existingSharing &= handle.share }
        existingAccess |= handle.access
    }
    if access & ~existingSharing != 0 { return false }
    if access == 0 { return true }
    if existingAccess & ~share != 0 { return false }
    return true
}

let allAccess: [Access] = (0..<8).map { Access(rawValue: UInt32($0)) }
let allShare: [ShareMode] = (0..<8).map { ShareMode(rawValue: UInt32($0)) }

@Suite(.serialized, .forkFree) struct ShareModeTests {
    /// 64 first handles × 64 second opens, two open file descriptions in this process.
    @Test func pairMatrixInProcess() throws {
        let s = try ScratchMachine()
        let path = s.win("f.dat")
        try s.root.writeFile(path, [1, 2, 3])
        var checkedCases = 0
        var allowedCount = 0
        for a1 in allAccess {
            for s1 in allShare {
                let first = try s.root.open(path, access: a1, share: s1)
                for a2 in allAccess {
                    for s2 in allShare {
                        let expected = oracleAllows(
                            existing: [(a1.rawValue, s1.rawValue)], access: a2.rawValue, share: s2.rawValue)
                        let code = win32Code {
                            let second = try s.root.open(path, access: a2, share: s2)
                            second.close()
                        }
                        #expect(code == (expected ? nil : 32), "first \(a1)/\(s1), second \(a2)/\(s2)")
                        checkedCases += 1
                        if expected { allowedCount += 1 }
                    }
                }
                first.close()
            }
        }
        #expect(checkedCases == 4096)
        // The matrix is not trivial: both outcomes occur many times.
        #expect(allowedCount > 1000 && allowedCount < 4000)
    }

    /// The public pairwise helper agrees with the oracle.
    @Test func helperAgreesWithOracle() {
        for a1 in allAccess {
            for s1 in allShare {
                for a2 in allAccess {
                    for s2 in allShare {
                        #expect(
                            shareModesAllow(existingAccess: a1, existingShare: s1, access: a2, share: s2)
                                == oracleAllows(existing: [(a1.rawValue, s1.rawValue)], access: a2.rawValue, share: s2.rawValue))
                    }
                }
            }
        }
    }

    /// Three handles: the third open against two coexisting ones, every combination of the
    /// third for a spread of first/second pairs.
    @Test func threeHandles() throws {
        let s = try ScratchMachine()
        let path = s.win("f.dat")
        try s.root.writeFile(path, [1])
        let pairs: [(Access, ShareMode, Access, ShareMode)] = [
            (.read, .all, .read, .all),
            (.read, [.read, .delete], .delete, .all),
            (.read, [.read, .write], .write, [.read, .write]),
            (.none, .none, .read, .read),
            (.delete, .all, .none, .none),
            ([.read, .write], [.read, .write, .delete], .read, [.read, .write, .delete]),
            (.write, .all, .delete, [.write, .delete]),
        ]
        for (a1, s1, a2, s2) in pairs {
            let first = try s.root.open(path, access: a1, share: s1)
            let second = try s.root.open(path, access: a2, share: s2)
            for a3 in allAccess {
                for s3 in allShare {
                    let expected = oracleAllows(
                        existing: [(a1.rawValue, s1.rawValue), (a2.rawValue, s2.rawValue)],
                        access: a3.rawValue, share: s3.rawValue)
                    let code = win32Code { try s.root.open(path, access: a3, share: s3).close() }
                    #expect(code == (expected ? nil : 32), "\(a1)/\(s1) + \(a2)/\(s2) + \(a3)/\(s3)")
                }
            }
            // Closing one handle lifts what only it imposed.
            second.close()
            for a3 in allAccess {
                for s3 in allShare {
                    let expected = oracleAllows(existing: [(a1.rawValue, s1.rawValue)], access: a3.rawValue, share: s3.rawValue)
                    let code = win32Code { try s.root.open(path, access: a3, share: s3).close() }
                    #expect(code == (expected ? nil : 32), "\(a1)/\(s1) + \(a3)/\(s3) after close")
                }
            }
            first.close()
        }
    }

    @Test func renameFollowsTheInode() throws {
        let s = try ScratchMachine()
        try s.root.writeFile(s.win("a.dll"), [1])
        let holder = try s.root.open(s.win("a.dll"), access: .read, share: [.read, .delete])
        try s.root.moveFile(s.win("a.dll"), to: s.win("b.dll"))
        #expect(win32Code { try s.root.open(s.win("b.dll"), access: .write, share: .all).close() } == 32)
        #expect(win32Code { try s.root.open(s.win("b.dll"), access: .read, share: .none).close() } == 32)
        try s.root.open(s.win("b.dll"), access: .read, share: [.read, .delete]).close()
        // A new file under the old name is another inode: no conflict.
        try s.root.createFile(s.win("a.dll"), contents: [2])
        try s.root.open(s.win("a.dll"), access: .write, share: .none).close()
        holder.close()
        try s.root.open(s.win("b.dll"), access: .write, share: .none).close()
    }

    @Test func dispositions() throws {
        let s = try ScratchMachine()
        let p = s.win("d.txt")
        #expect(win32Code { try s.root.open(p, access: .read, share: .all).close() } == 2)
        #expect(win32Code { try s.root.open(s.win("no\\d.txt"), access: .read, share: .all, disposition: .openAlways).close() } == 3)
        let made = try s.root.open(p, access: .write, share: .none, disposition: .createNew)
        #expect(made.created)
        try made.write([1, 2, 3, 4])
        made.close()
        #expect(win32Code { try s.root.open(p, access: .write, share: .none, disposition: .createNew).close() } == 80)
        let again = try s.root.open(p, access: .read, share: .read, disposition: .openAlways)
        #expect(!again.created)
        #expect(try again.readToEnd() == [1, 2, 3, 4])
        #expect(win32Code { try again.write([9]) } == 5)  // no write access on this handle
        // CREATE_ALWAYS truncates, but not while a handle refuses to share write.
        #expect(win32Code { try s.root.open(p, access: .write, share: .all, disposition: .createAlways).close() } == 32)
        again.close()
        let trunc = try s.root.open(p, access: [.read, .write], share: .none, disposition: .createAlways)
        #expect(!trunc.created)
        #expect(try trunc.readToEnd() == [])
        trunc.close()
        #expect(win32Code { try s.root.open(s.win("gone.txt"), access: .write, share: .none, disposition: .truncateExisting).close() } == 2)
    }

    @Test func accessListParsing() {
        #expect(Access(list: "read,delete") == [.read, .delete])
        #expect(Access(list: "none") == Access.none)
        #expect(ShareMode(list: "read,write,delete") == .all)
        #expect(Access(list: "reed") == nil)
        #expect(Access(list: "") == nil)
        #expect(Access.all.description == "read,write,delete")
        #expect(ShareMode.none.description == "none")
    }
}
