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

/// The installer transaction against real holders: `rig fs open --hold` processes holding files
/// of the machine the way an application (loaded image), a reader sharing everything, or a
/// document editor (no delete sharing) does.
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5))) struct InstallerTransactionTests {
    @Test func filesNotInUseAreReplacedAndNativeImagesRunAtOnce() throws {
        let machine = try InstallerMachine()
        let patch = try loadPatch("kb886903.yaml")
        let host = RecordingHost()
        let outcome = try install(patch, on: machine, host: host)
        #expect(outcome.exitCode == 0)
        #expect(outcome.rebootCauses.isEmpty)
        for file in patch.files {
            #expect(try machine.bytes(file.path) == file.bytes)
        }
        #expect(try machine.pending().isEmpty)
        // The hotfix services mscorwks.dll, the runtime engine every image is built against: all of
        // them are regenerated, at once.
        #expect(outcome.nativeImages == .now(["mscorlib", "System", "System.Xml", "System.Web"]))
        let record = try machine.registry().value(patch.recordKey, "Installed")
        #expect(record == .dword(1))
        #expect(try machine.registry().value(NetFxUpdateKeys.runOnce, NetFxUpdateKeys.runOnceValueName(patch: patch.id)) == nil)
        // No temporary file or backup is left behind.
        #expect(try machine.root.list(framework).allSatisfy { !$0.contains("~tmp") })
        #expect(try machine.root.list(InstallerTransaction.rollbackDirectory).isEmpty)
        #expect(host.results("mutex") == ["ok", "ok"])
    }

    @Test func loadedImageIsSoftLockedRenamedAsideAndDeletedAtReboot() throws {
        let machine = try InstallerMachine()
        let patch = try loadPatch("kb886903.yaml")
        let oldBytes = try machine.bytes(mscorwks)
        let app = try TestProcess.image(machine, mscorwks)
        defer { app.release() }
        let host = RecordingHost()
        let outcome = try install(patch, on: machine, host: host)
        #expect(outcome.exitCode == 3010)
        #expect(outcome.rebootCauses == [RebootCause(file: mscorwks, lock: .soft)])
        // Writing in place is refused while it is mapped as an image; the move into place works.
        #expect(host.results("replace", file: mscorwks) == ["ERROR_SHARING_VIOLATION (32)", "ok"])
        #expect(host.results("rename_aside", file: mscorwks) == ["ok"])
        // The new version stands at the path; the old one, aside, waits for deletion at reboot.
        #expect(try machine.version(mscorwks) == FileVersion("1.1.4322.2037"))
        let aside = framework.appending("mscorwks.dll.~1")
        #expect(try machine.bytes(aside) == oldBytes)
        #expect(try machine.pending() == [PendingRename(source: aside, destination: nil, replaceExisting: false)])
        // A reboot is pending: native images wait for it, through a RunOnce entry.
        let all = ["mscorlib", "System", "System.Xml", "System.Web"]
        #expect(outcome.nativeImages == .afterReboot(era: .runonce, assemblies: all, gac: []))
        let command = try machine.registry().value(NetFxUpdateKeys.runOnce, "NetFxUpdate_KB886903")
        #expect(
            command
                == .string("C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\netfxupdate.exe /ngen:mscorlib,System,System.Xml,System.Web"))
    }

    @Test func handleSharingDeleteIsASoftLockToo() throws {
        let machine = try InstallerMachine()
        let reader = try TestProcess.sharingReader(machine, systemWeb)
        defer { reader.release() }
        let outcome = try install(try loadPatch("kb886903.yaml"), on: machine)
        #expect(outcome.exitCode == 3010)
        #expect(outcome.rebootCauses == [RebootCause(file: systemWeb, lock: .soft)])
    }

    @Test func hardLockWithExitRollsEverythingBack() throws {
        let machine = try InstallerMachine()
        let patch = try loadPatch("kb886903.yaml")  // mscorwks, System.Web, aspnet_isapi in that order
        let before = try machine.snapshot()
        let pendingBefore = try machine.pending()
        // mscorwks soft-locked (renamed aside, queued), then aspnet_isapi hard-locked.
        let app = try TestProcess.image(machine, mscorwks)
        let editor = try TestProcess.editor(machine, aspnetIsapi)
        defer {
            app.release()
            editor.release()
        }
        let host = RecordingHost()
        let outcome = try install(patch, on: machine, InstallerOptions(filesInUse: .exit), host: host)
        #expect(outcome.exitCode == 1602)
        #expect(host.results("rename_aside", file: mscorwks) == ["ok"])
        #expect(host.results("rename_aside", file: aspnetIsapi) == ["ERROR_SHARING_VIOLATION (32)"])
        #expect(host.results("rollback").allSatisfy { $0 == "ok" })
        #expect(host.events.contains { $0.op == "rollback" && $0.args.contains { $0.value == "dequeue" } })
        // Every old file byte for byte, nothing else on the disk but the staged package.
        var after = try machine.snapshot()
        after[patch.packagePath.description] = nil
        #expect(after == before)
        #expect(try machine.pending() == pendingBefore)
        #expect(try machine.registry().value(patch.recordKey, "Installed") == nil)
    }

    @Test func hardLockWithIgnoreQueuesTheReplacement() throws {
        let machine = try InstallerMachine()
        let oldBytes = try machine.bytes(mscorwks)
        let editor = try TestProcess.editor(machine, mscorwks)
        defer { editor.release() }
        let outcome = try install(try loadPatch("kb886903.yaml"), on: machine, InstallerOptions(filesInUse: .ignore))
        #expect(outcome.exitCode == 3010)
        #expect(outcome.rebootCauses == [RebootCause(file: mscorwks, lock: .hard)])
        #expect(try machine.bytes(mscorwks) == oldBytes)
        let temporary = framework.appending("mscorwks.dll.~tmp1")
        #expect(try machine.pending() == [PendingRename(source: temporary, destination: mscorwks, replaceExisting: true)])
        #expect(try machine.version(temporary) == FileVersion("1.1.4322.2037"))
    }

    @Test func retryWaitsUntilTheHolderLetsGo() throws {
        let machine = try InstallerMachine()
        let editor = try TestProcess.editor(machine, mscorwks)
        let host = RecordingHost()
        // The holder lets go during the second pause: the next try finds the file free.
        host.onSleep = { count in if count == 2 { editor.release() } }
        let outcome = try install(try loadPatch("kb886903.yaml"), on: machine, InstallerOptions(filesInUse: .retry), host: host)
        #expect(outcome.exitCode == 0)
        #expect(host.sleeps == 2)
        #expect(try machine.version(mscorwks) == FileVersion("1.1.4322.2037"))
        #expect(try machine.pending().isEmpty)
    }

    @Test func retryGivesUpAtTheLimitAndRollsBack() throws {
        let machine = try InstallerMachine()
        let before = try machine.snapshot()
        let editor = try TestProcess.editor(machine, mscorwks)
        defer { editor.release() }
        let host = RecordingHost()
        let options = InstallerOptions(filesInUse: .retry, retryLimitNs: 300_000_000, retryIntervalNs: 100_000_000)
        let outcome = try install(try loadPatch("kb886903.yaml"), on: machine, options, host: host)
        #expect(outcome.exitCode == 1602)
        #expect(host.sleeps == 3)
        var after = try machine.snapshot()
        after[Patch.packagePath(id: "KB886903").description] = nil
        #expect(after == before)
    }

    @Test func failurePartWayRollsBackTo1603() throws {
        let machine = try InstallerMachine()
        // The second file's directory cannot be made: a file stands where it would go.
        let blocker = winPath("C:\\Program Files")
        try machine.root.writeFile(blocker, Array("not a directory".utf8))
        let app = try TestProcess.image(machine, systemWeb)
        defer { app.release() }
        let before = try machine.snapshot()
        let patch = Patch(
            id: "Broken", era: .runonce, product: "Test",
            files: [
                PatchFile(path: systemWeb, version: FileVersion("1.1.4322.2037")!, size: 70000),
                PatchFile(path: mscorwks, version: FileVersion("1.1.4322.2037")!, size: 70000),
                PatchFile(path: winPath("C:\\Program Files\\App\\app.dll"), version: FileVersion("1.0.0.0")!, size: 4096, adds: true),
            ])
        let host = RecordingHost()
        let outcome = try install(patch, on: machine, host: host)
        #expect(outcome.exitCode == 1603)
        #expect(host.results("create_directory") == ["ERROR_ALREADY_EXISTS (183)"])
        var after = try machine.snapshot()
        after[patch.packagePath.description] = nil
        #expect(after == before)
        #expect(try machine.pending().isEmpty)
    }

    @Test func secondInstallExits1618WhileAnotherProcessHoldsTheMutex() throws {
        let machine = try InstallerMachine()
        let before = try machine.snapshot()
        _ = try NamedMutex(NamedMutex.installer, machine: machine.root)  // creates objects/_MSIExecute
        // util-linux flock(1) takes the same flock(2) lock NamedMutex uses, in another process.
        let other = try TestProcess(
            ["/usr/bin/flock", "-n", machine.path + "/objects/_MSIExecute", "sh", "-c", "echo held; cat"], until: "held")
        let host = RecordingHost()
        let outcome = try install(try loadPatch("kb886903.yaml"), on: machine, host: host)
        #expect(outcome.exitCode == 1618)
        #expect(host.results("mutex") == ["ERROR_INSTALL_ALREADY_RUNNING (1618)"])
        var after = try machine.snapshot()
        after[Patch.packagePath(id: "KB886903").description] = nil
        #expect(after == before)
        other.release()
        #expect(try install(try loadPatch("kb886903.yaml"), on: machine).exitCode == 0)
    }

    @Test func reapplyingTheServicePackRerunsNativeImages() throws {
        let machine = try InstallerMachine()
        let patch = try loadPatch("netfx11-sp1.yaml")
        let first = try install(patch, on: machine)
        #expect(first.exitCode == 0)
        let host = RecordingHost()
        let again = try install(patch, on: machine, host: host)
        #expect(again.exitCode == 0)
        #expect(host.results("skip").count == patch.files.count + patch.gac.count)
        #expect(host.results("replace").isEmpty)
        #expect(again.nativeImages == .now(["mscorlib", "System", "System.Xml", "System.Web"]))
        #expect(try machine.registry().value(patch.recordKey, "Installed") == .dword(1))
        #expect(
            try machine.registry().value(winRegistryKey("HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v1.1.4322"), "SP")
                == .dword(1))
        // On NT Fusion installs into the GAC at once.
        #expect(try machine.version(systemWebInGAC) == FileVersion("1.1.4322.2032"))
    }

    @Test func serviceEraRegistersNetFxUpdateWithWork() throws {
        let machine = try InstallerMachine()
        let app = try TestProcess.image(machine, mscorwks)
        defer { app.release() }
        let outcome = try install(try loadPatch("netfx11-sp1-service.yaml"), on: machine)
        #expect(outcome.exitCode == 3010)
        let registry = try machine.registry()
        #expect(try registry.value(NetFxUpdateKeys.service, "Start") == .dword(2))
        #expect(try registry.value(NetFxUpdateKeys.service, "ImagePath") == .string(NetFxUpdateKeys.serviceCommand))
        #expect(
            try registry.value(NetFxUpdateKeys.work, "Work")
                == .multiString(["ngen mscorlib", "ngen System", "ngen System.Xml", "ngen System.Web"]))
        #expect(try registry.value(NetFxUpdateKeys.runOnce, "NetFxUpdate_NDP1.1sp1-KB867460") == nil)
    }
}

func winRegistryKey(_ text: String) -> RegistryKeyPath { try! RegistryKeyPath(text) }

/// The Windows 9x profile: every in-use file is hard-locked, and GAC installs wait for the reboot.
@Suite(.serialized, .forkFree, .timeLimit(.minutes(5))) struct InstallerWindows9xTests {
    @Test func loadedImageCannotBeRenamedOn9xButCanOnNT() throws {
        for profile in [MachineProfile.nt, .win9x] {
            let machine = try InstallerMachine(profile: profile)
            let app = try TestProcess.image(machine, mscoree)
            defer { app.release() }
            #expect(machine.root.hardLocksInUseFiles == (profile == .win9x))
            do {
                let aside = try machine.root.renameAside(mscoree)
                #expect(profile == .nt)
                try machine.root.moveFile(aside, to: mscoree)
            } catch {
                #expect(profile == .win9x)
                #expect(error.code == 32)
            }
        }
    }

    @Test func inUseFileIsHardLockedOn9x() throws {
        let machine = try InstallerMachine(profile: .win9x)
        let before = try machine.snapshot()
        let app = try TestProcess.image(machine, mscorwks)
        defer { app.release() }
        let host = RecordingHost()
        let outcome = try install(try loadPatch("kb886903.yaml"), on: machine, InstallerOptions(filesInUse: .exit), host: host)
        #expect(outcome.exitCode == 1602)
        #expect(host.results("rename_aside", file: mscorwks) == ["ERROR_SHARING_VIOLATION (32)"])
        var after = try machine.snapshot()
        after[Patch.packagePath(id: "KB886903").description] = nil
        #expect(after == before)
    }

    @Test func ignoreOn9xQueuesInWininit() throws {
        let machine = try InstallerMachine(profile: .win9x)
        let app = try TestProcess.image(machine, mscorwks)
        defer { app.release() }
        let outcome = try install(try loadPatch("kb886903.yaml"), on: machine, InstallerOptions(filesInUse: .ignore))
        #expect(outcome.exitCode == 3010)
        #expect(outcome.rebootCauses == [RebootCause(file: mscorwks, lock: .hard)])
        let ini = String(decoding: try machine.bytes(WininitPendingRenames.path), as: UTF8.self)
        #expect(ini.contains("\(mscorwks)=\(framework.appending("mscorwks.dll.~tmp1"))"))
    }

    @Test func gacInstallsWaitForTheRebootOn9x() throws {
        let machine = try InstallerMachine(profile: .win9x)
        let outcome = try install(try loadPatch("netfx11-sp1.yaml"), on: machine)
        // No file was in use, yet the GAC install needs the reboot.
        #expect(outcome.exitCode == 3010)
        #expect(outcome.rebootCauses.isEmpty)
        #expect(!machine.root.exists(systemWebInGAC))
        let command = try machine.registry().value(NetFxUpdateKeys.runOnce, "NetFxUpdate_NDP1.1sp1-KB867460")
        #expect(
            command
                == .string(
                    "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\netfxupdate.exe /ngen:mscorlib,System,System.Xml,System.Web /gac:\(systemWeb)"
                ))
    }

    @Test func aServiceEraPatchOn9xFallsBackToTheRunOnceEntry() throws {
        let machine = try InstallerMachine(profile: .win9x)
        let host = RecordingHost()
        let patch = try loadPatch("netfx11-sp1-service.yaml")
        #expect(patch.era == .service)
        let outcome = try install(patch, on: machine, host: host)
        #expect(outcome.exitCode == 3010)
        let assemblies = ["mscorlib", "System", "System.Xml", "System.Web"]
        #expect(outcome.nativeImages == .afterReboot(era: .runonce, assemblies: assemblies, gac: [systemWeb]))
        // The installer says why it did not use the service.
        let era = try #require(host.events.first { $0.op == "era" })
        #expect(era.args.contains { $0.name == "requested" && $0.value == "service" })
        #expect(era.args.contains { $0.name == "era" && $0.value == "runonce" })
        #expect(era.args.contains { $0.name == "why" && $0.value.contains("Windows NT only") })
        // A RunOnce entry with the ngen and GAC work; no service, no service work.
        let registry = try machine.registry()
        #expect(
            try registry.value(NetFxUpdateKeys.runOnce, "NetFxUpdate_NDP1.1sp1-KB867460")
                == .string(
                    "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\netfxupdate.exe /ngen:mscorlib,System,System.Xml,System.Web /gac:\(systemWeb)"
                ))
        #expect(try registry.value(NetFxUpdateKeys.service, "ImagePath") == nil)
        #expect(try registry.value(NetFxUpdateKeys.work, "Work") == nil)
        #expect(!machine.root.exists(systemWebInGAC))
    }

    @Test func rollbackOn9xTakesItsWininitLineBack() throws {
        let machine = try InstallerMachine(profile: .win9x)
        let oldBytes = try machine.bytes(aspnetIsapi)
        try machine.root.writeFile(winPath("C:\\Program Files"), Array("not a directory".utf8))
        let app = try TestProcess.image(machine, aspnetIsapi)  // hard-locked on 9x
        defer { app.release() }
        let patch = Patch(
            id: "Broken9x", era: .runonce, product: "Test",
            files: [
                PatchFile(path: aspnetIsapi, version: FileVersion("1.1.4322.2037")!, size: 70000),
                PatchFile(path: winPath("C:\\Program Files\\App\\app.dll"), version: FileVersion("1.0.0.0")!, size: 4096, adds: true),
            ])
        let host = RecordingHost()
        let outcome = try install(patch, on: machine, InstallerOptions(filesInUse: .ignore), host: host)
        #expect(outcome.exitCode == 1603)
        #expect(host.results("queue_rename") == ["ok"])
        #expect(host.events.contains { $0.op == "rollback" && $0.args.contains { $0.value == "dequeue" } && $0.result == "ok" })
        #expect(try machine.pending().isEmpty)
        #expect(try machine.bytes(aspnetIsapi) == oldBytes)
        #expect(!machine.root.exists(framework.appending("aspnet_isapi.dll.~tmp1")))
    }
}

/// How an installer's or a boot's failed operation reads: as the text the workers recorded before
/// results had a type.
@Suite struct OperationFailureTests {
    struct RegistryLocked: Error, CustomStringConvertible {
        var description: String { "database is locked" }
    }

    @Test func failuresReadByNameAndCode() {
        let sharing = Win32Error(32, operation: "CreateFile", path: "C:\\x.dll", reason: "held by another process")
        #expect(OperationFailure(sharing).description == "ERROR_SHARING_VIOLATION (32)", "the context is for logs")
        #expect(OperationFailure(sharing as any Error) == OperationFailure(sharing))
        #expect(OperationFailure(RegistryLocked()).description == "ERROR_GEN_FAILURE (31): database is locked")
        #expect(OperationFailure(installerExit: InstallerExit.alreadyRunning).description == "ERROR_INSTALL_ALREADY_RUNNING (1618)")
        #expect(OperationFailure(Win32Error.invalidName, detail: "no '!'").description == "ERROR_INVALID_NAME (123): no '!'")
        let failure = OperationFailure(installerExit: 1603)
        #expect(OperationFailure(failure as any Error) == failure)
    }

    @Test func catchingTurnsAnyErrorIntoAFailure() {
        #expect(throws: OperationFailure(code: 31, name: "ERROR_GEN_FAILURE", detail: "database is locked")) {
            try OperationFailure.catching { throw RegistryLocked() }
        }
        #expect(throws: OperationFailure(Win32Error.accessDenied)) {
            try OperationFailure.catching { throw Win32Error(5, operation: "MoveFileEx") }
        }
        #expect((try? OperationFailure.catching { 7 }) == 7)
    }
}
