import Foundation

/// The runs of a campaign as they finish, one JSON line each in a file, with an index of
/// (seed, offset, length) in memory: a campaign of 10,000 iterations holds 24 bytes per run,
/// not the runs. Not thread-safe: the campaign's runner calls it under its lock.
public final class CampaignSpool {
    /// A spool or record file could not be written or read.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let path: String
    private let handle: FileHandle
    private var index: [(seed: UInt64, offset: UInt64, length: Int)] = []
    private var end: UInt64 = 0

    /// A new, empty spool file at `path` (replacing one there).
    public init(path: String) throws(Failure) {
        self.path = path
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forUpdatingAtPath: path) else {
            throw Failure(description: "cannot create the spool file \(path)")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    public var count: Int { index.count }

    /// Appends a finished run.
    public func append(_ run: CampaignRun) throws(Failure) {
        let line = Data((run.jsonLine + "\n").utf8)
        do {
            try handle.seek(toOffset: end)
            try handle.write(contentsOf: line)
        } catch { throw Failure(description: "cannot write the spool file \(path): \(error.localizedDescription)") }
        index.append((run.seed, end, line.count - 1))
        end += UInt64(line.count)
    }

    /// Writes `before`, the runs by seed as the record's `runs` array, then `after`, to `path`.
    func write(to target: String, before: String, after: String) throws(Failure) {
        let temporary = target + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let out = FileHandle(forWritingAtPath: temporary) else {
            throw Failure(description: "cannot write \(target)")
        }
        do {
            defer { try? out.close() }
            try out.write(contentsOf: Data(before.utf8))
            var first = true
            try out.write(contentsOf: Data("[".utf8))
            for entry in index.sorted(by: { $0.seed < $1.seed }) {
                try handle.seek(toOffset: entry.offset)
                let line = try handle.read(upToCount: entry.length) ?? Data()
                try out.write(contentsOf: Data((first ? "\n    " : ",\n    ").utf8))
                try out.write(contentsOf: line)
                first = false
            }
            try out.write(contentsOf: Data(((first ? "" : "\n  ") + "]").utf8))
            try out.write(contentsOf: Data(after.utf8))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(description: "cannot write \(target): \(error.localizedDescription)")
        }
        guard rename(temporary, target) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(description: "cannot write \(target): rename failed")
        }
    }

    /// The `runs` array as the record writes it: each run on a line of its own.
    static func runsArray(_ lines: [String]) -> String {
        lines.isEmpty ? "[]" : "[\n    " + lines.joined(separator: ",\n    ") + "\n  ]"
    }

    static func writeWhole(_ text: String, to path: String) throws(Failure) {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw Failure(description: "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
