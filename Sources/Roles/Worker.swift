import Host
import LibUV
import Wire

/// `rig-worker`'s entry point.
///
///     rig-worker ROLE --ipc FD              spawned by the coordinator: speak the wire protocol on FD
///     rig-worker ROLE [NAME=VALUE ...]      standalone: the pairs are the role's parameters
///     rig-worker ROLE --kill-at OP#N [NAME=VALUE ...]
///                                           standalone, killed (SIGKILL) just before its Nth
///                                           operation OP (`any#N`: its Nth operation)
public enum Worker {
    public static let usage = """
        usage: rig-worker ROLE --ipc FD
               rig-worker ROLE [--kill-at OP#N] [NAME=VALUE ...]
        roles: \(RoleTable.roles.keys.sorted().joined(separator: ", "))
        """

    public static func main(_ arguments: [String]) -> Never {
        let mainNs = MonotonicClock.now()
        let args = Array(arguments.dropFirst())
        guard let roleName = args.first, !roleName.hasPrefix("-") else { usageError("no role given") }
        guard let role = RoleTable.roles[roleName] else { usageError("unknown role '\(roleName)'") }

        if args.count == 3, args[1] == "--ipc" {
            guard let fd = Int32(args[2]), fd >= 0 else { usageError("--ipc needs a descriptor number") }
            // Belt and braces with the pipe: if the coordinator dies, the kernel kills us too.
            dieWithParent()
            let session: PipeSession
            do { session = try PipeSession(role: roleName, fd: fd, mainNs: mainNs) } catch {
                writeLine(2, "rig-worker: control pipe \(fd): \(error)")
                CurrentProcess.exit(WorkerExit.coordinatorGone)
            }
            let code = role(session)
            session.finish(code: code, detail: "")
        }

        var parameters: [Argument] = []
        var rest = args.dropFirst()
        var killAt: FaultPoint?
        if rest.first == "--kill-at" {
            guard rest.count >= 2, let point = FaultPoint(rest[rest.startIndex + 1]) else {
                usageError("--kill-at needs OP#N, e.g. replace#2 or any#5")
            }
            killAt = point
            rest = rest.dropFirst(2)
        }
        for pair in rest {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                usageError("'\(pair)' is not NAME=VALUE")
            }
            parameters.append(Argument(String(pair[..<eq]), String(pair[pair.index(after: eq)...])))
        }
        CurrentProcess.exit(role(StandaloneSession(role: roleName, parameters: parameters, killAt: killAt)))
    }

    private static func usageError(_ message: String) -> Never {
        writeLine(2, "rig-worker: \(message)\n\(usage)")
        CurrentProcess.exit(WorkerExit.usage)
    }
}
