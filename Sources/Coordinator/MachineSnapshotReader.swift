import Machine
import Report

/// Reads a machine directory into the `MachineSnapshot` the results record and the machine
/// expectations are about.
enum MachineSnapshotReader {
    static func read(_ path: String) throws -> MachineSnapshot {
        let machine = try MachineDirectory(opening: path)
        let startup = try machine.startupEntries()
        func entries(_ kind: StartupEntry.Kind) -> [(key: String, name: String, commandLine: String)] {
            startup.filter { $0.kind == kind }.map {
                (StartupEntry.key(hive: $0.hive, kind: $0.kind).description, $0.name, $0.command)
            }
        }
        let files = try machine.fileList()
        // Cheap: the inode's size against the packages' sizes, and the last bytes only.
        let integrity = FileIntegrity(root: machine.files)
        let damaged = files.compactMap { file in
            integrity.damage(of: file.path, size: file.size).map { (file.path.description, $0) }
        }
        return MachineSnapshot(
            files: files.map { ($0.path.description, $0.version?.description) },
            nativeImages: try machine.nativeImageStatus().map { report in
                var reasons: [String] = []
                if case .stale(let why) = report.status { reasons = why }
                return (report.assembly, report.status.name, reasons)
            },
            pendingRenames: try machine.pendingRenames().map(\.description),
            services: try machine.services().map { ($0.name, $0.command) },
            run: entries(.run),
            runOnce: entries(.runOnce),
            damaged: damaged)
    }
}
