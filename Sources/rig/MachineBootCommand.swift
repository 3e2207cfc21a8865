import ArgumentParser
import Coordinator
import CoordinatorCore
import Foundation
import Machine
import Report
import RigModel
import Roles
import WindowsModel

extension Logon: ExpressibleByArgument {}

/// `rig machine boot DIR [--logon none|user|admin]`: boots a machine with real processes, as
/// `rig run` takes a `reboot` step: the coordinator runs a rig with that one step and no actors.
struct MachineBootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot",
        abstract: "Boot a machine: Session Manager, auto-start services, then Run/RunOnce at logon.",
        discussion: """
            The boot is a rig's `reboot` step (Rigs/README.md, Machine steps), taken by the \
            coordinator on this machine. Every process is a real `rig-worker`: first \
            `rig-worker smss` rolls back an installation \
            the machine went down in the middle of (its rollback script), then applies the pending \
            renames (PendingFileRenameOperations, or wininit.ini [rename] on win9x) in queued \
            order, logging and skipping failed ones; then services with Start=2 under \
            HKLM\\SYSTEM\\CurrentControlSet\\Services start (no logon needed); then, at logon, \
            RunOnce and Run under HKLM and HKCU Software\\Microsoft\\Windows\\CurrentVersion: \
            HKLM RunOnce only for an administrator; a RunOnce value is deleted before its command \
            runs unless its name starts with '!' (then after it succeeds); RunOnce commands run one \
            at a time, Run commands are started. A command's program names the role that plays it \
            (netfxupdate.exe -> netfxupdate); a program with no role is ERROR_FILE_NOT_FOUND (2). \
            The boot waits for every process it started (the boot, and each process, may take \(timeoutMinutes) minutes). \
            Once it is over, stdout gets, in time order, a `boot:` line per thing the boot did \
            (a program started or not, a value deleted, a logon, how each process ended) and a \
            line per operation of each process (`boot/smss: NS DURns OP ARGS -> RESULT`); what \
            the processes logged goes to stderr, each line under its process's name.
            Exit status: 0 when the boot had no problem, 1 when it had one (Session Manager did \
            not complete — the services still start and the user still logs on, as in a rig —, a \
            process of the boot timed out or died of a signal nobody sent; each problem on stderr, \
            and the processes' logs are kept), 2 for bad usage, 130/143 when interrupted.
            """)

    /// How long the boot, and each of its processes, may take.
    static let timeoutMinutes: UInt64 = 10
    /// The name of the boot's step, and so the prefix of its processes' names (`boot/smss`).
    static let stepName = "boot"

    @Argument(help: "The machine directory.")
    var machine: String

    @Option(help: "Who logs on: none, user or admin.")
    var logon: Logon = .none

    func validate() throws { try validateMachine(machine) }

    func run() throws {
        let worker: String
        do { worker = try RunOptions.defaultWorkerExecutable() } catch { throw failure(error.description, code: 2) }
        RunDirectories.removeStale()
        guard let logDirectory = RunDirectories.make() else { throw failure("cannot create a temporary directory", code: 1) }

        let history: RunHistory
        let interruptedBy: Int32?
        do {
            let runner = try RigRunner(
                rig: Self.bootRig(logon: logon),
                options: RunOptions(
                    seed: 1, workerExecutable: worker, logDirectory: logDirectory, machineDirectory: machine,
                    roleExists: { RoleTable.roles[$0] != nil }))
            history = runner.run()
            interruptedBy = runner.interruptedBy ?? RigRunner.pendingInterruption()
        } catch {
            try? FileManager.default.removeItem(atPath: logDirectory)
            throw failure("boot of '\(machine)' failed: \(error)", code: 1)
        }
        for line in Self.lines(history) { print(line) }
        fflush(nil)
        // What the processes logged (Session Manager's rollback, a failure's reason) follows,
        // on stderr as when they ran there, each line under its process's name.
        for record in history.actors {
            guard let path = record.stderrPath, let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") { printError("\(record.name): \(line)") }
        }
        let problems = Checks.problems(history)
        for problem in problems { printError("rig: boot of '\(machine)': \(problem)") }
        if problems.isEmpty {
            try? FileManager.default.removeItem(atPath: logDirectory)
        } else {
            RunDirectories.markKept(logDirectory)
            printError("rig: the boot's process logs are in \(logDirectory)")
        }
        if let interruptedBy { throw ExitCode(128 + interruptedBy) }
        if !problems.isEmpty { throw ExitCode(1) }
    }

    /// A rig with no actors and one machine step: a reboot named `boot` at once, then `logon`.
    static func bootRig(logon: Logon) -> Rig {
        let here = SourcePosition(file: "rig machine boot", line: 1, column: 1)
        let timeout = RigDuration.seconds(timeoutMinutes * 60)
        let step = MachineStep(name: stepName, kind: .reboot(logon: logon), start: .at(.zero, jitter: .zero), position: here)
        return Rig(
            name: "machine-boot", timeout: timeout, file: here.file, actors: [], expectations: [],
            machine: MachineSpec(image: nil, steps: [step], position: here))
    }

    /// What the boot did, from the run's history, in time order: a `boot:` line per program
    /// started (or not: `boot: HKCU RunOnce X: not started: CreateProcess ...`), value deleted,
    /// logon and process end, and a line per operation each process reported.
    static func lines(_ history: RunHistory) -> [String] {
        var lines: [(ns: UInt64, text: String)] = []
        // The process of each program the boot started → what it is (`service Logger`, ...).
        var what: [String: String] = ["\(stepName)/smss": "smss"]
        for event in history.coordinatorEvents {
            let arg = { (name: String) in event.argument(name) ?? "" }
            let text: String
            switch event.op {
            case "start_program":
                what[arg("process")] = arg("what")
                text = event.result.isOK ? "\(arg("what")): \(arg("command"))" : "\(arg("what")): not started: \(arg("result"))"
            case "delete_value": text = "\(arg("entry")): value deleted \(arg("when"))"
            case "services": text = "services: \(arg("started"))"
            case "logon": text = "logon \(arg("as"))"
            case "event" where arg("event") == StepEvents.booted: text = "booted"
            case "kill" where arg("reason") != "stopped": text = "\(arg("actor")) killed: \(arg("reason"))"
            case "abort": text = "aborted: \(arg("reason"))"
            default: continue
            }
            lines.append((event.startNs, "\(stepName): " + text))
        }
        for record in history.actors {
            for event in record.events {
                var line = "\(record.name): \(event.startNs) \(event.endNs - event.startNs)ns \(event.op)"
                for a in event.args { line += " \(a.name)=\(a.value)" }
                lines.append((event.startNs, line + " -> \(event.result)"))
            }
            if let endNs = record.endNs {
                lines.append((endNs, "\(stepName): \(what[record.name] ?? record.name): \(record.outcome)"))
            } else if record.failure != nil {
                lines.append((history.endNs, "\(stepName): \(what[record.name] ?? record.name): \(record.outcome)"))
            }
        }
        // Stable: lines at the same instant keep the order they were recorded in.
        return lines.enumerated().sorted { ($0.element.ns, $0.offset) < ($1.element.ns, $1.offset) }.map(\.element.text)
    }
}
