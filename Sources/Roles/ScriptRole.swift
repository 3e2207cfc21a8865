import Wire

/// The `script` role: runs the steps the rig gives it, in order, like WiX's TestExe lets
/// installer tests script a process.
///
/// Steps (`ScriptStep`s): sleep, emit, wait, exit. A script that runs out of steps exits 0. A
/// wait whose event can never come (the actor exited without emitting it) fails the script with
/// exit code 1.
public enum ScriptRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        for step in session.task.steps {
            switch step {
            case .sleep(let ns):
                session.perform("sleep", [Argument("duration_ns", String(ns))]) {
                    session.sleep(nanoseconds: ns)
                    return .ok
                }
            case .emit(let event):
                session.emit(event)
            case .wait(let actor, let event):
                var failure: String?
                session.perform("wait", [Argument("for", "\(actor).\(event)")]) {
                    failure = session.await(actor: actor, event: event)
                    return failure.map { .failed("unreachable: \($0)") } ?? .ok
                }
                if let failure {
                    session.log("script: waiting for \(actor).\(event): \(failure)")
                    return 1
                }
            case .exit(let code):
                session.perform("exit", [Argument("code", String(code))]) { .ok }
                return code
            }
        }
        return 0
    }
}
