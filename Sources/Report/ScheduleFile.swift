import Foundation

/// A saved schedule (`rig run --save-schedule`, `rig explore`): the rig it belongs to, the seed,
/// and the grants that departed from the default order. With the same rig and seed, those
/// deviations give the same grants in the same order (`rig run --replay FILE`).
///
///     {"format": "patchrig-schedule", "version": 1, "rig": "sp1-hotfix-race",
///      "rig_file": "Rigs/sp1-hotfix-race.yaml", "seed": 7, "strategy": "pct", "grants": 153,
///      "preemptions": 1, "digest": "…", "deviations": [{"step": 12, "process": "windowsupdate"}]}
public struct ScheduleFile: Sendable, Equatable {
    public static let format = "patchrig-schedule"
    public static let version = 1

    /// The rig's `rig:` name, and the file it was run from.
    public var rig: String
    public var rigFile: String
    public var seed: UInt64
    /// The strategy that made it (`random`, `pct`, `replay`, `shrunk`).
    public var strategy: String
    public var grants: Int
    public var preemptions: Int
    public var digest: String
    public var deviations: [Deviation]

    public init(rig: String, rigFile: String, seed: UInt64, schedule: RunSchedule, strategy: String? = nil) {
        self.rig = rig
        self.rigFile = rigFile
        self.seed = seed
        self.strategy = strategy ?? schedule.strategy
        grants = schedule.grants.count
        preemptions = schedule.preemptions
        digest = schedule.digest
        deviations = schedule.deviations
    }

    public func json() -> String {
        let list = deviations.map { "    {\"step\": \($0.step), \"process\": \(jsonString($0.process))}" }.joined(separator: ",\n")
        return """
            {
              "format": "\(Self.format)",
              "version": \(Self.version),
              "rig": \(jsonString(rig)),
              "rig_file": \(jsonString(rigFile)),
              "seed": \(seed),
              "strategy": \(jsonString(strategy)),
              "grants": \(grants),
              "preemptions": \(preemptions),
              "digest": \(jsonString(digest)),
              "deviations": [\(deviations.isEmpty ? "" : "\n" + list + "\n  ")]
            }

            """
    }

    /// Why a file is not a schedule this build can replay.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func read(_ path: String) throws -> ScheduleFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(description: "cannot read the file") }
        guard let object = try? JSONSerialization.jsonObject(with: data), let top = object as? [String: Any] else {
            throw Invalid(description: "not a schedule: not a JSON object")
        }
        guard top["format"] as? String == format else {
            throw Invalid(description: "not a schedule: its \"format\" is not \"\(format)\" (save one with rig run --save-schedule)")
        }
        guard let version = top["version"] as? Int, version == Self.version else {
            throw Invalid(
                description: "a schedule of version \(top["version"].map { "\($0)" } ?? "?"); this build reads version \(Self.version)")
        }
        func field<T>(_ name: String, _ type: T.Type) throws -> T {
            guard let value = top[name] as? T else { throw Invalid(description: "a schedule without a valid \"\(name)\"") }
            return value
        }
        let seed = try field("seed", NSNumber.self)
        guard seed.int64Value >= 0 || seed.uint64Value > 0 else { throw Invalid(description: "a schedule with a negative \"seed\"") }
        var deviations: [Deviation] = []
        for item in try field("deviations", [Any].self) {
            guard let entry = item as? [String: Any], let step = entry["step"] as? Int, step >= 1, let process = entry["process"] as? String
            else { throw Invalid(description: "a deviation that is not {\"step\": N ≥ 1, \"process\": NAME}") }
            deviations.append(Deviation(step: step, process: process))
        }
        var file = ScheduleFile(
            rig: try field("rig", String.self), rigFile: (top["rig_file"] as? String) ?? "", seed: seed.uint64Value,
            schedule: RunSchedule(strategy: try field("strategy", String.self)))
        file.grants = try field("grants", Int.self)
        file.preemptions = (top["preemptions"] as? Int) ?? 0
        file.digest = try field("digest", String.self)
        file.deviations = deviations
        return file
    }
}

private func jsonString(_ text: String) -> String { JSONText.string(text).rendered() }
