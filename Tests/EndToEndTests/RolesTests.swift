import Foundation
import Glibc
import Machine
import RigModel
import Servicing
import TestSupport
import Testing
import WinFS
import WindowsModel

/// The servicing roles (`app`, `ngen`, `netfxupdate`, `windowsupdate`) run as real `rig-worker`
/// processes, standalone or started by `rig machine boot`, on machines made from
/// `Rigs/images/netfx11.yaml`. Every conflict comes from another real process: a `rig fs open
/// --hold` holding a file, an app with a DLL loaded, `rig fs move` replacing a file.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct RolesTests {
    let scratch = Scratch("rig-e2e")
    static let framework = "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322"
    static let frameworkHost = "drive_c/Windows/Microsoft.NET/Framework/v1.1.4322"
    static let mscoree = "C:\\Windows\\System32\\mscoree.dll"
    static let mscorwks = framework + "\\mscorwks.dll"
    static let serviceKey = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\NetFxUpdate"
    static let workKey = "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\NetFxUpdate"
    static let runOnceKey = "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce"

    // MARK: Helpers

    func rig(_ arguments: [String]) -> ProcessOutcome { TestProcess([BuiltBinaries.rig] + arguments).release() }

    func worker(_ role: String, _ parameters: [String]) -> ProcessOutcome {
        TestProcess([BuiltBinaries.worker, role] + parameters).release()
    }

    /// A new machine with the .NET Framework 1.1 image.
    func makeMachine(_ name: String = "m") -> String {
        let machine = "\(scratch.path)/\(name)"
        let made = rig(["machine", "create", machine, "--image", Repository.root + "/Rigs/images/netfx11.yaml"])
        #expect(made.status == 0, "\(made)")
        return machine
    }

    /// Puts a new build of `name` in the framework directory (as a patch would leave it), by the
    /// host: a simulated PE header with `version`, then filler.
    func rewrite(_ machine: String, _ name: String, version: String, directory: String = frameworkHost) {
        RegE2E.write("\(machine)/\(directory)/\(name)", "PATCHRIG-PE \(name) \(version)\n" + String(repeating: "z", count: 4096))
    }

    /// Native image status by assembly, from `rig machine show --json`.
    func imageStatus(_ machine: String) -> [String: String] {
        let shown = rig(["machine", "show", machine, "--json"])
        #expect(shown.status == 0, "\(shown)")
        guard let object = try? JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any],
            let images = object["native_images"] as? [[String: Any]]
        else {
            Issue.record("rig machine show --json printed no native_images: \(shown)")
            return [:]
        }
        var result: [String: String] = [:]
        for image in images {
            if let assembly = image["assembly"] as? String { result[assembly] = image["status"] as? String }
        }
        return result
    }

    /// Waits until `child`'s stdout contains `text` (or it ended without it). True when it did.
    func waitForOutput(_ child: TestProcess, _ text: String) -> Bool { child.waitForOutput(text) }

    // MARK: app

    @Test func anAppKeepsRunningTheOldBytesAfterItsDllIsReplaced() throws {
        let m = makeMachine()
        let app = TestProcess(
            [BuiltBinaries.worker, "app", "machine=\(m)", "load=\(Self.mscoree),\(Self.mscorwks)", "run_for=3s"])
        #expect(waitForOutput(app, "emit event=loaded -> ok"))
        #expect(app.stdoutSoFar.contains("load path=\(Self.mscoree) version=1.1.4322.573 -> ok"))
        rewrite(m, "mscoree.new", version: "2.0.50727.42", directory: "drive_c/Windows/System32")
        let new = "C:\\Windows\\System32\\mscoree.new"
        // Loaded as an image: it cannot be replaced in place (ERROR_ACCESS_DENIED (5))...
        #expect(rig(["fs", "move", m, new, Self.mscoree, "--replace"]).status == 5)
        // ...but it can be renamed aside (a soft lock), and the new file put at its path.
        #expect(rig(["fs", "move", m, Self.mscoree, "C:\\Windows\\System32\\mscoree.dll.~1"]).status == 0)
        #expect(rig(["fs", "move", m, new, Self.mscoree]).status == 0)
        let ended = app.wait()
        #expect(ended.status == 0, "\(ended)")
        #expect(
            ended.stdout.contains("check path=\(Self.mscoree) version=1.1.4322.573 on_disk=2.0.50727.42 -> ok"),
            "\(ended)")
        #expect(ended.stdout.contains("check path=\(Self.mscorwks) version=1.1.4322.573 on_disk=1.1.4322.573 -> ok"))
        // A process started now loads the new file.
        let later = worker("app", ["machine=\(m)", "load=\(Self.mscoree)"])
        #expect(later.status == 0)
        #expect(later.stdout.contains("load path=\(Self.mscoree) version=2.0.50727.42 -> ok"), "\(later)")
    }

    @Test func aDocumentHeldByAnAppIsHardLocked() throws {
        let m = makeMachine()
        let web = Self.framework + "\\System.Web.dll"
        let app = TestProcess([BuiltBinaries.worker, "app", "machine=\(m)", "hold=\(web)", "run_for=3s"])
        #expect(waitForOutput(app, "emit event=loaded -> ok"))
        #expect(app.stdoutSoFar.contains("hold path=\(web) version=1.1.4322.573 -> ok"))
        // No share-delete: it cannot be renamed aside (ERROR_SHARING_VIOLATION (32)).
        let aside = rig(["fs", "move", m, web, web + ".~1"])
        #expect(aside.status == 32, "\(aside)")
        #expect(app.wait().status == 0)
        #expect(rig(["fs", "move", m, web, web + ".~1"]).status == 0)
    }

    @Test func anAppWhoseLoadFailsTriesEveryLoadThenExits1WithoutLoaded() {
        let m = makeMachine()
        let missing = "C:\\Windows\\System32\\missing.dll"
        let run = worker("app", ["machine=\(m)", "load=\(missing),\(Self.mscoree)", "run_for=10s"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.contains("load path=\(missing) -> ERROR_FILE_NOT_FOUND (2)"), "\(run)")
        #expect(run.stdout.contains("load path=\(Self.mscoree) version=1.1.4322.573 -> ok"))
        #expect(!run.stdout.contains("loaded"))
        #expect(worker("app", ["machine=\(m)", "run_for=soon"]).status == 87)
    }

    // MARK: ngen

    @Test func ngenUpdateRebuildsExactlyTheImagesARewriteMadeStale() {
        let m = makeMachine()
        rewrite(m, "System.dll", version: "1.1.4322.2032")
        #expect(imageStatus(m) == ["mscorlib": "fresh", "System": "stale", "System.Xml": "stale", "System.Web": "stale"])
        let run = worker("ngen", ["machine=\(m)", "assemblies=all", "action=update"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("load path=\(Self.mscorwks) version=1.1.4322.573 -> ok"))
        for assembly in ["System", "System.Xml", "System.Web"] {
            #expect(run.stdout.contains("ngen assembly=\(assembly) -> ok"), "\(run)")
        }
        #expect(!run.stdout.contains("ngen assembly=mscorlib"))
        #expect(imageStatus(m).values.allSatisfy { $0 == "fresh" }, "\(imageStatus(m))")
    }

    @Test func ngenFailsToLoadMscorwksWhileAnotherProcessHoldsItExclusively() {
        let m = makeMachine()
        rewrite(m, "System.dll", version: "1.1.4322.2032")
        let holder = TestProcess(
            [BuiltBinaries.rig, "fs", "open", m, Self.mscorwks, "--access", "read,write", "--share", "none", "--hold"])
        #expect(holder.waitForOutput("held"))
        let run = worker("ngen", ["machine=\(m)", "assemblies=System,System.Web"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.contains("load path=\(Self.mscorwks) -> ERROR_SHARING_VIOLATION (32)"), "\(run)")
        for assembly in ["System", "System.Web"] {
            #expect(
                run.stdout.contains("ngen assembly=\(assembly) -> failed to load mscorwks.dll: ERROR_SHARING_VIOLATION (32)"),
                "\(run)")
        }
        #expect(imageStatus(m)["System"] == "stale")
        #expect(imageStatus(m)["System.Web"] == "stale")
        // The holder gone, the same command works: the failure was the holder's doing.
        holder.release()
        let again = worker("ngen", ["machine=\(m)", "assemblies=System,System.Web"])
        #expect(again.status == 0, "\(again)")
        #expect(imageStatus(m)["System"] == "fresh")
        #expect(imageStatus(m)["System.Web"] == "fresh")
        #expect(imageStatus(m)["System.Xml"] == "stale")  // not asked for
    }

    @Test func ngenReportsAnAssemblyItCannotReadWhileAWriterHoldsIt() {
        let m = makeMachine()
        rewrite(m, "System.Xml.dll", version: "1.1.4322.2032")
        let xml = Self.framework + "\\System.Xml.dll"
        let holder = TestProcess(
            [BuiltBinaries.rig, "fs", "open", m, xml, "--access", "write", "--share", "none", "--hold"])
        #expect(holder.waitForOutput("held"))
        let run = worker("ngen", ["machine=\(m)", "assemblies=System.Xml,mscorlib"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.contains("ngen assembly=mscorlib -> ok"), "\(run)")
        #expect(run.stdout.contains("ngen assembly=System.Xml -> ngen System.Xml: cannot read \(xml)"), "\(run)")
        #expect(run.stdout.contains("ERROR_SHARING_VIOLATION (32)"))
        holder.release()
        #expect(imageStatus(m)["System.Xml"] == "stale")
    }

    @Test func ngenHoldingTheInstallMutexWaitsForTheInstallThatHasIt() {
        let m = makeMachine()
        // An install in progress: a process holding _MSIExecute (the machine's named mutex).
        RegE2E.makeDirectories(m + "/objects")
        // O_CLOEXEC: a copy of the descriptor inherited by ngen would hold the lock for it.
        let fd = open(m + "/objects/_MSIExecute", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0 && flock(fd, LOCK_EX) == 0)
        let ngen = TestProcess(
            [BuiltBinaries.worker, "ngen", "machine=\(m)", "assemblies=mscorlib", "install_mutex=hold"])
        usleep(300_000)
        #expect(isAlive(ngen.pid), "ngen finished while the install held the mutex")
        #expect(!ngen.stdoutSoFar.contains("ngen assembly"))
        close(fd)
        // Released: it must go on now (killed after a minute rather than hang the suite).
        var waited = 0
        while isAlive(ngen.pid) && waited < 6000 {
            usleep(10_000)
            waited += 1
        }
        if isAlive(ngen.pid) { kill(ngen.pid, SIGKILL) }
        let ended = ngen.wait()
        #expect(ended.status == 0, "\(ended)")
        #expect(ended.stdout.contains("mutex name=_MSIExecute -> ok"))
        #expect(ended.stdout.contains("ngen assembly=mscorlib -> ok"))
    }

    // MARK: netfxupdate

    /// Registers the NetFxUpdate service with `work` in its protected key.
    func registerService(_ m: String, work: [String]) {
        #expect(rig(["reg", "set", m, Self.serviceKey, "Start", "-t", "REG_DWORD", "-d", "2"]).status == 0)
        #expect(rig(["reg", "set", m, Self.serviceKey, "ImagePath", "-d", Self.framework + "\\netfxupdate.exe /service"]).status == 0)
        var arguments = ["reg", "set", m, Self.workKey, "Work", "-t", "REG_MULTI_SZ"]
        for item in work { arguments += ["-d", item] }
        #expect(rig(arguments).status == 0)
    }

    @Test func theServiceDoesItsWorkTakesOverRunOnceEntriesAndRemovesItselfAtABootWithNoLogon() {
        let m = makeMachine()
        rewrite(m, "System.Xml.dll", version: "1.1.4322.2032")
        rewrite(m, "mscorlib.dll", version: "1.1.4322.2032")
        #expect(imageStatus(m).values.allSatisfy { $0 == "stale" })
        registerService(m, work: ["ngen System.Xml"])
        // An older patch's RunOnce entry, waiting for an administrator who never logs on.
        let old = Self.framework + "\\netfxupdate.exe /ngen:mscorlib"
        #expect(rig(["reg", "set", m, Self.runOnceKey, "NetFxUpdate_KB1", "-d", old]).status == 0)

        let boot = rig(["machine", "boot", m, "--logon", "none"])
        #expect(boot.status == 0, "\(boot)")
        #expect(boot.stdout.contains("takeover name=NetFxUpdate_KB1 command=\(old) work=ngen mscorlib -> ok"), "\(boot)")
        #expect(boot.stdout.contains("work item=ngen System.Xml -> ok"), "\(boot)")
        #expect(boot.stdout.contains("work item=ngen mscorlib -> ok"), "\(boot)")
        #expect(boot.stdout.contains("service name=NetFxUpdate action=remove -> ok"), "\(boot)")
        #expect(imageStatus(m).values.allSatisfy { $0 == "fresh" }, "\(imageStatus(m))")
        // The service key is gone, and with it the work and the old entry.
        #expect(rig(["reg", "get", m, Self.serviceKey, "ImagePath"]).status == 1)
        #expect(rig(["reg", "get", m, Self.workKey, "Work"]).status == 1)
        #expect(rig(["reg", "get", m, Self.runOnceKey, "NetFxUpdate_KB1"]).status == 1)
    }

    @Test func workThatFailsStaysAndKeepsTheService() {
        let m = makeMachine()
        rewrite(m, "System.dll", version: "1.1.4322.2032")
        registerService(m, work: ["ngen System", "ngen Ghost"])
        let run = worker("netfxupdate", ["machine=\(m)", "command=\(Self.framework)\\netfxupdate.exe /service"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.contains("work item=ngen System -> ok"), "\(run)")
        #expect(run.stdout.contains("work item=ngen Ghost -> ngen Ghost exited 1"), "\(run)")
        #expect(run.stdout.contains("service name=NetFxUpdate action=keep"), "\(run)")
        #expect(imageStatus(m).values.allSatisfy { $0 == "fresh" })
        #expect(rig(["reg", "get", m, Self.workKey, "Work"]).stdout.contains("ngen Ghost"))
        #expect(!rig(["reg", "get", m, Self.workKey, "Work"]).stdout.contains("ngen System"))
        #expect(rig(["reg", "get", m, Self.serviceKey, "ImagePath"]).status == 0)
    }

    @Test func theServiceKeepsItsWorkWhenNgenCannotLoadMscorwks() {
        let m = makeMachine()
        rewrite(m, "System.Web.dll", version: "1.1.4322.2032")
        registerService(m, work: ["ngen System.Web"])
        let holder = TestProcess(
            [BuiltBinaries.rig, "fs", "open", m, Self.mscorwks, "--access", "read,write", "--share", "none", "--hold"])
        #expect(holder.waitForOutput("held"))
        let run = worker("netfxupdate", ["machine=\(m)", "mode=service"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.contains("ngen assembly=System.Web -> failed to load mscorwks.dll: ERROR_SHARING_VIOLATION (32)"), "\(run)")
        #expect(run.stdout.contains("work item=ngen System.Web -> ngen System.Web exited 1"))
        holder.release()
        #expect(imageStatus(m)["System.Web"] == "stale")
        #expect(rig(["reg", "get", m, Self.workKey, "Work"]).stdout.contains("ngen System.Web"))
        #expect(rig(["reg", "get", m, Self.serviceKey, "ImagePath"]).status == 0)
        // Next boot, nobody in the way: the work is done and the service goes.
        #expect(rig(["machine", "boot", m, "--logon", "none"]).status == 0)
        #expect(imageStatus(m)["System.Web"] == "fresh")
        #expect(rig(["reg", "get", m, Self.serviceKey, "ImagePath"]).status == 1)
    }

    @Test func theRunOnceEraWaitsForAnAdministratorsLogon() {
        let m = makeMachine()
        rewrite(m, "System.dll", version: "1.1.4322.2032")
        let command = Self.framework + "\\netfxupdate.exe /ngen:System"
        #expect(rig(["reg", "set", m, Self.runOnceKey, "NetFxUpdate_KB2", "-d", command]).status == 0)
        // A plain user's logon does not run HKLM RunOnce: the images stay stale.
        #expect(rig(["machine", "boot", m, "--logon", "user"]).status == 0)
        #expect(imageStatus(m)["System.Web"] == "stale")
        #expect(rig(["reg", "get", m, Self.runOnceKey, "NetFxUpdate_KB2"]).status == 0)
        // An administrator's does: System and everything that depends on it are rebuilt.
        let boot = rig(["machine", "boot", m, "--logon", "admin"])
        #expect(boot.status == 0, "\(boot)")
        for assembly in ["System", "System.Xml", "System.Web"] {
            #expect(boot.stdout.contains("ngen assembly=\(assembly) -> ok"), "\(boot)")
        }
        #expect(imageStatus(m).values.allSatisfy { $0 == "fresh" })
        #expect(rig(["reg", "get", m, Self.runOnceKey, "NetFxUpdate_KB2"]).status == 1)
    }

    @Test func theRunOnceEraInstallsGacFilesOnWindows9x() {
        let m = makeMachine()
        let library = Self.framework + "\\System.Web.dll"
        rewrite(m, "System.Web.dll", version: "1.1.4322.2032")
        let run = worker("netfxupdate", ["machine=\(m)", "arg1=/gac:\(library)", "arg2=/ngen:mscorlib"])
        #expect(run.status == 0, "\(run)")
        // The folder carries the assembly's identity (assembly version, neutral culture, token).
        let destination = "C:\\Windows\\assembly\\GAC\\System.Web\\1.0.5000.0__b03f5f7f11d50a3a\\System.Web.dll"
        #expect(run.stdout.contains("gac path=\(library) destination=\(destination) -> ok"), "\(run)")
        #expect(
            RegE2E.read(m + "/drive_c/Windows/assembly/GAC/System.Web/1.0.5000.0__b03f5f7f11d50a3a/System.Web.dll")
                .hasPrefix("PATCHRIG-PE System.Web.dll 1.1.4322.2032"))
        // A file that is not an assembly of the machine has no identity to install under.
        RegE2E.write(m + "/drive_c/Program Files/App/Lib.dll", "PATCHRIG-PE Lib.dll 1.0.0.5\n" + String(repeating: "q", count: 100))
        let notAssembly = worker("netfxupdate", ["machine=\(m)", "arg1=/gac:C:\\Program Files\\App\\Lib.dll"])
        #expect(notAssembly.status == 1, "\(notAssembly)")
        #expect(notAssembly.stdout.contains("is not an assembly of the machine"), "\(notAssembly)")
        #expect(run.stdout.contains("ngen assembly=mscorlib -> ok"))
        #expect(worker("netfxupdate", ["machine=\(m)", "arg1=/q"]).status == 87)
        // The same work given as rig parameters.
        let viaParameters = worker("netfxupdate", ["machine=\(m)", "mode=runonce", "work=ngen System.Xml"])
        #expect(viaParameters.status == 0, "\(viaParameters)")
        #expect(viaParameters.stdout.contains("ngen assembly=System.Web -> ok"))
        #expect(worker("netfxupdate", ["machine=\(m)", "mode=service", "work=ngen System"]).status == 87)
        #expect(worker("netfxupdate", ["machine=\(m)", "mode=later"]).status == 87)
    }

    // MARK: windowsupdate

    /// The `duration_ns` of the `sleep` event in `output`.
    func sleptNs(_ output: String) -> UInt64? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains(" sleep delay_ns=") }),
            let field = line.split(separator: " ").first(where: { $0.hasPrefix("duration_ns=") })
        else { return nil }
        return UInt64(field.dropFirst("duration_ns=".count))
    }

    @Test func windowsUpdateWaitsTheDelayPlusSeededJitterThenLaunchesTheHotfix() throws {
        let m = makeMachine()
        let patch = "C:\\Windows\\Installer\\KB886903.msp"
        func launch(seed: String) -> ProcessOutcome {
            worker("windowsupdate", ["machine=\(m)", "patch=\(patch)", "delay=20ms", "jitter=30ms", "seed=\(seed)"])
        }
        let first = launch(seed: "7")
        let again = launch(seed: "7")
        let other = launch(seed: "8")
        let slept = try #require(sleptNs(first.stdout), "\(first)")
        #expect(slept >= 20_000_000 && slept <= 50_000_000)
        #expect(sleptNs(again.stdout) == slept)
        #expect(sleptNs(other.stdout) != slept)
        #expect(first.stdout.contains("sleep delay_ns=20000000 jitter_ns=30000000 seed=7 duration_ns=\(slept) -> ok"))
        // Then the hotfix install, as a child process; windowsupdate exits with its code.
        let hotfix = try #require(first.stdout.split(separator: "\n").first { $0.contains(" hotfix patch=\(patch)") }, "\(first)")
        #expect(hotfix.contains("code=\(first.status) -> ok"), "\(first)")
        #expect(worker("windowsupdate", ["machine=\(m)", "patch=\(patch)", "delay=soon"]).status == 87)
    }

    @Test func windowsUpdateInstallsAStagedHotfixThroughTheInstaller() throws {
        let m = makeMachine()
        try PatchPackage.stage(try PatchLoader.load(file: Repository.root + "/Rigs/patches/kb886903.yaml"), root: try MachineRoot(path: m))
        let patch = "C:\\Windows\\Installer\\KB886903.msp"
        let run = worker("windowsupdate", ["machine=\(m)", "patch=\(patch)", "delay=5ms", "jitter=5ms", "seed=1"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("hotfix patch=\(patch) attempt=1 code=0 -> ok"), "\(run)")
        #expect(run.stdout.contains("emit event=installed -> ok"), "\(run)")
        #expect(RegE2E.read(m + "/" + Self.frameworkHost + "/mscorwks.dll").hasPrefix("PATCHRIG-PE mscorwks.dll 1.1.4322.2037"))
    }
}
