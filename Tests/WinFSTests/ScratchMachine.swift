import Foundation
import TestSupport
import WinFS
import WindowsModel

/// A fresh machine directory in a scratch directory (removed on deinit), opened as a
/// `MachineRoot`.
final class ScratchMachine {
    private let scratch = Scratch("winfs-test")
    var path: String { scratch.path }
    let root: MachineRoot

    init() throws {
        root = try MachineRoot(path: scratch.path)
        // What makes it a machine for `rig fs` (run by the cross-process tests): its profile and
        // its registry (an empty SQLite database), as `rig machine create` makes them.
        scratch.write("profile", "nt\n")
        scratch.write("registry.db", "")
    }

    /// `C:\<text>` parsed.
    func win(_ text: String) -> WindowsPath { try! WindowsPath("C:\\" + text) }

    /// Host path of a Windows path, for checks from outside.
    func host(_ text: String) -> String { path + "/drive_c/" + text.replacingOccurrences(of: "\\", with: "/") }
}

/// The Win32 code thrown by `body`, or nil when it did not throw.
func win32Code(_ body: () throws -> Void) -> UInt32? {
    do {
        try body()
        return nil
    } catch let error as Win32Error {
        return error.code
    } catch {
        return 0xFFFF_FFFF
    }
}
