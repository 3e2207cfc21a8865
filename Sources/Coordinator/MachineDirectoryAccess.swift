import CoordinatorCore
import Machine
import Registry
import WinFS
import WindowsModel

/// The machine as the core reads and changes it at boot: the machine directory's registry and
/// write cache.
final class MachineDirectoryAccess: MachineAccess {
    let directory: String
    init(directory: String) { self.directory = directory }

    func flushWrites() {
        if let root = try? MachineRoot(path: directory) { WriteCache.flushAll(machine: root) }
    }

    func losePower(atNs: UInt64?) -> [String] {
        guard let root = try? MachineRoot(path: directory) else { return [] }
        guard let atNs else { return WriteCache.losePower(machine: root, writtenSinceNs: 0) }
        return WriteCache.losePower(machine: root, atNs: atNs)
    }

    func autoStartServices() throws -> [BootService]? {
        let profile = try machineProfile(of: try MachineRoot(path: directory))
        guard BootServices.start(on: profile) else { return nil }
        return try BootServices.autoStartServices(in: try Registry(machineDirectory: directory), profile: profile)
    }

    func startupPlan(logon who: Logon) throws -> [StartupAction] {
        StartupRules.plan(try StartupRules.entries(in: try Registry(machineDirectory: directory)), logon: who)
    }

    func deleteStartupValue(_ action: StartupAction) throws {
        try Registry(machineDirectory: directory).deleteValue(action.key, action.entry.name)
    }
}
