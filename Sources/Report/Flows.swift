import RigModel
import Wire

/// An arrow between two lanes of a run: a waiter released by another process's event, a process
/// started by its parent (or by the boot), an actor started after another's event or exit. The
/// trace writes each as a flow (`s`, then `t` on the coordinator when it relayed it, then `f`);
/// the HTML timeline draws it.
public struct RunFlow: Sendable, Equatable {
    /// What the arrow stands for.
    public enum Kind: String, Sendable, Equatable {
        /// A worker waiting for `owner.event` was released by it (the coordinator's `release`).
        case release
        /// A process started another (`setup` → `setup/msiexec`), or the boot started it
        /// (`reboot1` → `reboot1/smss`).
        case child
        /// A rig actor started after another's event (`start: {after: app.loaded}`) or exit
        /// (`start: {after_exit: sp1}`).
        case start
    }

    /// Where an arrow begins: a process (its index in `RunHistory.actors`) or the machine lane.
    public enum Place: Sendable, Equatable {
        case process(Int)
        case machine
    }

    public var kind: Kind
    public var from: Place
    public var fromNs: UInt64
    /// When the coordinator relayed it: the `release` it noted, the `spawn` of the child; nil for
    /// a start, which the coordinator takes on its own timer.
    public var viaNs: UInt64?
    /// The process the arrow points at (its index in `RunHistory.actors`) and when.
    public var to: Int
    public var toNs: UInt64
    /// What it is about: the event (`app.loaded`), the child's name, `sp1 exited`.
    public var label: String

    public init(kind: Kind, from: Place, fromNs: UInt64, viaNs: UInt64?, to: Int, toNs: UInt64, label: String) {
        self.kind = kind
        self.from = from
        self.fromNs = fromNs
        self.viaNs = viaNs
        self.to = to
        self.toNs = toNs
        self.label = label
    }
}

/// The arrows of a run, found in its history: the coordinator's `release` notes (who waited for
/// whom), the processes named `<parent>/<label>` (who started whom; the coordinator's
/// `start_child` note says when the parent asked), and the rig's `after` / `after_exit` starts.
public enum RunFlows {
    /// Every arrow of `history`, releases first, then children, then starts; each group in the
    /// order of the history.
    public static func of(_ history: RunHistory) -> [RunFlow] {
        let emitted = emittedEvents(history)
        var flows: [RunFlow] = []
        for note in history.coordinatorEvents where note.op == "release" {
            guard let waiter = note.argument("actor"), let key = note.argument("event"), let source = emitted[key],
                let to = process(named: waiter, at: note.startNs, in: history)
            else { continue }
            flows.append(
                RunFlow(
                    kind: .release, from: source.place, fromNs: source.ns, viaNs: note.startNs, to: to, toNs: note.startNs, label: key))
        }
        // What boots: the machine steps, and the power losses (a fault's boot is named after it).
        let steps = Set((history.rig.machine?.steps.map(\.name) ?? []) + history.faults.map(\.name))
        for (index, record) in history.actors.enumerated() {
            guard record.pid != nil, let spawn = record.spawnNs, let slash = record.name.lastIndex(of: "/") else { continue }
            let parentName = String(record.name[..<slash])
            if let parent = process(named: parentName, at: spawn, in: history) {
                // When the parent asked for it: its `start_child` note, else the spawn itself.
                let asked = history.coordinatorEvents.last {
                    $0.op == "start_child" && $0.argument("child") == record.name && $0.startNs <= spawn
                }
                flows.append(
                    RunFlow(
                        kind: .child, from: .process(parent), fromNs: asked?.startNs ?? spawn, viaNs: spawn, to: index, toNs: spawn,
                        label: record.name))
            } else if let root = record.name.split(separator: "/").first, steps.contains(String(root)) {
                flows.append(RunFlow(kind: .child, from: .machine, fromNs: spawn, viaNs: spawn, to: index, toNs: spawn, label: record.name))
            }
        }
        for actor in history.rig.actors {
            guard let index = history.actors.firstIndex(where: { $0.name == actor.name }),
                let spawn = history.actors[index].spawnNs, history.actors[index].pid != nil
            else { continue }
            switch actor.start {
            case .afterEvent(let owner, let event, _, _):
                guard let source = emitted["\(owner).\(event)"] else { continue }
                flows.append(
                    RunFlow(
                        kind: .start, from: source.place, fromNs: source.ns, viaNs: nil, to: index, toNs: spawn, label: "\(owner).\(event)")
                )
            case .afterExit(let owner, _, _):
                guard let source = history.actors.firstIndex(where: { $0.name == owner }), let end = history.actors[source].endNs
                else { continue }
                flows.append(
                    RunFlow(kind: .start, from: .process(source), fromNs: end, viaNs: nil, to: index, toNs: spawn, label: "\(owner) exited")
                )
            case .at: continue
            }
        }
        return flows
    }

    /// `owner.event` → where and when it was emitted: the middle of the process's `emit`
    /// operation (so a trace viewer binds the arrow to it), or the machine lane when a machine
    /// step emitted it. The first emission counts, as it does for the coordinator.
    static func emittedEvents(_ history: RunHistory) -> [String: (place: RunFlow.Place, ns: UInt64)] {
        var emitted: [String: (place: RunFlow.Place, ns: UInt64)] = [:]
        for (index, record) in history.actors.enumerated() {
            for event in record.events where event.op == "emit" {
                guard let name = event.argument("event") else { continue }
                let key = "\(record.name).\(name)"
                if emitted[key] == nil {
                    emitted[key] = (.process(index), event.startNs + (max(event.endNs, event.startNs) - event.startNs) / 2)
                }
            }
        }
        for note in history.coordinatorEvents where note.op == "event" {
            guard let step = note.argument("step"), let name = note.argument("event") else { continue }
            let key = "\(step).\(name)"
            if emitted[key] == nil { emitted[key] = (.machine, note.startNs) }
        }
        return emitted
    }

    /// The process named `name` that was running at `ns` (a name may come back: a child started
    /// again after the first one ended), else the last one spawned before it.
    static func process(named name: String, at ns: UInt64, in history: RunHistory) -> Int? {
        var best: Int?
        for (index, record) in history.actors.enumerated() where record.name == name && record.pid != nil {
            guard let spawn = record.spawnNs, spawn <= ns else { continue }
            if ns <= record.endNs ?? UInt64.max { return index }
            best = index
        }
        return best
    }
}
