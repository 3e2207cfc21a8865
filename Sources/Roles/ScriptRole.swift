import Wire

/// The `script` role: runs the steps the rig gives it, in order, like WiX's TestExe lets
/// installer tests script a process.
///
/// Steps (as `TaskStep`s): `sleep ns=N`, `emit event=NAME`, `wait actor=A event=E`,
/// `exit code=N`. A script that runs out of steps exits 0. A wait whose event can never come
/// (the actor exited without emitting it) fails the script with exit code 1.
public enum ScriptRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        for step in session.task.steps {
            switch step.op {
            case "sleep":
                let ns = step.argument("ns").flatMap(UInt64.init) ?? 0
                session.perform("sleep", [Argument("duration_ns", String(ns))]) {
                    session.sleep(nanoseconds: ns)
                    return "ok"
                }
            case "emit":
                session.emit(step.argument("event") ?? "")
            case "wait":
                let actor = step.argument("actor") ?? "", event = step.argument("event") ?? ""
                var failure: String?
                session.perform("wait", [Argument("for", "\(actor).\(event)")]) {
                    failure = session.await(actor: actor, event: event)
                    return failure.map { "unreachable: \($0)" } ?? "ok"
                }
                if let failure {
                    session.log("script: waiting for \(actor).\(event): \(failure)")
                    return 1
                }
            case "exit":
                let code = step.argument("code").flatMap(Int32.init) ?? 0
                session.perform("exit", [Argument("code", String(code))]) { "ok" }
                return code
            default:
                session.log("script: unknown step '\(step.op)'")
                return 2
            }
        }
        return 0
    }
}
