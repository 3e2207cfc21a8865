import WinFS
import WindowsModel

/// .NET Framework 2.0 setup's reboot reduction (its external UI handler): when Windows Installer
/// returns 3010, setup returns 0 instead only if the one file causing the reboot is mscoree.dll
/// and it was soft-locked — MoveFileEx could rename the in-use copy aside and the new version
/// stands at its path. Running the package directly keeps 3010.
///
/// The decision is taken from what happened on the machine, not from what the installer says:
/// the entries the installation added to the pending-rename queue (a soft lock leaves exactly one
/// deletion of an aside copy `mscoree.dll.~N`; a hard lock leaves a replacement of mscoree.dll)
/// and the version of the file standing at mscoree.dll's path now.
public enum RebootReduction {
    /// `C:\Windows\System32\mscoree.dll`, the shim shared by every .NET Framework version.
    public static let mscoree = WindowsPath(components: ["Windows", "System32", "mscoree.dll"])

    /// What setup returns and why.
    public struct Decision: Sendable, Equatable {
        /// The exit code setup returns.
        public var exitCode: Int32
        /// Why (for the log and the event).
        public var reason: String
        public init(exitCode: Int32, reason: String) {
            self.exitCode = exitCode
            self.reason = reason
        }
    }

    /// Decides setup's exit code from the installer's code, the queue entries added during the
    /// installation, the version the patch carries for mscoree.dll (nil if it carries none) and
    /// the version standing at mscoree.dll's path now.
    public static func decide(
        installerCode: Int32, queued: [PendingRename], patchVersion: FileVersion?, standing: FileVersion?
    ) -> Decision {
        guard installerCode == InstallerExit.rebootRequired else {
            return Decision(exitCode: installerCode, reason: "the installer returned \(InstallerExit.describe(installerCode))")
        }
        guard let patchVersion else {
            return Decision(exitCode: installerCode, reason: "the package does not carry mscoree.dll")
        }
        guard queued.count == 1, let only = queued.first else {
            return Decision(
                exitCode: installerCode,
                reason: "\(queued.count) file operations were queued for the reboot, not one: "
                    + queued.map(\.description).joined(separator: "; "))
        }
        guard only.destination == nil, isAsideCopy(only.source, of: mscoree) else {
            return Decision(
                exitCode: installerCode,
                reason: "the reboot is for \(only), not for deleting an aside copy of mscoree.dll (not a soft lock of mscoree.dll alone)")
        }
        guard standing == patchVersion else {
            return Decision(
                exitCode: installerCode,
                reason: "mscoree.dll is \(standing?.description ?? "unreadable"), not the new \(patchVersion)")
        }
        return Decision(
            exitCode: InstallerExit.success,
            reason:
                "only mscoree.dll needed the reboot and it was soft-locked: \(patchVersion) stands at \(mscoree); running processes keep the old copy"
        )
    }

    /// Whether `path` is a copy of `file` renamed aside (`<name>.~<digits>` in the same directory),
    /// names compared ignoring case.
    public static func isAsideCopy(_ path: WindowsPath, of file: WindowsPath) -> Bool {
        guard let name = path.name?.lowercased(), let fileName = file.name?.lowercased(),
            path.parent?.foldedForComparison == file.parent?.foldedForComparison
        else { return false }
        let prefix = fileName + ".~"
        guard name.hasPrefix(prefix) else { return false }
        let suffix = name.dropFirst(prefix.count)
        return !suffix.isEmpty && suffix.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
