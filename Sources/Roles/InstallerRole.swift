import Machine
import Servicing
import WinFS
import WindowsModel
import Wire

/// The `installer` role (msiexec): applies one staged patch package as a transaction
/// (`InstallerTransaction`): under `_MSIExecute`, each file replaced, renamed aside when
/// soft-locked, or handled by the files-in-use answer when hard-locked; rolled back on failure;
/// then the patch recorded in the registry and its native images regenerated at once (a child
/// `ngen`) or scheduled for after the reboot through the patch's era.
///
/// Parameters: `machine`, `patch` (the package's Windows path, `C:\Windows\Installer\<id>.msp`),
/// `files_in_use` (`retry`, `exit` — the default —, `ignore`), `retry_limit` (a duration such as
/// `5s` or `250ms`, default 5s), `era` (`runonce` or `service`, overrides the patch's).
/// Exit codes: 0, 3010, 1602, 1603, 1618; 1619 when the package cannot be read; 1639 for a
/// missing or bad parameter. Emits `installed` after a successful installation (0 or 3010).
public enum InstallerRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        guard let machine = session.parameter("machine"), let packageText = session.parameter("patch") else {
            session.log(
                "installer: usage: parameters machine=DIR patch=C:\\Windows\\Installer\\ID.msp [files_in_use=retry|exit|ignore] [retry_limit=5s] [era=runonce|service]"
            )
            return InstallerExit.invalidCommandLine
        }
        guard session.isMachine(machine) else { return InstallerExit.invalidCommandLine }
        var options = InstallerOptions()
        if let answer = session.parameter("files_in_use") {
            guard let parsed = FilesInUseAnswer(rawValue: answer) else {
                session.log("installer: files_in_use '\(answer)' is not retry, exit or ignore")
                return InstallerExit.invalidCommandLine
            }
            options.filesInUse = parsed
        }
        if let limit = session.parameter("retry_limit") {
            guard case .success(let ns) = DurationText.parse(limit, bareNanoseconds: true) else {
                session.log("installer: retry_limit '\(limit)' is not a duration such as 5s or 250ms")
                return InstallerExit.invalidCommandLine
            }
            options.retryLimitNs = ns
        }
        if let eraText = session.parameter("era") {
            guard let era = PatchEra(rawValue: eraText) else {
                session.log("installer: era '\(eraText)' is not runonce or service")
                return InstallerExit.invalidCommandLine
            }
            options.era = era
        }
        let root: MachineRoot
        do { root = try MachineRoot(path: machine) } catch {
            session.log("installer: \(error.message)")
            return InstallerExit.invalidCommandLine
        }
        var patch: Patch?
        session.perform("open_package", [Argument("path", packageText)]) {
            do {
                patch = try PatchPackage.read(try WindowsPath(packageText), root: root)
                return .ok
            } catch let error as Win32Error {
                session.log("installer: \(packageText): \(error.message)")
                return OperationResult(error)
            } catch {
                session.log("installer: \(packageText): \(error)")
                return .failed(installerExit: InstallerExit.packageOpenFailed)
            }
        }
        guard let patch else { return InstallerExit.packageOpenFailed }

        let outcome = InstallerTransaction(patch: patch, root: root, options: options, host: SessionInstallerHost(session)).run()
        guard outcome.exitCode == InstallerExit.success || outcome.exitCode == InstallerExit.rebootRequired else {
            return outcome.exitCode
        }
        if case .now(let assemblies) = outcome.nativeImages {
            // No reboot pending: native images are regenerated at once by a child ngen.exe; a
            // failed ngen leaves stale images (a performance loss), not a failed installation.
            var parameters = [
                Argument("machine", machine), Argument("assemblies", assemblies.joined(separator: ",")),
                Argument("action", "install"),
            ]
            if let seed = session.parameter("seed") { parameters.append(Argument("seed", seed)) }
            session.perform("run", [Argument("child", "ngen"), Argument("assemblies", assemblies.joined(separator: ","))]) {
                switch session.runChild("ngen", role: "ngen", parameters: parameters) {
                case .success(.exited(0)): return .ok
                case .success(.exited(let code)): return .failed("exited \(code)", code: code)
                case .success(let status): return .failed("failed: \(status)")
                case .failure(let why): return .failed("failed: \(why)")
                }
            }
        }
        session.emit("installed")
        return outcome.exitCode
    }
}

/// The installer transaction's host over a worker session: operations become events.
final class SessionInstallerHost: InstallerHost {
    let session: any WorkerSession
    init(_ session: any WorkerSession) { self.session = session }

    @discardableResult
    func perform(
        _ op: String, _ args: [(name: String, value: String)], _ body: () throws(OperationFailure) -> String?
    ) -> OperationFailure? {
        var failure: OperationFailure?
        session.perform(op, args.map { Argument($0.name, $0.value) }) {
            var note: String?
            do throws(OperationFailure) { note = try body() } catch { failure = error }
            return OperationResult(note: note, failure: failure)
        }
        return failure
    }

    func sleep(nanoseconds: UInt64) { session.sleep(nanoseconds: nanoseconds) }

    func log(_ line: String) { session.log(line) }
}
