import Foundation
import Glibc
import Machine
import Registry
import RigModel
import Servicing
import TestSupport
import Testing
import WinFS
import WindowsModel

private func winPath(_ text: String) -> WindowsPath { try! WindowsPath(text) }
private func winRegistryKey(_ text: String) -> RegistryKeyPath { try! RegistryKeyPath(text) }

/// The installer killed (SIGKILL, `rig-worker installer --kill-at any#N`) at every one of its
/// operations, then the machine recovered by what comes next on Windows: the next installer run
/// (of the same patch or of another one) or a boot. Every outcome is read back from the machine.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct InstallerCrashTests {
    /// A machine image of small files (fast to copy, write and hash), one of them with a native
    /// image so that a soft-locked install schedules a RunOnce ngen pass.
    static let image = """
        image: tiny
        description: three small DLLs and a runtime, one assembly with a native image
        files:
          - {path: C:\\App\\a.dll, version: 1.0.0.0, size: 3000}
          - {path: C:\\App\\b.dll, version: 1.0.0.0, size: 3100}
          - {path: C:\\App\\c.dll, version: 1.0.0.0, size: 3200}
          - {path: C:\\App\\rt.dll, version: 1.0.0.0, size: 2000}
        assemblies:
          - name: A
            file: C:\\App\\a.dll
            version: 1.0.0.0
            references: []
        native_images:
          directory: C:\\Windows\\assembly\\NativeImagesTiny
          runtime: C:\\App\\rt.dll
          assemblies: [A]
        registry:
          - key: HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run
          - key: HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce
          - key: HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run
          - key: HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce

        """

    /// Replaces a.dll and b.dll (b.dll is held by an application: soft lock), adds d.dll.
    static let patchX = """
        patch: Tiny-X
        description: tiny patch X
        era: runonce
        product: Tiny
        files:
          - {path: C:\\App\\a.dll, version: 2.0.0.0, size: 4000}
          - {path: C:\\App\\b.dll, version: 2.0.0.0, size: 4100}
          - {path: C:\\App\\d.dll, version: 2.0.0.0, size: 3300, adds: true}
        ngen: [A]
        registry:
          - key: HKLM\\SOFTWARE\\Tiny
            values:
              Level: {dword: 2}

        """

    /// Another patch: c.dll only.
    static let patchY = """
        patch: Tiny-Y
        era: runonce
        product: Tiny
        files:
          - {path: C:\\App\\c.dll, version: 1.5.0.0, size: 3250}

        """

    let a = winPath("C:\\App\\a.dll"), b = winPath("C:\\App\\b.dll"), c = winPath("C:\\App\\c.dll"), d = winPath("C:\\App\\d.dll")
    let app = winPath("C:\\App")
    let scriptKey = winRegistryKey("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\InProgress")
    let runOnce = winRegistryKey("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce")

    /// A template machine with both patches staged; each case copies it.
    func template() throws -> (path: String, x: Patch, y: Patch) {
        let dir = temporaryDirectory()
        let imagePath = dir + "/tiny.yaml"
        try Self.image.write(toFile: imagePath, atomically: true, encoding: .utf8)
        let created = execute(BuiltBinaries.rig, ["machine", "create", dir + "/m", "--image", imagePath])
        #expect(created.status == 0, "\(created.stderr)")
        try Self.patchX.write(toFile: dir + "/x.yaml", atomically: true, encoding: .utf8)
        try Self.patchY.write(toFile: dir + "/y.yaml", atomically: true, encoding: .utf8)
        let x = try PatchLoader.load(file: dir + "/x.yaml")
        let y = try PatchLoader.load(file: dir + "/y.yaml")
        let root = try MachineRoot(path: dir + "/m")
        try PatchPackage.stage(x, root: root)
        try PatchPackage.stage(y, root: root)
        return (dir + "/m", x, y)
    }

    func copy(_ template: String) throws -> String {
        let path = temporaryDirectory() + "/m"
        try FileManager.default.copyItem(atPath: template, toPath: path)
        return path
    }

    func installer(_ machine: String, _ patch: Patch, killAt: String? = nil) throws -> ProcessOutcome {
        var arguments = ["installer"]
        if let killAt { arguments += ["--kill-at", killAt] }
        return execute(BuiltBinaries.worker, arguments + ["machine=\(machine)", "patch=\(patch.packagePath)", "files_in_use=ignore"])
    }

    func holdB(_ machine: String) throws -> TestProcess {
        try TestProcess([BuiltBinaries.rig, "fs", "open", machine, b.description, "--image", "--hold"], until: "held")
    }

    /// The machine's state as far as patch X goes: `old`, `new`, or a description of the mixture.
    enum PatchState: Equatable { case old, new }

    /// Checks every file of `patch` is wholly at one side (bytes matching its header's version and
    /// that version's size), the registry agrees, and nothing of the rollback is left. Returns the side.
    func checkConsistent(_ machine: String, _ patch: Patch, old: [WindowsPath: [UInt8]], context: String) throws -> PatchState? {
        let root = try MachineRoot(path: machine)
        var sides: [PatchState] = []
        for file in patch.files {
            if root.exists(file.path) {
                let bytes = try root.readFile(file.path)
                if bytes == file.bytes {
                    sides.append(.new)
                } else if let oldBytes = old[file.path], bytes == oldBytes {
                    sides.append(.old)
                } else {
                    Issue.record(
                        "\(context): \(file.path) is neither the old nor the new file (\(bytes.count) bytes, header \(FileContent.stamp(of: bytes)?.description ?? "none"))"
                    )
                    return nil
                }
            } else {
                let hadIt = old[file.path] != nil
                #expect(!hadIt, "\(context): \(file.path) is missing")
                sides.append(.old)
            }
        }
        guard let side = sides.first, sides.allSatisfy({ $0 == side }) else {
            Issue.record("\(context): the patch's files are mixed: \(zip(patch.files.map(\.path), sides).map { "\($0.0.name!)=\($0.1)" })")
            return nil
        }
        let registry = try Registry(machineDirectory: machine)
        let installed = try registry.value(patch.recordKey, "Installed") == .dword(1)
        #expect(installed == (side == .new), "\(context): the record says installed=\(installed) but the files are \(side)")
        if side == .old {
            #expect(
                try registry.value(runOnce, NetFxUpdateKeys.runOnceValueName(patch: patch.id)) == nil,
                "\(context): RunOnce of a rolled-back install")
            #expect(
                try registry.value(winRegistryKey("HKLM\\SOFTWARE\\Tiny"), "Level") == nil, "\(context): value of a rolled-back install")
            let pending = try pendingRenameStore(for: root).pending()
            #expect(pending.isEmpty, "\(context): pending renames of a rolled-back install: \(pending)")
            let names = try root.list(app)
            #expect(names == ["a.dll", "b.dll", "c.dll", "rt.dll"], "\(context): leftovers in C:\\App: \(names)")
        }
        #expect(try !registry.keyExists(scriptKey), "\(context): a rollback script is left")
        let rollbackDirectory = winPath("C:\\Config.Msi")
        if root.exists(rollbackDirectory) {
            let left = try root.list(rollbackDirectory)
            #expect(left.isEmpty, "\(context): Config.Msi leftovers \(left)")
        }
        return side
    }

    func operations(_ outcome: ProcessOutcome) -> Int {
        outcome.stdout.split(separator: "\n").filter { $0.contains(" -> ") }.count
    }

    /// Boots the machine (recovery at boot), checks the patch is wholly at one side, then applies
    /// it again and checks it is all new. Returns the side the boot left it on.
    func bootThenApplyAgain(_ machine: String, _ x: Patch, old: [WindowsPath: [UInt8]], context: String) throws -> PatchState? {
        let boot = execute(BuiltBinaries.rig, ["machine", "boot", machine])
        #expect(boot.status == 0, "\(context): \(boot.stdout)\(boot.stderr)")
        let side = try checkConsistent(machine, x, old: old, context: context)
        let again = try installer(machine, x)
        #expect(again.status == 0 || again.status == 3010 & 0xff, "\(context) then X: \(again.stdout)\(again.stderr)")
        #expect(try checkConsistent(machine, x, old: old, context: context + " then X") == .new)
        return side
    }

    @Test func killedAtEveryOperationThenRecoveredIsAllOldOrAllNew() throws {
        let (template, x, y) = try template()
        let templateRoot = try MachineRoot(path: template)
        var old: [WindowsPath: [UInt8]] = [:]
        for file in x.files + y.files where templateRoot.exists(file.path) { old[file.path] = try templateRoot.readFile(file.path) }

        // A clean run counts the operations.
        let clean = try copy(template)
        let cleanHolder = try holdB(clean)
        let reference = try installer(clean, x)
        cleanHolder.release()
        #expect(reference.status == 3010 & 0xff, "\(reference.stdout)\(reference.stderr)")
        #expect(try checkConsistent(clean, x, old: old, context: "clean run") == .new)
        let total = operations(reference)
        #expect(total >= 20, "\(reference.stdout)")

        var sides: [PatchState: Int] = [:]
        for n in 1...total {
            let machine = try copy(template)
            let holder = try holdB(machine)
            let killed = try installer(machine, x, killAt: "any#\(n)")
            #expect(killed.stderr.contains("killed at fault point any#\(n)"), "any#\(n): \(killed.status) \(killed.stderr)")
            // How it is recovered: the same patch again, another patch, or a boot.
            let how = n % 3
            let context = "killed at any#\(n) (\(["same patch", "another patch", "boot"][how]))"
            switch how {
            case 0:
                let again = try installer(machine, x)
                #expect(again.status == 0 || again.status == 3010 & 0xff, "\(context): \(again.stdout)\(again.stderr)")
                holder.release()
                #expect(try checkConsistent(machine, x, old: old, context: context) == .new)
            case 1:
                let other = try installer(machine, y)
                #expect(other.status == 0, "\(context): \(other.stdout)\(other.stderr)")
                #expect(try MachineRoot(path: machine).readFile(c) == y.files[0].bytes, "\(context)")
                if let side = try checkConsistent(machine, x, old: old, context: context) { sides[side, default: 0] += 1 }
                let again = try installer(machine, x)
                holder.release()
                #expect(again.status == 0 || again.status == 3010 & 0xff, "\(context) then X: \(again.stdout)\(again.stderr)")
                #expect(try checkConsistent(machine, x, old: old, context: context + " then X") == .new)
            default:
                // A reboot stops every process first.
                holder.release()
                if let side = try bootThenApplyAgain(machine, x, old: old, context: context) { sides[side, default: 0] += 1 }
            }
        }
        // Kills before the commit leave the old files, kills after it the new ones: both happen.
        #expect(sides[.old, default: 0] > 0 && sides[.new, default: 0] > 0, "\(sides)")
    }

    /// The power lost at every operation of the installer: every process of the machine dies at
    /// once (the installer at its fault point, the holder), the writes not yet on disk are lost
    /// (`WriteCache`, as `rig run` does for a `power_loss` fault), then the machine boots.
    /// Backups and new files must have been flushed before the script relies on them.
    @Test func powerLostAtEveryOperationThenBootedIsAllOldOrAllNew() throws {
        let (template, x, _) = try template()
        let templateRoot = try MachineRoot(path: template)
        var old: [WindowsPath: [UInt8]] = [:]
        for file in x.files where templateRoot.exists(file.path) { old[file.path] = try templateRoot.readFile(file.path) }
        let clean = try copy(template)
        let cleanHolder = try holdB(clean)
        let total = operations(try installer(clean, x))
        cleanHolder.release()
        var sides: [PatchState: Int] = [:]
        var lostSomething = 0
        for n in 1...total {
            let machine = try copy(template)
            let holder = try holdB(machine)
            let killed = try installer(machine, x, killAt: "any#\(n)")
            #expect(killed.stderr.contains("killed at fault point any#\(n)"), "any#\(n): \(killed.stderr)")
            holder.kill()
            if !WriteCache.losePower(machine: try MachineRoot(path: machine), atNs: monotonicNow()).isEmpty { lostSomething += 1 }
            let context = "power lost at any#\(n)"
            if let side = try bootThenApplyAgain(machine, x, old: old, context: context) { sides[side, default: 0] += 1 }
        }
        #expect(sides[.old, default: 0] > 0 && sides[.new, default: 0] > 0, "\(sides)")
        #expect(lostSomething > 0, "some power losses must have taken unflushed writes")
    }

    func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    @Test func recoveryKilledAtEachOfItsOperationsAndRunAgain() throws {
        let (template, x, y) = try template()
        let templateRoot = try MachineRoot(path: template)
        var old: [WindowsPath: [UInt8]] = [:]
        for file in x.files where templateRoot.exists(file.path) { old[file.path] = try templateRoot.readFile(file.path) }
        // The install killed just before it records the patch: everything to roll back.
        let probe = try copy(template)
        let probeHolder = try holdB(probe)
        let reference = try installer(probe, x)
        probeHolder.release()
        let lines = reference.stdout.split(separator: "\n").filter { $0.contains(" -> ") }
        let recordIndex = try #require(lines.firstIndex { $0.contains(" record key=") })
        let crashed = try copy(template)
        let holder = try holdB(crashed)
        defer { holder.release() }
        _ = try installer(crashed, x, killAt: "any#\(recordIndex + 1)")
        // Count the recovery's own operations on a copy.
        let counted = try copy(crashed)
        let recovery = try installer(counted, y)
        #expect(recovery.status == 0, "\(recovery.stdout)\(recovery.stderr)")
        let rollbacks = recovery.stdout.split(separator: "\n").filter { $0.contains(" rollback action=") }.count
        #expect(rollbacks >= 5, "\(recovery.stdout)")
        for k in 1...rollbacks + 1 {
            let machine = try copy(crashed)
            let op = k <= rollbacks ? "rollback#\(k)" : "script#1"  // the last: removing the script
            _ = try installer(machine, y, killAt: op)
            let again = try installer(machine, y)
            #expect(again.status == 0, "killed at \(op): \(again.stdout)\(again.stderr)")
            #expect(try checkConsistent(machine, x, old: old, context: "recovery killed at \(op)") == .old)
        }
    }

    @Test func aFileWithTheNewHeaderButWrongBytesIsReplaced() throws {
        let (template, x, _) = try template()
        let machine = try copy(template)
        let root = try MachineRoot(path: machine)
        // a.dll: the new header over the old bytes' length (what a write cut short looks like);
        // b.dll: the new header and the new size but other bytes.
        let newA = x.files[0].bytes
        try root.writeFile(a, Array(newA.prefix(newA.count / 2)))
        var wrongB = x.files[1].bytes
        wrongB[wrongB.count - 1] ^= 0xFF
        try root.writeFile(b, wrongB)
        let run = try installer(machine, x)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stdout.contains("skip file=\(a)"))
        #expect(!run.stdout.contains("skip file=\(b)"))
        #expect(try root.readFile(a) == newA)
        #expect(try root.readFile(b) == x.files[1].bytes)
        // Applied again: now really at version, skipped.
        let again = try installer(machine, x)
        #expect(again.stdout.contains("skip file=\(a)"), "\(again.stdout)")
    }

    @Test func machineShowFlagsAFileCutShortAndNotAWholeOne() throws {
        let (template, x, _) = try template()
        // Random access to a version's bytes agrees with the whole file.
        let whole = x.files[0].bytes
        #expect(FileContent.bytes(name: "a.dll", version: x.files[0].version, offset: 5, count: 3000) == Array(whole[5..<3005]))
        let machine = try copy(template)
        let killed = try installer(machine, x, killAt: "write#1")  // a.dll: truncated, half written
        #expect(killed.stderr.contains("killed at fault point"))
        let shown = execute(BuiltBinaries.rig, ["machine", "show", machine])
        let line = try #require(shown.stdout.split(separator: "\n").first { $0.contains("C:\\App\\a.dll ") })
        #expect(line.contains("DAMAGED: 2000 bytes; a.dll 2.0.0.0 has 4000"), "\(shown.stdout)")
        #expect(shown.stdout.components(separatedBy: "DAMAGED").count == 2, "\(shown.stdout)")
        // The right size but a tail never written is caught by the content check.
        let root = try MachineRoot(path: machine)
        var zeroTail = whole
        for i in (whole.count - 10)..<whole.count { zeroTail[i] = 0 }
        try root.writeFile(c, zeroTail)
        let json = execute(BuiltBinaries.rig, ["machine", "show", machine, "--json"])
        #expect(json.stdout.contains("its last 64 bytes are not those of a.dll 2.0.0.0"), "\(json.stdout)")
        // Recovered by the next installer: nothing flagged for the patch's files.
        _ = try installer(machine, x)
        let after = execute(BuiltBinaries.rig, ["machine", "show", machine])
        #expect(
            !after.stdout.contains("C:\\App\\a.dll ")
                || !after.stdout.split(separator: "\n").first { $0.contains("C:\\App\\a.dll ") }!.contains("DAMAGED"))
    }

    @Test func ngenKilledAtEachOperationNeverLeavesAnImageReportedFresh() throws {
        let (template, x, _) = try template()
        // The assembly changes first (its image goes stale), then ngen rebuilds it.
        let base = try copy(template)
        let root = try MachineRoot(path: base)
        try root.writeFile(a, x.files[0].bytes)
        let clean = try copy(base)
        let reference = execute(BuiltBinaries.worker, ["ngen", "machine=\(clean)", "assemblies=A"])
        #expect(reference.status == 0, "\(reference.stdout)\(reference.stderr)")
        #expect(try imageStatus(clean) == "fresh")
        // Every operation but `load` (reported after the fact) is a fault point.
        let total = operations(reference) - 1
        #expect(total >= 4, "\(reference.stdout)")
        for n in 1...total {
            let machine = try copy(base)
            let killed = execute(BuiltBinaries.worker, ["ngen", "--kill-at", "any#\(n)", "machine=\(machine)", "assemblies=A"])
            #expect(killed.stderr.contains("killed at fault point any#\(n)"), "\(killed.stdout)\(killed.stderr)")
            let status = try imageStatus(machine)
            // Killed before the image was renamed into place: the old image, stale; never a
            // partial image taken for a fresh one.
            #expect(status == "stale", "ngen killed at any#\(n): the image is \(status)")
            // And the report agrees with the bytes: a fresh image must parse whole.
            let again = execute(BuiltBinaries.worker, ["ngen", "machine=\(machine)", "assemblies=A"])
            #expect(again.status == 0)
            #expect(try imageStatus(machine) == "fresh")
        }
    }

    func imageStatus(_ machine: String) throws -> String {
        let directory = try MachineDirectory(opening: machine)
        return try #require(directory.nativeImageStatus().first { $0.assembly == "A" }).status.name
    }
}
