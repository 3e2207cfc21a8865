/// A file given to `rig report`, recognised by what it holds: a run's trace (`rig run --trace`)
/// or a stress campaign (`rig stress --json`, `rig merge`). Anything else — a results record,
/// another PatchRig file, a trace of another version, a truncated file — is refused with what it
/// is and what to give instead.
public enum ReportInput: Sendable {
    case run(RunTimeline)
    case campaign(Campaign)

    /// What `text` holds.
    public static func recognize(_ text: String) throws(InputError) -> ReportInput {
        guard text.contains(where: { !$0.isWhitespace }) else { throw InputError("an empty file") }
        let root: JSONValue
        do { root = try JSONReader.parse(text) } catch {
            if error.truncated {
                throw InputError("the file ends early (line \(error.line), column \(error.column)): it is truncated")
            }
            throw InputError("not JSON: \(error.description)")
        }
        guard root.members != nil else { throw InputError("not a run trace or a campaign: not a JSON object") }
        if root["traceEvents"] != nil { return .run(try RunTimeline(trace: root)) }
        if let format = root["format"]?.string {
            if format == Campaign.format { return .campaign(try Campaign(json: root)) }
            throw InputError("a '\(format)' file, not a run trace (rig run --trace) or a campaign (rig stress --json)")
        }
        if root["actors"] != nil && root["expectations"] != nil && root["rig"] != nil {
            throw InputError(
                "a run's results record (rig run --json), which holds no operations: give the run's trace (rig run --trace FILE)")
        }
        throw InputError("neither a run trace (rig run --trace) nor a campaign (rig stress --json)")
    }
}
