import Wire

/// The `script` role: runs the steps the rig gives it (sleep, emit, wait, exit).
public enum ScriptRole {
    public static func run(_ session: any WorkerSession) -> Int32 { 0 }
}
