import Host
import Machine
import Servicing
import WindowsModel
import Wire

/// The `windowsupdate` role: Automatic Updates at boot. After a delay with seeded jitter it
/// launches a hotfix install (the `installer` role, as a child process), whether or not anyone
/// logs on — which is how a hotfix can start while the post-reboot ngen pass of the previous patch
/// is still running.
///
/// Parameters:
/// * `machine` — the machine directory; `seed` — the run's seed (default 0), which draws the jitter.
/// * `patch` — the package as staged on the machine (a Windows path, `C:\Windows\Installer\<id>.msp`).
/// * `delay` — a duration (`2s`), default 0; `jitter` — a duration, default 0: the install starts
///   after `delay` plus a value drawn uniformly from `0...jitter` by SplitMix64 seeded with `seed`.
/// * `files_in_use` — the answer the unattended install gives for hard-locked files (default
///   `ignore`: a quiet install queues the replacement for the reboot); `retry_limit`, `era` —
///   passed on to the installer when given.
///
/// Events: `sleep` (`delay_ns`, `jitter_ns`, `seed`, `duration_ns`); `hotfix` (`patch`, `attempt`,
/// `code`) with `ok` once the installer ran, or why it could not run; when the installer found
/// another installation running (1618) it sleeps and tries again (at most
/// `WindowsUpdateSchedule.maxAttempts` times); `emit done` at the end.
///
/// Exit code: the installer's; 1 when it could not run; 87 (ERROR_INVALID_PARAMETER) for bad
/// parameters.
public enum WindowsUpdateRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        guard let machine = session.parameter("machine"), let patch = session.parameter("patch") else {
            session.log("windowsupdate: machine=DIR and patch=C:\\... are needed")
            return 87
        }
        guard session.isMachine(machine) else { return 87 }
        var durations: [UInt64] = []
        for name in ["delay", "jitter"] {
            switch DurationText.parse(session.parameter(name) ?? "0s", bareNanoseconds: true) {
            case .success(let ns): durations.append(ns)
            case .failure(let error):
                session.log("windowsupdate: \(name): \(error)")
                return 87
            }
        }
        let seedText = session.parameter("seed") ?? "0"
        guard let seed = UInt64(seedText) else {
            session.log("windowsupdate: seed='\(seedText)' is not a 64-bit unsigned number")
            return 87
        }
        let wait = WindowsUpdateSchedule.startDelay(delayNs: durations[0], jitterNs: durations[1], seed: seed)
        let sleepArgs = [
            Argument("delay_ns", String(durations[0])), Argument("jitter_ns", String(durations[1])),
            Argument("seed", seedText), Argument("duration_ns", String(wait)),
        ]
        session.perform("sleep", sleepArgs) {
            session.sleep(nanoseconds: wait)
            return .ok
        }

        var parameters = [
            Argument("machine", machine), Argument("patch", patch),
            Argument("files_in_use", session.parameter("files_in_use") ?? "ignore"),
        ]
        for name in ["retry_limit", "era"] {
            if let value = session.parameter(name) { parameters.append(Argument(name, value)) }
        }
        // Automatic Updates tries again later when another installation holds Windows Installer
        // (ERROR_INSTALL_ALREADY_RUNNING, 1618).
        var code: Int32 = 1
        for attempt in 1...WindowsUpdateSchedule.maxAttempts {
            var args = [Argument("patch", patch), Argument("attempt", String(attempt))]
            let start = session.begin("hotfix")
            let result: OperationResult
            switch session.runChild("hotfix\(attempt == 1 ? "" : String(attempt))", role: "installer", parameters: parameters) {
            case .success(.exited(let exit)):
                code = exit
                args.append(Argument("code", String(exit)))
                result = .ok
            case .success(let status):
                session.log("windowsupdate: the hotfix install did not run: \(status)")
                result = .failed("did not run: \(status)")
            case .failure(let why):
                session.log("windowsupdate: the hotfix install did not run: \(why)")
                result = .failed("did not run: \(why)")
            }
            session.record(Event(startNs: start, endNs: MonotonicClock.now(), op: "hotfix", args: args, result: result))
            guard code == InstallerExit.alreadyRunning, attempt < WindowsUpdateSchedule.maxAttempts else { break }
            session.perform(
                "sleep",
                [
                    Argument("duration_ns", String(WindowsUpdateSchedule.retryIntervalNs)),
                    Argument("reason", "another installation is running"),
                ]
            ) {
                session.sleep(nanoseconds: WindowsUpdateSchedule.retryIntervalNs)
                return .ok
            }
        }
        session.emit("done")
        return code
    }
}
