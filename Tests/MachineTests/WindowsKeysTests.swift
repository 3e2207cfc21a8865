import Machine
import Registry
import Servicing
import Testing
import WinFS
import WindowsModel

/// The one home of registry keys, the framework layout and the one trim.
@Suite struct WindowsKeysTests {
    @Test func eachKeyIsSpelledAsWindowsSpellsIt() {
        #expect(WindowsKeys.startup(.localMachine, .runOnce).description == "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce")
        #expect(WindowsKeys.startup(.currentUser, .run).description == "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run")
        #expect(NetFxUpdateKeys.runOnce == WindowsKeys.startup(.localMachine, .runOnce))
        #expect(NetFxUpdateKeys.service.description == "HKLM\\SYSTEM\\CurrentControlSet\\Services\\NetFxUpdate")
        #expect(NetFxUpdateKeys.work.description == "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\NetFxUpdate")
        #expect(InstallerRollbackScript.key.description == "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\InProgress")
        #expect(MachineCatalogKeys.assemblies.description == "HKLM\\SOFTWARE\\PatchRig\\Assemblies")
        #expect(BootKeys.bootProgress.description == "HKLM\\SOFTWARE\\PatchRig\\BootProgress")
    }

    @Test func netFxUpdateCommandLinesComeFromOneProgram() {
        let program = "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\netfxupdate.exe"
        #expect(FrameworkLayout.netFxUpdate.description == program)
        #expect(NetFxUpdateKeys.serviceCommand == program + " /service")
        #expect(NetFxUpdateKeys.runOnceCommand(ngen: ["System"], lock: true) == program + " /ngen:System /lock")
        #expect(FrameworkLayout.runtimeEngine.description == "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\mscorwks.dll")
    }

    @Test func theOneTrimDropsBlanksAtBothEndsOnly() {
        #expect(" \t a b \r\n".trimmed == "a b")
        #expect("nt\n".trimmed == "nt")
        #expect(" \t ".trimmed == "")
        #expect("x"[...].trimmed == "x")
    }
}
