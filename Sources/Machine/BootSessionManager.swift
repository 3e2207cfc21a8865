import WinFS
import WindowsModel

/// Where the boot reports what it does: one call per operation, with the operation's name, its
/// arguments and a body that does it: it returns (`ok`, with the note it returns if any:
/// `ok queued=2 resume=0`) or throws the failure (`ERROR_FILE_NOT_FOUND (2)`). A worker turns
/// each call into a timed event.
public protocol BootReporter {
    func step(_ op: String, _ args: [(name: String, value: String)], _ body: () throws(OperationFailure) -> String?)
}

/// What Session Manager did with the queue.
public struct PendingRenameOutcome: Sendable, Equatable {
    /// Entries in the queue at boot.
    public var queued: Int
    /// Entries an interrupted earlier boot had already applied (skipped now).
    public var resumedAfter: Int
    /// Entries applied now.
    public var applied: Int
    /// Entries that failed (logged and skipped), with their errors.
    public var failures: [String]
}

/// Session Manager (smss.exe): at boot, before any other process, applies the pending renames.
public enum SessionManager {
    /// Applies `queue` in queued order: each rename or deletion is done, or logged and skipped if
    /// it fails (a missing source, an existing destination without `!`, a malformed entry). The
    /// queue is removed only once every entry has been processed. After each entry the progress
    /// is recorded, and a boot that finds progress from an interrupted one resumes after it.
    ///
    /// An entry interrupted mid-way is redone; that is safe because a rename is atomic and a
    /// done rename or deletion has no source any more, so redoing it fails harmlessly with
    /// ERROR_FILE_NOT_FOUND (2), changing nothing.
    ///
    /// Reports: `PendingRenames` (queue read), one `MoveFileEx` or `DeleteFile` per entry
    /// (`Malformed` for an unusable one), then `ClearPendingRenames`.
    /// Throws only when the queue itself cannot be read or updated.
    @discardableResult
    public static func applyPendingRenames(
        files: BootFiles, queue: any PendingRenameQueue, reporter: any BootReporter
    ) throws -> PendingRenameOutcome {
        var failure: (any Error)?
        var entries: [PendingRenameEntry] = []
        var start = 0
        reporter.step("PendingRenames", [("location", queue.location)]) { () throws(OperationFailure) in
            do {
                entries = try queue.entries()
                start = try queue.appliedCount()
                if start > entries.count { start = 0 }  // a count about another queue
                return "queued=\(entries.count) resume=\(start)"
            } catch {
                failure = error
                throw OperationFailure(error)
            }
        }
        if let failure { throw failure }

        var outcome = PendingRenameOutcome(queued: entries.count, resumedAfter: start, applied: 0, failures: [])
        for index in start..<entries.count {
            let entry = entries[index]
            let (op, args) = describe(entry, index: index)
            reporter.step(op, args) { () throws(OperationFailure) in
                let refused = apply(entry, files: files)
                if let refused {
                    outcome.failures.append("\(entry): \(refused)")
                } else {
                    outcome.applied += 1
                }
                do {
                    try queue.recordApplied(index + 1)
                } catch {
                    failure = error
                }
                if let refused { throw refused }
                return nil
            }
            if let failure { throw failure }
        }

        reporter.step("ClearPendingRenames", [("location", queue.location), ("count", "\(entries.count)")]) { () throws(OperationFailure) in
            do {
                try queue.finish(processed: entries.count)
                return nil
            } catch {
                failure = error
                throw OperationFailure(error)
            }
        }
        if let failure { throw failure }
        return outcome
    }

    /// The operation name and arguments an entry is reported with.
    static func describe(_ entry: PendingRenameEntry, index: Int) -> (String, [(name: String, value: String)]) {
        switch entry {
        case .rename(let rename):
            if let destination = rename.destination {
                return (
                    "MoveFileEx",
                    [
                        ("index", "\(index)"), ("source", rename.source.description),
                        ("destination", destination.description), ("replaceExisting", "\(rename.replaceExisting)"),
                    ]
                )
            }
            return ("DeleteFile", [("index", "\(index)"), ("source", rename.source.description)])
        case .malformed(let text, _):
            return ("Malformed", [("index", "\(index)"), ("entry", text)])
        }
    }

    /// Does one entry; returns the failure it met, nil when it was done.
    static func apply(_ entry: PendingRenameEntry, files: BootFiles) -> OperationFailure? {
        switch entry {
        case .malformed(_, let reason):
            return OperationFailure(Win32Error.invalidName, detail: reason)
        case .rename(let rename):
            do {
                if let destination = rename.destination {
                    try files.move(rename.source, to: destination, replaceExisting: rename.replaceExisting)
                } else {
                    try files.delete(rename.source)
                }
                return nil
            } catch {
                return OperationFailure(error)
            }
        }
    }
}
