import Machine
import Servicing
import WinFS
import WindowsModel
import Wire

/// The `setup` role: .NET Framework 2.0 setup's external UI handler. It runs Windows Installer
/// (a child `installer` process, `setup/msiexec`) and, when that returns 3010, applies the reboot
/// reduction (`RebootReduction`): 0 when the one file causing the reboot is mscoree.dll and it
/// was soft-locked — judged from the pending renames the installation queued and the version now
/// standing at `C:\Windows\System32\mscoree.dll`, never from a flag.
///
/// Bootstrapper mode (`mode=bootstrapper`, `packages=P1,P2,...`, package Windows paths in
/// order): installs each package in turn (`setup/msiexec1`, `setup/msiexec2`...) without
/// rebooting in between, remembers a 3010 (after each package's reboot reduction), stops at the
/// first failure with its code, and asks for one reboot at the end (3010 if any package needed
/// one, else 0).
///
/// Parameters: `machine`, `patch` (setup mode) or `mode=bootstrapper` and `packages`;
/// `files_in_use`, `retry_limit`, `era` are passed on to the installer. Emits `installed` after
/// a successful run. Exit codes: the installer's (after reduction); 1603 when the installer
/// process could not run; 1639 for a missing or bad parameter.
public enum SetupRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        guard let machine = session.parameter("machine") else {
            session.log("setup: usage: parameters machine=DIR patch=C:\\Windows\\Installer\\ID.msp | mode=bootstrapper packages=P1,P2")
            return InstallerExit.invalidCommandLine
        }
        guard session.isMachine(machine) else { return InstallerExit.invalidCommandLine }
        let packages: [String]
        switch session.parameter("mode") ?? "setup" {
        case "setup":
            guard let patch = session.parameter("patch") else {
                session.log("setup: needs patch=C:\\Windows\\Installer\\ID.msp")
                return InstallerExit.invalidCommandLine
            }
            packages = [patch]
        case "bootstrapper":
            let list = (session.parameter("packages") ?? "").split(separator: ",").map(\.trimmed)
            guard !list.isEmpty, !list.contains(where: \.isEmpty) else {
                session.log("setup: bootstrapper mode needs packages=P1,P2,... (package Windows paths, in order)")
                return InstallerExit.invalidCommandLine
            }
            packages = list
        case let other:
            session.log("setup: mode '\(other)' is not setup or bootstrapper")
            return InstallerExit.invalidCommandLine
        }
        let root: MachineRoot
        do { root = try MachineRoot(path: machine) } catch {
            session.log("setup: \(error.message)")
            return InstallerExit.invalidCommandLine
        }
        var rebootNeeded = false
        for (index, package) in packages.enumerated() {
            let label = packages.count == 1 ? "msiexec" : "msiexec\(index + 1)"
            let code = install(package, label: label, machine: machine, root: root, session: session)
            if code == InstallerExit.rebootRequired {
                rebootNeeded = true  // remembered; no reboot between packages
            } else if code != InstallerExit.success {
                return code
            }
        }
        let code = rebootNeeded ? InstallerExit.rebootRequired : InstallerExit.success
        if packages.count > 1 {
            session.perform("bootstrapper", [Argument("packages", String(packages.count)), Argument("code", String(code))]) { .ok }
        }
        session.emit("installed")
        return code
    }

    /// Runs the installer for one package and applies the reboot reduction to its code.
    static func install(_ package: String, label: String, machine: String, root: MachineRoot, session: any WorkerSession) -> Int32 {
        var parameters = [Argument("machine", machine), Argument("patch", package)]
        for name in ["files_in_use", "retry_limit", "era", "seed"] {
            if let value = session.parameter(name) { parameters.append(Argument(name, value)) }
        }
        let before = pendingRenames(root, session)
        var installerCode = InstallerExit.failure
        session.perform("run", [Argument("child", label), Argument("patch", package)]) {
            switch session.runChild(label, role: "installer", parameters: parameters) {
            case .success(.exited(let code)):
                installerCode = InstallerExit.windowsCode(fromChildStatus: code)
                return installerCode == 0 ? .ok : .failed("exited \(installerCode)", code: installerCode)
            case .success(let status):
                installerCode = InstallerExit.failure
                return .failed("failed: \(status)")
            case .failure(let why):
                installerCode = InstallerExit.failure
                return .failed("failed: \(why)")
            }
        }
        guard installerCode == InstallerExit.rebootRequired else { return installerCode }
        // The reboot reduction, from what the installation really did on the machine.
        let after = pendingRenames(root, session)
        let queued = InstallerPendingQueue.added(before: before ?? [], after: after ?? [])
        let patchVersion = (try? WindowsPath(package)).flatMap { try? PatchPackage.read($0, root: root) }?
            .file(at: RebootReduction.mscoree)?.version
        let standing = standingVersion(RebootReduction.mscoree, root: root)
        var decision = RebootReduction.decide(
            installerCode: installerCode, queued: queued, patchVersion: patchVersion, standing: standing)
        if before == nil || after == nil {
            decision = RebootReduction.Decision(exitCode: installerCode, reason: "the pending-rename queue could not be read")
        }
        session.perform(
            "reboot_reduction",
            [
                Argument("patch", package), Argument("installer_code", String(installerCode)),
                Argument("code", String(decision.exitCode)), Argument("reason", decision.reason),
            ]
        ) { .ok }
        return decision.exitCode
    }

    private static func pendingRenames(_ root: MachineRoot, _ session: any WorkerSession) -> [PendingRename]? {
        do { return try pendingRenameStore(for: root).pending() } catch {
            session.log("setup: reading the pending-rename queue: \(error)")
            return nil
        }
    }

    /// The version in the header of the file at `path`, read through a shared handle.
    private static func standingVersion(_ path: WindowsPath, root: MachineRoot) -> FileVersion? {
        guard let handle = try? root.open(path, access: .read, share: .all) else { return nil }
        defer { handle.close() }
        return (try? handle.read(upTo: 512)).flatMap { FileContent.stamp(of: $0)?.version }
    }
}
