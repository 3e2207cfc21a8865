import Foundation
import Glibc
import Machine
import RigModel
import Servicing
import TestSupport
import Testing
import WinFS
import WindowsModel

/// `rig-worker installer` and `rig-worker setup` run standalone on machines made by
/// `rig machine create`, with packages staged by `PatchPackage.stage` from `Rigs/patches`, and
/// other processes (`rig fs open --hold`, another installer) holding what they hold.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct InstallerEndToEndTests {
    /// A netfx11 machine with `patches` staged; returns the machine directory.
    func machine(_ patches: [String], profile: String = "nt") throws -> String {
        let path = temporaryDirectory() + "/m"
        let created = execute(BuiltBinaries.rig, ["machine", "create", path, "--image", "Rigs/images/netfx11.yaml", "--profile", profile])
        #expect(created.status == 0, "\(created.stderr)")
        let root = try MachineRoot(path: path)
        for name in patches {
            try PatchPackage.stage(try PatchLoader.load(file: Repository.root + "/Rigs/patches/" + name), root: root)
        }
        return path
    }

    func version(_ machine: String, _ path: String) throws -> FileVersion? {
        let root = try MachineRoot(path: machine)
        return FileContent.stamp(of: try root.readFile(try WindowsPath(path)))?.version
    }

    func hold(_ machine: String, _ path: String, _ how: [String]) throws -> TestProcess {
        try TestProcess([BuiltBinaries.rig, "fs", "open", machine, path] + how + ["--hold"], until: "held")
    }

    let mscoree = "C:\\Windows\\System32\\mscoree.dll"
    let mscorwks = "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\mscorwks.dll"
    let netfx20 = "C:\\Windows\\Installer\\NDP20-KB829019.msp"
    let kb886903 = "C:\\Windows\\Installer\\KB886903.msp"

    @Test func installerReplacesFilesAndRunsNgenAsAChild() throws {
        let m = try machine(["kb886903.yaml"])
        let run = execute(BuiltBinaries.worker, ["installer", "machine=\(m)", "patch=\(kb886903)", "files_in_use=exit"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try version(m, mscorwks) == FileVersion("1.1.4322.2037"))
        // mscorwks.dll was serviced: every native image is regenerated.
        #expect(run.stdout.contains(" run child=ngen assemblies=mscorlib,System,System.Xml,System.Web -> "))
        #expect(run.stdout.contains(" emit event=installed -> ok"))
    }

    @Test func softLockedMscoreeGives3010DirectlyAnd0ThroughSetup() throws {
        // Installing the package directly keeps 3010 (process status 194).
        let direct = try machine(["netfx20-mscoree.yaml"])
        let app = try hold(direct, mscoree, ["--image"])
        let run = execute(BuiltBinaries.worker, ["installer", "machine=\(direct)", "patch=\(netfx20)"])
        app.release()
        #expect(run.status == 3010 & 0xff, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("reboot_required file=\(mscoree) lock=soft -> ok"))

        // Through setup's external UI handler: only mscoree.dll, soft-locked → 0.
        let viaSetup = try machine(["netfx20-mscoree.yaml"])
        let app2 = try hold(viaSetup, mscoree, ["--image"])
        let setup = execute(BuiltBinaries.worker, ["setup", "machine=\(viaSetup)", "patch=\(netfx20)"])
        app2.release()
        #expect(setup.status == 0, "\(setup.stdout)\(setup.stderr)")
        #expect(setup.stdout.contains("reboot_reduction patch=\(netfx20) installer_code=3010 code=0"))
        #expect(try version(viaSetup, mscoree) == FileVersion("2.0.50727.42"))
    }

    @Test func hardLockedMscoreeKeeps3010ThroughSetup() throws {
        let m = try machine(["netfx20-mscoree.yaml"])
        let editor = try hold(m, mscoree, ["--access", "read,write", "--share", "read,write"])
        let setup = execute(BuiltBinaries.worker, ["setup", "machine=\(m)", "patch=\(netfx20)", "files_in_use=ignore"])
        editor.release()
        #expect(setup.status == 3010 & 0xff, "\(setup.stdout)\(setup.stderr)")
        #expect(setup.stdout.contains("installer_code=3010 code=3010"))
        #expect(try version(m, mscoree) == FileVersion("1.1.4322.573"))
    }

    @Test func bootstrapperChainsPackagesAndAsksForOneReboot() throws {
        let packages = "\(netfx20),C:\\Windows\\Installer\\ContosoOrders-1.0.msp"
        // mscoree soft-locked: reduced; the application needs nothing: no reboot at all.
        let soft = try machine(["netfx20-mscoree.yaml", "contoso-orders.yaml"])
        let app = try hold(soft, mscoree, ["--image"])
        let run = execute(BuiltBinaries.worker, ["setup", "machine=\(soft)", "mode=bootstrapper", "packages=\(packages)"])
        app.release()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try version(soft, "C:\\Program Files\\Contoso\\Orders\\Orders.exe") == FileVersion("1.0.0.0"))

        // mscoree hard-locked (ignored): the prerequisite needs a reboot, remembered past the
        // application's install, asked for once at the end.
        let hard = try machine(["netfx20-mscoree.yaml", "contoso-orders.yaml"])
        let editor = try hold(hard, mscoree, ["--access", "read", "--share", "read"])
        let chained = execute(
            BuiltBinaries.worker, ["setup", "machine=\(hard)", "mode=bootstrapper", "packages=\(packages)", "files_in_use=ignore"])
        editor.release()
        #expect(chained.status == 3010 & 0xff, "\(chained.stdout)\(chained.stderr)")
        #expect(chained.stdout.contains("bootstrapper packages=2 code=3010"))
        #expect(try version(hard, "C:\\Program Files\\Contoso\\Orders\\Orders.exe") == FileVersion("1.0.0.0"))
    }

    @Test func secondInstallerExits1618WhileTheFirstWaitsOnAFileInUse() throws {
        let m = try machine(["kb886903.yaml"])
        let editor = try hold(m, mscorwks, ["--access", "read,write", "--share", "read,write"])
        // The first installer retries on the hard-locked file, holding _MSIExecute meanwhile.
        let first = try TestProcess(
            [BuiltBinaries.worker, "installer", "machine=\(m)", "patch=\(kb886903)", "files_in_use=retry", "retry_limit=60s"],
            until: "rename_aside file=\(mscorwks) -> ERROR_SHARING_VIOLATION (32)")
        let second = execute(BuiltBinaries.worker, ["installer", "machine=\(m)", "patch=\(kb886903)"])
        #expect(second.status == 1618 & 0xff, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("mutex name=_MSIExecute action=acquire -> ERROR_INSTALL_ALREADY_RUNNING (1618)"))
        // Once the editor lets go, the first one finishes.
        editor.release()
        #expect(first.wait().status == 0)
        #expect(try version(m, mscorwks) == FileVersion("1.1.4322.2037"))
    }

    @Test func win9xHardLocksALoadedFile() throws {
        let m = try machine(["kb886903.yaml"], profile: "win9x")
        let app = try hold(m, mscorwks, ["--image"])
        let run = execute(BuiltBinaries.worker, ["installer", "machine=\(m)", "patch=\(kb886903)", "files_in_use=exit"])
        app.release()
        #expect(run.status == 1602 & 0xff, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("rename_aside file=\(mscorwks) -> ERROR_SHARING_VIOLATION (32)"))
        #expect(try version(m, "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\System.Web.dll") == FileVersion("1.1.4322.573"))
    }

    @Test func badParametersAndMissingPackages() throws {
        let m = try machine([])
        let missing = execute(BuiltBinaries.worker, ["installer", "machine=\(m)", "patch=C:\\Windows\\Installer\\nope.msp"])
        #expect(missing.status == 1619 & 0xff)
        let bad = execute(BuiltBinaries.worker, ["installer", "machine=\(m)", "patch=\(kb886903)", "files_in_use=maybe"])
        #expect(bad.status == 1639 & 0xff)
        #expect(bad.stderr.contains("files_in_use 'maybe'"))
        let noMode = execute(BuiltBinaries.worker, ["setup", "machine=\(m)", "mode=silent"])
        #expect(noMode.status == 1639 & 0xff)
    }
}
