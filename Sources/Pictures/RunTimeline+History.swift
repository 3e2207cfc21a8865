import Report

extension RunTimeline {
    /// The timeline of a run, from its history: what `TraceWriter` writes of it, so that
    /// `RunTimeline(trace:)` reads the same timeline back from the trace.
    public init(_ history: RunHistory) {
        let origin = history.startNs
        func since(_ ns: UInt64) -> Int64 { Int64(truncatingIfNeeded: ns &- origin) }

        let ordered = TraceWriter.orderedActors(history)
        let records = ordered.filter { $0.pid != nil } + ordered.filter { $0.pid == nil }
        var laneOfPid: [Int32: Int] = [:]
        var lanes: [Lane] = []
        var operations: [Operation] = []
        for record in records {
            let index = lanes.count
            guard let pid = record.pid else {
                lanes.append(
                    Lane(
                        name: record.name, role: record.role, label: TraceWriter.laneName(record), pid: nil, from: nil, hello: nil, to: nil,
                        outcome: record.outcome, failure: record.failure))
                continue
            }
            laneOfPid[pid] = index
            let (from, to) = TraceWriter.lifetime(of: record, in: history)
            lanes.append(
                Lane(
                    name: record.name, role: record.role, label: TraceWriter.laneName(record), pid: pid, from: since(from),
                    hello: record.helloNs.map { since(max($0, from)) }, to: since(to), outcome: record.outcome, failure: record.failure))
            for event in record.events {
                operations.append(
                    Operation(
                        lane: index, from: since(event.startNs), to: since(max(event.endNs, event.startNs)), name: event.op,
                        arguments: event.args.map { Field($0.name, $0.value) }, result: event.result.description))
            }
        }

        var arrows: [Arrow] = []
        for flow in RunFlows.of(history) {
            guard let toPid = history.actors[flow.to].pid, let to = laneOfPid[toPid] else { continue }
            var from: Int?
            switch flow.from {
            case .machine: from = nil
            case .process(let source):
                guard let pid = history.actors[source].pid, let lane = laneOfPid[pid] else { continue }
                from = lane
            }
            arrows.append(
                Arrow(kind: flow.kind.rawValue, from: from, fromNs: since(flow.fromNs), to: to, toNs: since(flow.toNs), label: flow.label))
        }

        self.init(
            rig: history.rig.name, file: history.rig.file, seed: String(history.seed), clock: history.schedule == nil ? "real" : "virtual",
            schedule: history.schedule?.strategy, digest: history.schedule?.digest, duration: since(history.endNs), lanes: lanes,
            operations: operations,
            machine: TraceWriter.machinePhases(history).map {
                MachineSpan(step: $0.step, name: $0.name, from: since($0.from), to: since(max($0.to, $0.from)))
            },
            arrows: arrows,
            expectations: Checks.evaluate(history).map { Verdict(text: $0.text, verdict: $0.verdict.name, detail: $0.detail) },
            runProblems: history.problems, passed: Checks.verdict(history).passed)
    }
}
