import Foundation
import Glibc
import LibUV
import TestSupport
import Testing
import Wire

/// `rig machine create` and `rig machine show`, run as a user runs them.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct MachineCommandTests {
    let scratch = Scratch("machine-e2e")

    func rig(_ arguments: String...) -> ProcessOutcome { runRig(arguments) }

    @Test func createNetfx11ThenShowJSON() throws {
        let m = scratch.path + "/m"
        let created = rig("machine", "create", m, "--image", MachineE2E.image("netfx11.yaml"))
        #expect(created.status == 0, "\(created)")
        let shown = rig("machine", "show", m, "--json")
        #expect(shown.status == 0, "\(shown)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect(json["profile"] as? String == "nt")
        let files = try #require(json["files"] as? [[String: Any]])
        let byPath = Dictionary(uniqueKeysWithValues: files.map { ($0["path"] as! String, $0) })
        let fw = "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\"
        for name in ["mscorwks.dll", "mscorlib.dll", "System.dll", "System.Xml.dll", "System.Web.dll", "aspnet_isapi.dll"] {
            #expect(byPath[fw + name]?["version"] as? String == "1.1.4322.573", "\(name)")
        }
        #expect(byPath["C:\\Windows\\System32\\mscoree.dll"]?["size"] as? Int == 315_392)
        // The bytes on disk are the simulated DLL: header first, realistic size.
        let mscorwks = m + "/drive_c/Windows/Microsoft.NET/Framework/v1.1.4322/mscorwks.dll"
        #expect(MachineE2E.read(mscorwks, prefix: 38) == "PATCHRIG-PE mscorwks.dll 1.1.4322.573\n")
        #expect(MachineE2E.size(mscorwks) == 2_076_672)

        let images = try #require(json["native_images"] as? [[String: Any]])
        #expect(images.map { $0["assembly"] as? String } == ["mscorlib", "System", "System.Xml", "System.Web"])
        #expect(images.allSatisfy { $0["status"] as? String == "fresh" })
        #expect((json["pending_renames"] as? [Any])?.isEmpty == true)
        #expect((json["startup"] as? [Any])?.isEmpty == true)
        #expect((json["services"] as? [Any])?.isEmpty == true)
    }

    @Test func showReportsImagesMadeStaleByARewrittenAssembly() throws {
        let m = scratch.path + "/m"
        #expect(rig("machine", "create", m, "--image", MachineE2E.image("netfx11.yaml")).status == 0)
        // Another build of System.dll: a few more bytes at the end (what a patch does, roughly).
        let system = m + "/drive_c/Windows/Microsoft.NET/Framework/v1.1.4322/System.dll"
        let handle = try #require(FileHandle(forWritingAtPath: system))
        handle.seekToEndOfFile()
        handle.write(Data(repeating: 0x90, count: 4096))
        handle.closeFile()
        // And the native image of mscorlib is deleted.
        unlink(m + "/drive_c/Windows/assembly/NativeImages1_v1.1.4322/mscorlib/mscorlib.ni.dll")

        let shown = rig("machine", "show", m, "--json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        let images = try #require(json["native_images"] as? [[String: Any]])
        let status = Dictionary(uniqueKeysWithValues: images.map { ($0["assembly"] as! String, $0["status"] as! String) })
        #expect(status == ["mscorlib": "missing", "System": "stale", "System.Xml": "stale", "System.Web": "stale"])
        let reasons = images.first { $0["assembly"] as? String == "System.Web" }?["reasons"] as? [String]
        #expect(reasons == ["System.dll changed since the image was built (same version 1.1.4322.573, other contents)"])

        let text = rig("machine", "show", m)
        #expect(text.status == 0)
        #expect(text.stdout.contains("System.Xml  stale\n      System.dll changed since the image was built"))
        #expect(text.stdout.contains("mscorlib    missing"))
    }

    @Test func minimalMachineAndProfile() {
        let m = scratch.path + "/m"
        #expect(rig("machine", "create", m, "--profile", "win9x").status == 0)
        #expect(MachineE2E.read(m + "/profile", prefix: 100) == "win9x\n")
        var info = stat()
        #expect(stat(m + "/drive_c/Windows/System32", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
        #expect(stat(m + "/registry.db", &info) == 0)
        let shown = rig("machine", "show", m)
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix("machine \(m) (profile win9x)\n\nfiles (0):\n"))
    }

    @Test func createRefusesANonEmptyDirectoryWithExit2AndChangesNothing() {
        let m = scratch.path + "/busy"
        mkdir(m, 0o755)
        MachineE2E.write(m + "/notes.txt", "mine")
        let before = MachineE2E.tree(m)
        let refused = rig("machine", "create", m, "--image", MachineE2E.image("netfx11.yaml"))
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("is not empty"))
        #expect(MachineE2E.tree(m) == before)
        #expect(MachineE2E.read(m + "/notes.txt", prefix: 100) == "mine")

        // An existing machine is never overwritten either.
        let existing = scratch.path + "/m"
        #expect(rig("machine", "create", existing).status == 0)
        let machineBefore = MachineE2E.tree(existing)
        #expect(rig("machine", "create", existing, "--image", MachineE2E.image("netfx11.yaml")).status == 2)
        #expect(MachineE2E.tree(existing) == machineBefore)
    }

    @Test func badImagesAndUsageExit2AndCreateNothing() {
        let bad = scratch.path + "/bad.yaml"
        MachineE2E.write(bad, "files:\n  - {path: D:\\x.dll, version: 1.0, size: 100}\n")
        let m = scratch.path + "/m"
        let outcome = rig("machine", "create", m, "--image", bad)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("\(bad):2:12: error: the file path: invalid path 'D:\\x.dll'"))
        #expect(outcome.stderr.contains("\(bad):2:31: error: the file version must be four numbers"))
        for arguments in [
            ["machine", "create", m, "--image", scratch.path + "/none.yaml"],
            ["machine", "create", m, "--profile", "vista"],
            ["machine", "create", scratch.path + "/no/parent"],
            ["machine", "show", m],
            ["machine", "show", scratch.path],
        ] {
            let result = runRig(arguments)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(!result.stderr.isEmpty)
        }
        var info = stat()
        #expect(lstat(m, &info) != 0)
        #expect(lstat(scratch.path + "/no", &info) != 0)
        #expect(lstat(scratch.path + "/drive_c", &info) != 0)
    }
}

/// Files and images for the machine end-to-end tests.
enum MachineE2E {
    /// The repository's `Rigs/images/<name>`.
    static func image(_ name: String) -> String { Repository.file("Rigs/images/" + name) }

    /// Up to `prefix` bytes of a file as text ("" if it cannot be read).
    static func read(_ path: String, prefix: Int) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { handle.closeFile() }
        return String(decoding: handle.readData(ofLength: prefix), as: UTF8.self)
    }

    static func write(_ path: String, _ text: String) {
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : -1
    }

    /// Every entry below `directory` with its size and modification time, sorted.
    static func tree(_ directory: String) -> [String] {
        let entries = FileManager.default.subpaths(atPath: directory) ?? []
        return entries.sorted().map { entry in
            var info = stat()
            lstat(directory + "/" + entry, &info)
            return "\(entry) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
    }
}
