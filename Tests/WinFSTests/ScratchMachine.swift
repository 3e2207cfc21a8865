import Foundation
import Glibc
import WinFS

/// A fresh machine directory under the system temporary directory, removed on deinit.
final class Scratch {
    let path: String
    let root: MachineRoot

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/winfs-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Win32Error(31, operation: "mkdtemp") }
        path = String(cString: made)
        root = try MachineRoot(path: path)
        // What makes it a machine for `rig fs` (run by the cross-process tests): its profile and
        // its registry (an empty SQLite database), as `rig machine create` makes them.
        FileManager.default.createFile(atPath: path + "/profile", contents: Data("nt\n".utf8))
        FileManager.default.createFile(atPath: path + "/registry.db", contents: Data())
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

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
