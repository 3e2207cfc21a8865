import ArgumentParser
import Glibc
import Machine
import Roles

extension Logon: ExpressibleByArgument {}

/// `rig machine boot DIR [--logon none|user|admin]`: boots a machine with real processes.
struct MachineBootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot",
        abstract: "Boot a machine: Session Manager, auto-start services, then Run/RunOnce at logon.",
        discussion: """
            Every process is a real `rig-worker`: first `rig-worker smss` rolls back an installation \
            the machine went down in the middle of (its rollback script), then applies the pending \
            renames (PendingFileRenameOperations, or wininit.ini [rename] on win9x) in queued \
            order, logging and skipping failed ones; then services with Start=2 under \
            HKLM\\SYSTEM\\CurrentControlSet\\Services start (no logon needed); then, at logon, \
            RunOnce and Run under HKLM and HKCU Software\\Microsoft\\Windows\\CurrentVersion: \
            HKLM RunOnce only for an administrator; a RunOnce value is deleted before its command \
            runs unless its name starts with '!' (then after it succeeds); RunOnce commands run one \
            at a time, Run commands are started. A command's program names the role that plays it \
            (netfxupdate.exe -> netfxupdate); a program with no role is ERROR_FILE_NOT_FOUND (2). \
            Event lines of each process and a `boot:` line per step go to stdout. The boot waits \
            for every process it started.
            Exit status: 0 when Session Manager completed, 1 when it did not, 2 for bad usage.
            """)

    @Argument(help: "The machine directory.")
    var machine: String

    @Option(help: "Who logs on: none, user or admin.")
    var logon: Logon = .none

    func run() throws {
        requireMachine(machine)
        let worker = siblingExecutable("rig-worker")
        guard access(worker, X_OK) == 0 else { fail("cannot find rig-worker next to rig (\(worker))", code: 2) }
        let options = BootOptions(
            machine: machine, logon: logon, workerPath: worker,
            roleExists: { RoleTable.roles[$0] != nil },
            log: { line in
                print(line)
                fflush(nil)
            })
        // Lines from the workers and ours share stdout: flush ours before each process starts.
        fflush(nil)
        let result: BootResult
        do {
            result = try BootRunner.boot(options)
        } catch {
            fail("boot of '\(machine)' failed: \(error)", code: 1)
        }
        if !result.booted { Glibc.exit(1) }
    }
}

/// The path of `name` in the directory of the running `rig` executable.
func siblingExecutable(_ name: String) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return name }
    let exe = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = exe.lastIndex(of: "/") else { return name }
    return String(exe[..<slash]) + "/" + name
}
