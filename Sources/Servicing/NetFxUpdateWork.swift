import WindowsModel

/// An older RunOnce-style entry the service takes over.
public struct NetFxUpdateTakeover: Sendable, Equatable {
    /// The RunOnce value name.
    public var name: String
    /// Its command line.
    public var command: String
    /// The work its command line asks for.
    public var work: [NetFxUpdateWorkItem]
}

/// What the service does with its registration once it has run.
public enum NetFxUpdateServiceDecision: Sendable, Equatable {
    /// No work is left: delete the whole service key (the service exists only while needed).
    case remove
    /// Work is left (items that failed, or were added meanwhile): stay registered, so the next
    /// boot runs it again. Says why.
    case keep(String)
}

/// The service era's bookkeeping, as pure functions over registry contents.
public enum NetFxUpdateWork {
    /// The RunOnce values the service takes over: those whose command runs `netfxupdate.exe`
    /// (not as `/service`) and whose arguments name work. A value it cannot read is left alone
    /// (an administrator's logon still runs it).
    public static func takeovers(runOnce values: [(name: String, command: String)]) -> [NetFxUpdateTakeover] {
        var result: [NetFxUpdateTakeover] = []
        for (name, command) in values {
            let boot = BootCommand(command)
            guard boot.role == "netfxupdate",
                let parsed = try? NetFxUpdateCommand(arguments: boot.arguments),
                !parsed.service, !parsed.work.isEmpty
            else { continue }
            result.append(NetFxUpdateTakeover(name: name, command: command, work: parsed.work))
        }
        return result
    }

    /// `current` with each of `items` appended unless already there (as text, ignoring case of the
    /// keyword by comparing parsed items).
    public static func merging(_ items: [NetFxUpdateWorkItem], into current: [String]) -> [String] {
        var result = current
        var present = Set(current.compactMap { try? NetFxUpdateWorkItem(parsing: $0) })
        for item in items where present.insert(item).inserted { result.append(item.description) }
        return result
    }

    /// `current` without the `finished` items: one occurrence removed per finished string, first
    /// occurrences first. Items added after the service read its list stay, so work queued by an
    /// install during the service's run is not lost.
    public static func removing(_ finished: [String], from current: [String]) -> [String] {
        var result = current
        for item in finished {
            if let index = result.firstIndex(of: item) { result.remove(at: index) }
        }
        return result
    }

    /// Of `current`, the items not yet attempted, given `attempted` (each attempt accounts for one
    /// occurrence). What the service still has to run in this pass.
    public static func pending(_ current: [String], attempted: [String]) -> [String] {
        removing(attempted, from: current)
    }

    /// Whether the service removes its registration: only when no work remains in `Work` and no
    /// RunOnce entry it would take over is waiting.
    public static func serviceDecision(
        remainingWork: [String], runOnce values: [(name: String, command: String)]
    ) -> NetFxUpdateServiceDecision {
        if !remainingWork.isEmpty {
            return .keep("\(remainingWork.count) work item(s) remain: \(remainingWork.joined(separator: "; "))")
        }
        let waiting = takeovers(runOnce: values)
        if !waiting.isEmpty {
            return .keep("RunOnce entries to take over: \(waiting.map(\.name).joined(separator: ", "))")
        }
        return .remove
    }
}
