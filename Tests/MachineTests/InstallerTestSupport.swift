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

/// A netfx11 machine in a scratch directory, with helpers to look at it.
final class InstallerMachine {
    let scratch = Scratch("machine-test")
    let path: String
    let root: MachineRoot

    init(profile: MachineProfile = .nt) throws {
        path = scratch.path + "/machine"
        let image = try MachineImageLoader.load(file: repositoryImage("netfx11.yaml"))
        try MachineDirectory.create(at: path, image: image, profile: profile)
        root = try MachineRoot(path: path)
    }

    func bytes(_ path: WindowsPath) throws -> [UInt8] { try root.readFile(path) }

    func version(_ path: WindowsPath) throws -> FileVersion? { FileContent.stamp(of: try root.readFile(path))?.version }

    func pending() throws -> [PendingRename] { try pendingRenameStore(for: root).pending() }

    func registry() throws -> Registry { try Registry(machineDirectory: path) }

    /// Every file of drive C with its bytes' hash (to compare a machine before and after).
    func snapshot() throws -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for file in try MachineDirectory(opening: path).fileList() {
            result[file.path.description] = ContentHash.hash(try root.readFile(file.path))
        }
        return result
    }
}

/// Records what the transaction did; `onSleep` runs at each retry pause.
final class RecordingHost: InstallerHost {
    var events: [(op: String, args: [(name: String, value: String)], result: String)] = []
    var lines: [String] = []
    var sleeps = 0
    var onSleep: ((Int) -> Void)?

    /// Records the result as a worker's event reads it: `ok`, `ok NOTE`, or the failure.
    @discardableResult
    func perform(
        _ op: String, _ args: [(name: String, value: String)], _ body: () throws(OperationFailure) -> String?
    ) -> OperationFailure? {
        do throws(OperationFailure) {
            let note = try body()
            events.append((op, args, note.map { "ok \($0)" } ?? "ok"))
            return nil
        } catch {
            events.append((op, args, error.description))
            return error
        }
    }

    func sleep(nanoseconds: UInt64) {
        sleeps += 1
        onSleep?(sleeps)
    }

    func log(_ line: String) { lines.append(line) }

    /// Results of operation `op` on `file`, in order.
    func results(_ op: String, file: WindowsPath? = nil) -> [String] {
        events.filter { event in
            event.op == op && (file == nil || event.args.contains { $0.name == "file" && $0.value == file!.description })
        }.map(\.result)
    }
}

/// Other processes holding something of the machine until released (`rig fs open ... --hold`).
extension TestProcess {
    /// `rig fs open MACHINE PATH --image --hold`: the file loaded as an image (shares delete).
    static func image(_ machine: InstallerMachine, _ path: WindowsPath) throws -> TestProcess {
        try TestProcess([BuiltBinaries.rig, "fs", "open", machine.path, path.description, "--image", "--hold"], until: "held")
    }

    /// A document editor's handle: read|write, share read|write, no delete sharing (a hard lock).
    static func editor(_ machine: InstallerMachine, _ path: WindowsPath) throws -> TestProcess {
        try TestProcess(
            [BuiltBinaries.rig, "fs", "open", machine.path, path.description, "--access", "read,write", "--share", "read,write", "--hold"],
            until: "held")
    }

    /// A handle that shares everything (read, share read|write|delete): a soft lock.
    static func sharingReader(_ machine: InstallerMachine, _ path: WindowsPath) throws -> TestProcess {
        try TestProcess(
            [
                BuiltBinaries.rig, "fs", "open", machine.path, path.description, "--access", "read", "--share", "read,write,delete",
                "--hold",
            ],
            until: "held")
    }
}

let framework = winPath("C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322")
let mscorwks = framework.appending("mscorwks.dll")
let systemWeb = framework.appending("System.Web.dll")
/// Where Fusion puts System.Web in the GAC, written out as a rig's `expect.files` writes it.
let systemWebInGAC = winPath("C:\\Windows\\assembly\\GAC\\System.Web\\1.0.5000.0__b03f5f7f11d50a3a\\System.Web.dll")
let aspnetIsapi = framework.appending("aspnet_isapi.dll")
let mscoree = winPath("C:\\Windows\\System32\\mscoree.dll")

/// The repository's `Rigs/patches/<name>`.
func repositoryPatch(_ name: String) -> String { Repository.file("Rigs/patches/" + name) }

/// The patch `Rigs/patches/<name>` as the loader reads it.
func loadPatch(_ name: String) throws -> Patch { try PatchLoader.load(file: repositoryPatch(name)) }

/// Runs `patch` on `machine` with `options`, through the staged package as the installer reads it.
func install(
    _ patch: Patch, on machine: InstallerMachine, _ options: InstallerOptions = InstallerOptions(), host: RecordingHost = RecordingHost()
) throws -> InstallerOutcome {
    let path = try PatchPackage.stage(patch, root: machine.root)
    let staged = try PatchPackage.read(path, root: machine.root)
    #expect(staged == patch)
    return InstallerTransaction(patch: staged, root: machine.root, options: options, host: host).run()
}
