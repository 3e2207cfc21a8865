import Machine
import Registry
import Report
import Servicing
import WindowsModel

/// Reads a machine directory into the `MachineSnapshot` the results record and the machine
/// expectations are about.
enum MachineSnapshotReader {
    static func read(_ path: String) throws -> MachineSnapshot {
        let machine = try MachineDirectory(opening: path)
        // One registry connection for everything read here (each open costs as much as the reads).
        let registry = try machine.registry()
        let startup = try machine.startupEntries(registry: registry)
        func entries(_ kind: StartupEntry.Kind) -> [(key: String, name: String, commandLine: String)] {
            startup.filter { $0.kind == kind }.map {
                (WindowsKeys.startup($0.hive, $0.kind).description, $0.name, $0.command)
            }
        }
        let files = try machine.fileList()
        // Cheap: the inode's size against the packages' sizes, and the last bytes only.
        let integrity = FileIntegrity(root: machine.files)
        let damaged = files.compactMap { file in
            integrity.damage(of: file.path, size: file.size).map { (file.path.description, $0) }
        }
        var snapshot = MachineSnapshot(
            files: files.map { ($0.path.description, $0.version?.description) },
            nativeImages: try machine.nativeImageStatus(registry: registry).map { report in
                var reasons: [String] = []
                if case .stale(let why) = report.status { reasons = why }
                return (report.assembly, report.status.name, reasons)
            },
            pendingRenames: try machine.pendingRenames(registry: registry).map(\.description),
            services: try machine.services(registry: registry).map { ($0.name, $0.command) },
            run: entries(.run),
            runOnce: entries(.runOnce),
            damaged: damaged)
        snapshot.registry = try registryValues(registry)
        return snapshot
    }

    /// Every value of the registry (HKLM, then HKCU), keys depth-first in name order.
    static func registryValues(_ registry: Registry) throws -> [(key: String, name: String, value: RegistryValue)] {
        try registry.allValues(under: [.localMachine, .currentUser]).map { ($0.key.description, $0.name, $0.value) }
    }
}
