import Glibc
import TestSupport
import Testing

/// `rig machine boot` and `rig-worker smss` run as real processes on real machines.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct BootTests {
    let scratch = Scratch("rig-e2e")

    func rig(_ arguments: [String]) -> ProcessOutcome {
        TestProcess([BuiltBinaries.rig] + arguments).release()
    }

    /// A machine whose pending renames give a different result if any is applied twice or out of
    /// order (entry 1 replaces an existing file, so redoing it after entry 2 would move the new
    /// library aside), with one failing entry, a deletion, a name freed and reused; plus an
    /// auto-start service and RunOnce/Run entries for the rest of the boot.
    func makeMachine(_ name: String, profile: String) -> String {
        let created = rig(["machine", "create", "\(scratch.path)/\(name)", "--profile", profile])
        #expect(created.status == 0, "\(created)")
        let m = "\(scratch.path)/\(name)"
        let c = m + "/drive_c"
        RegE2E.write(c + "/Windows/System32/lib.dll", "v1")
        RegE2E.write(c + "/Windows/System32/lib.old", "stale")
        RegE2E.write(c + "/Windows/System32/lib.new", "v2")
        RegE2E.write(c + "/Windows/second.tmp", "second")
        let pairs: [(String, String)] = [
            ("C:\\Windows\\System32\\lib.dll", "!C:\\Windows\\System32\\lib.old"),
            ("C:\\Windows\\System32\\lib.new", "!C:\\Windows\\System32\\lib.dll"),
            ("C:\\Windows\\missing.tmp", "C:\\Windows\\never.dll"),
            ("C:\\Windows\\System32\\lib.old", ""),
            ("C:\\Windows\\second.tmp", "C:\\Windows\\System32\\lib.old"),
        ]
        if profile == "nt" {
            var arguments = [
                "reg", "set", m, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager", "PendingFileRenameOperations", "-t",
                "REG_MULTI_SZ",
            ]
            for (source, destination) in pairs {
                let nt =
                    destination.isEmpty ? "" : (destination.hasPrefix("!") ? "!\\??\\" + destination.dropFirst() : "\\??\\" + destination)
                arguments += ["-d", "\\??\\" + source, "-d", nt]
            }
            #expect(rig(arguments).status == 0)
        } else {
            var ini = "[rename]\r\n"
            for (source, destination) in pairs {
                ini += (destination.isEmpty ? "NUL" : String(destination.drop(while: { $0 == "!" }))) + "=" + source + "\r\n"
            }
            RegE2E.write(c + "/Windows/wininit.ini", ini)
        }
        let services = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Logger"
        #expect(
            rig(["reg", "set", m, services, "ImagePath", "-d", "C:\\Windows\\append.exe C:\\Windows\\service.log started"]).status == 0)
        #expect(rig(["reg", "set", m, services, "Start", "-t", "REG_DWORD", "-d", "2"]).status == 0)
        let runOnce = "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce"
        #expect(rig(["reg", "set", m, runOnce, "First", "-d", "C:\\Windows\\append.exe C:\\Windows\\runonce.log first"]).status == 0)
        #expect(rig(["reg", "set", m, runOnce, "!Second", "-d", "C:\\Windows\\append.exe C:\\Windows\\runonce.log second"]).status == 0)
        let run = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
        #expect(rig(["reg", "set", m, run, "Tray", "-d", "\"C:\\Program Files\\append.exe\" C:\\Windows\\run.log tray"]).status == 0)
        return m
    }

    /// The machine as a whole: every file with its contents, and the registry dump.
    func snapshot(_ machine: String) -> String {
        RegE2E.tree(machine + "/drive_c") + "\n--- registry ---\n" + rig(["reg", "dump", machine]).stdout
    }

    func boot(_ machine: String, logon: String = "admin") -> ProcessOutcome {
        rig(["machine", "boot", machine, "--logon", logon])
    }

    /// Session Manager killed right after each of its steps, then a full boot, leaves the same
    /// machine as one uninterrupted boot.
    @Test(arguments: ["nt", "win9x"]) func aBootKilledAtAnyStepThenBootedAgainMatchesOneBoot(profile: String) {
        let reference = makeMachine("reference-\(profile)", profile: profile)
        let booted = boot(reference)
        #expect(booted.status == 0, "\(booted)")
        let expected = snapshot(reference)
        // The reference really did the work (so the comparison means something).
        let c = reference + "/drive_c/Windows"
        #expect(RegE2E.read(c + "/System32/lib.dll") == "v2")
        #expect(RegE2E.read(c + "/System32/lib.old") == "second")
        #expect(access(c + "/System32/lib.new", F_OK) != 0)
        #expect(access(c + "/second.tmp", F_OK) != 0)
        #expect(RegE2E.read(c + "/runonce.log") == "first\r\nsecond\r\n")
        // Windows 9x has no service control manager: the registered service never starts there.
        #expect(RegE2E.read(c + "/service.log") == (profile == "nt" ? "started\r\n" : ""))
        #expect(RegE2E.read(c + "/run.log") == "tray\r\n")
        #expect(!expected.contains("PendingFileRenameOperations"))
        #expect(!expected.contains("RunOnce\n    "))
        if profile == "win9x" {
            #expect(access(c + "/wininit.ini", F_OK) != 0)
            #expect(RegE2E.read(c + "/wininit.bak").contains("[rename]"))
        }

        // PendingRenames, five entries, ClearPendingRenames.
        let steps = 7
        for k in 1...steps {
            let machine = makeMachine("killed-\(profile)-\(k)", profile: profile)
            let smss = TestProcess([BuiltBinaries.worker, "smss", "machine=\(machine)", "stopAfterStep=\(k)"])
            let stopped = smss.waitStoppedOrEnded()
            #expect(stopped, "smss ended before step \(k)")
            kill(smss.pid, SIGKILL)
            let killed = smss.wait()
            #expect(killed.signal == SIGKILL)
            #expect(killed.stdout.split(separator: "\n").count == k, "\(killed)")

            let again = boot(machine)
            #expect(again.status == 0, "\(again)")
            let actual = snapshot(machine)
            #expect(actual == expected, "killed after step \(k):\n\(killed.stdout)\nthen:\n\(again.stdout)")
        }
    }

    @Test func logonDecidesWhatRunsAndRunOnceValuesGoByTheirRules() {
        let m = makeMachine("logon", profile: "nt")
        let runOnce = "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce"
        let userRunOnce = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce"
        // A `!` entry whose program does not exist stays; a plain one is deleted anyway.
        #expect(rig(["reg", "set", m, userRunOnce, "!Retry", "-d", "C:\\Windows\\nosuch.exe /x"]).status == 0)
        #expect(rig(["reg", "set", m, userRunOnce, "Gone", "-d", "C:\\Windows\\nosuch.exe /y"]).status == 0)

        // No logon: smss and services only.
        let none = boot(m, logon: "none")
        #expect(none.status == 0, "\(none)")
        let c = m + "/drive_c/Windows"
        #expect(RegE2E.read(c + "/service.log") == "started\r\n")
        #expect(access(c + "/runonce.log", F_OK) != 0)
        #expect(access(c + "/run.log", F_OK) != 0)

        // A plain user: Run and HKCU RunOnce, not HKLM RunOnce (it waits for an administrator).
        let user = boot(m, logon: "user")
        #expect(user.status == 0, "\(user)")
        #expect(RegE2E.read(c + "/run.log") == "tray\r\n")
        #expect(access(c + "/runonce.log", F_OK) != 0)
        #expect(user.stdout.contains("HKCU RunOnce !Retry: not started: CreateProcess C:\\Windows\\nosuch.exe: ERROR_FILE_NOT_FOUND (2)"))
        #expect(rig(["reg", "get", m, userRunOnce, "!Retry"]).status == 0)
        #expect(rig(["reg", "get", m, userRunOnce, "Gone"]).status == 1)
        #expect(rig(["reg", "get", m, runOnce, "First"]).status == 0)

        // An administrator: HKLM RunOnce in order, each waited for, then deleted.
        let admin = boot(m, logon: "admin")
        #expect(admin.status == 0, "\(admin)")
        #expect(RegE2E.read(c + "/runonce.log") == "first\r\nsecond\r\n")
        #expect(rig(["reg", "get", m, runOnce, "First"]).status == 1)
        #expect(rig(["reg", "get", m, runOnce, "!Second"]).status == 1)
        // Run entries run at every logon; RunOnce entries once.
        #expect(RegE2E.read(c + "/run.log") == "tray\r\ntray\r\n")
        #expect(RegE2E.read(c + "/service.log") == "started\r\nstarted\r\nstarted\r\n")
    }

    /// A boot whose Session Manager cannot finish is a problem: exit status 1, with the problem
    /// and what Session Manager logged on stderr.
    @Test func aSessionManagerThatCannotFinishFailsTheBoot() throws {
        let m = makeMachine("broken-queue", profile: "nt")
        let sessionManager = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"
        #expect(rig(["reg", "set", m, sessionManager, "PendingFileRenameOperations", "-t", "REG_DWORD", "-d", "1"]).status == 0)
        // TMPDIR: the failed boot keeps its processes' logs, here rather than in the real one.
        let broken = try execute(BuiltBinaries.rig, ["machine", "boot", m, "--logon", "admin"], environment: ["TMPDIR": scratch.path])
        #expect(broken.status == 1, "\(broken)")
        #expect(broken.stderr.contains("the boot's process logs are in \(scratch.path)"), "\(broken)")
        #expect(broken.stdout.contains("boot: smss: exited with code 1"), "\(broken)")
        #expect(broken.stderr.contains("Session Manager did not finish (exited with code 1)"), "\(broken)")
        #expect(broken.stderr.contains("boot/smss: smss: ") && broken.stderr.contains("is REG_DWORD, not REG_MULTI_SZ"), "\(broken)")
        // Nothing was renamed: the queue could not be read.
        #expect(RegE2E.read(m + "/drive_c/Windows/System32/lib.dll") == "v1")
    }

    /// `rig machine boot` spawns the `rig-worker` that RIG_WORKER names, as `rig run` does.
    @Test func theBootRunsTheWorkerThatRigWorkerNames() throws {
        let m = makeMachine("elsewhere", profile: "nt")
        let missing = scratch.path + "/no-such-rig-worker"
        let outcome = try execute(BuiltBinaries.rig, ["machine", "boot", m], environment: ["RIG_WORKER": missing, "TMPDIR": scratch.path])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("cannot start \(missing)"), "\(outcome)")
        #expect(RegE2E.read(m + "/drive_c/Windows/System32/lib.dll") == "v1")
    }

    @Test func badUsageExitsTwo() {
        #expect(rig(["machine", "boot", scratch.path + "/none"]).status == 2)
        let m = makeMachine("usage", profile: "nt")
        #expect(rig(["machine", "boot", m, "--logon", "root"]).status == 2)
    }
}
