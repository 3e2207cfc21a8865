import CoordinatorCore
import Machine
import Report
import RigModel
import Servicing
import WinFS

/// A rig made ready to run on a machine: the machine directory (nil for a rig without one) and
/// the rig with its patch parameters naming the packages staged on that machine.
public struct PreparedRig: Sendable {
    public var rig: Rig
    public var machine: String?
}

/// A rig could not be made ready: its image or a patch is bad (`isBadInput`: exit status 2), or
/// the host could not write the machine (exit status 1).
public struct SessionError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public var isBadInput: Bool
}

/// Runs a rig in a directory, the one way `rig run`, `rig explore` and `rig stress` do it: a
/// fresh machine in `DIRECTORY/machine` (made from the rig's image, or cloned from one already
/// made), the patches staged on it, and the runner.
public enum RigSession {
    /// Makes a fresh machine for `rig` in `directory/machine` from the rig's image, and stages on
    /// it every patch the actors name (`C:\Windows\Installer\<id>.msp`, as Windows Update or a CD
    /// would have), giving the actors its Windows path instead of the rig-side file.
    public static func prepare(_ rig: Rig, in directory: String) throws(SessionError) -> PreparedRig {
        guard let spec = rig.machine else { return PreparedRig(rig: rig, machine: nil) }
        let path = directory + "/machine"
        do {
            let image = try spec.image.map { try MachineImageLoader.load(file: $0) } ?? .minimal
            try MachineDirectory.create(at: path, image: image, profile: spec.profile)
        } catch let errors as RigErrors {
            throw SessionError(description: errors.description, isBadInput: true)
        } catch {
            throw SessionError(description: "rig: cannot create the machine in \(path): \(error)", isBadInput: false)
        }
        var staged = rig
        do {
            let root = try MachineRoot(path: path)
            for a in staged.actors.indices {
                for p in staged.actors[a].parameters.indices
                where RigLoader.patchParameters.contains(staged.actors[a].parameters[p].name) {
                    let files = staged.actors[a].parameters[p].value.split(separator: ",").map(String.init)
                    let packages = try files.map { try PatchPackage.stage(PatchLoader.load(file: $0), root: root).description }
                    staged.actors[a].parameters[p].value = packages.joined(separator: ",")
                }
            }
        } catch let errors as RigErrors {
            throw SessionError(description: errors.description, isBadInput: true)
        } catch {
            throw SessionError(description: "rig: cannot stage the patches on the machine \(path): \(error)", isBadInput: false)
        }
        return PreparedRig(rig: staged, machine: path)
    }

    /// Another fresh machine like `template`'s (which was prepared and never run), cloned into
    /// `directory/machine`: the same files and registry in inodes of its own.
    public static func clone(_ template: PreparedRig, in directory: String) throws(SessionError) -> PreparedRig {
        guard let source = template.machine else { return template }
        let path = directory + "/machine"
        do { try MachineDirectory.clone(source, to: path) } catch {
            throw SessionError(description: "rig: cannot clone the machine \(source) into \(path): \(error)", isBadInput: false)
        }
        return PreparedRig(rig: template.rig, machine: path)
    }

    /// Runs `prepared` with `seed` and `schedule`, the workers' logs in `logDirectory`, and
    /// returns what happened, and the signal (SIGINT, SIGTERM) that interrupted it: during the
    /// run, or pending once it ended. A controlled run keeps to the CPU it starts on.
    public static func run(
        _ prepared: PreparedRig, seed: UInt64, schedule: ScheduleMode, worker: String, logDirectory: String,
        roleExists: @escaping @Sendable (String) -> Bool
    ) throws -> (history: RunHistory, interruptedBy: Int32?) {
        let runner = try RigRunner(
            rig: prepared.rig,
            options: RunOptions(
                seed: seed, workerExecutable: worker, logDirectory: logDirectory, machineDirectory: prepared.machine,
                roleExists: roleExists, schedule: schedule))
        let history = runner.run()
        return (history, runner.interruptedBy ?? RigRunner.pendingInterruption())
    }
}
