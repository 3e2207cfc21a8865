import ArgumentParser
import Coordinator
import CoordinatorCore
import Foundation
import Report
import RigModel
import Roles

/// `rig explore RIG`: runs controlled schedules until one fails, then shrinks it.
struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Run controlled schedules of a rig until an expectation fails, then shrink the failing schedule.",
        discussion: """
            Schedule i runs with seed S+i on a fresh machine. When one fails (an expectation failed \
            or the run had a problem), its schedule is shrunk: its departures from the default order \
            are taken out one at a time, and each removal that still fails is kept, so the schedule \
            left has as few preemptions as explore could find. A departure is tried where it was \
            made relative to the operation before it, so taking out an early one does not move \
            the later ones. The failing seed, the shrunk schedule \
            file, its digest and the commands that replay both are printed.
            Exit status: 1 when a schedule failed, 0 when the budget ran out with none failing, 2 for \
            bad usage or a bad rig.
            """)

    enum Strategy: String, ExpressibleByArgument, CaseIterable { case random, pct }

    @Argument(help: "The rig file (YAML).")
    var rig: String

    @Option(help: "random: a waiting worker drawn uniformly at each step; pct: PCT (the default).")
    var strategy: Strategy = .pct

    @Option(help: "PCT's depth (default \(ScheduleMode.defaultPCTDepth)).")
    var depth: Int?

    @Option(help: "PCT: the number of grants to draw the priority changes over (default \(ScheduleMode.defaultPCTSteps)).")
    var steps: Int?

    @Option(help: "How many schedules to run at most.")
    var budget: Int = 100

    @Option(help: "The first seed (default: the rig's `seed:`); schedule i runs with seed S+i.")
    var seed: UInt64?

    @Option(help: "How many runs shrinking may take at most.")
    var shrinkBudget: Int = 60

    @Option(
        help: "Where to keep the failing run (its worker logs and machine) and the schedule files (default: a new temporary directory).")
    var out: String?

    func validate() throws {
        guard budget >= 1 else { throw ValidationError("--budget must be 1 or more, not \(budget)") }
        guard shrinkBudget >= 0 else { throw ValidationError("--shrink-budget must be 0 or more, not \(shrinkBudget)") }
        try choice.check(strategyFlag: "--strategy")
    }

    private var choice: ScheduleChoice {
        ScheduleChoice(name: strategy == .pct ? .pct : .random, depth: depth, steps: steps)
    }

    func run() throws {
        let loaded: Rig
        do { loaded = try RigLoader.load(path: rig) } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let worker: String
        do { worker = try RunOptions.defaultWorkerExecutable() } catch { throw ValidationError(error.description) }
        let directory = try outputDirectory(out, kind: "explore")
        let first = seed ?? loaded.seed
        // One machine made for the exploration, cloned for each schedule (as `rig stress` does).
        // Its machines live in memory when the host allows (as a campaign's do), else in DIR.
        RunDirectories.removeStale()
        let scratch = RunDirectories.memoryDirectory(machines: 2, bytes: 64 << 20) ?? directory
        try? FileManager.default.removeItem(atPath: scratch + "/template")
        try FileManager.default.createDirectory(atPath: scratch + "/template", withIntermediateDirectories: true)
        let template = try prepare(loaded, in: scratch + "/template")
        defer {
            try? FileManager.default.removeItem(atPath: scratch + "/template")
            if scratch != directory { try? FileManager.default.removeItem(atPath: scratch) }
        }
        let started = Date()
        var ran = 0
        var failing: (seed: UInt64, history: RunHistory)?
        for i in 0..<budget {
            let seed = first &+ UInt64(i)
            let (history, interrupted) = try runOnce(template, seed: seed, mode: choice.mode, worker: worker, in: scratch, keep: false)
            ran += 1
            if interrupted { try stop(ran: ran) }
            if !Checks.verdict(history).passed {
                failing = (seed, history)
                break
            }
        }
        let rate = Double(ran) / max(Date().timeIntervalSince(started), 1e-9)
        guard let failing, let schedule = failing.history.schedule else {
            print(
                "explore: \(loaded.name): no failure in \(ran) schedules (\(strategy.rawValue), seeds \(first)...\(first &+ UInt64(ran - 1))), \(String(format: "%.1f", rate)) schedules/s"
            )
            return
        }
        print(
            "explore: \(loaded.name): seed \(failing.seed) failed, schedule \(ran) of \(budget) (\(String(format: "%.1f", rate)) schedules/s)"
        )
        for reason in failureReasons(failing.history) { print("  \(reason)") }
        print("  \(scheduleLine(schedule))")
        print("  replay: rig run \(shellQuoted(rig)) --seed \(failing.seed)\(choice.arguments)   (\(BuildInfo.line))")

        // Shrink: take deviations out one at a time; keep what still fails with fewer of them.
        var best = schedule
        var attempts = 0
        var improved = true
        while improved && attempts < shrinkBudget {
            improved = false
            let anchored = best.anchoredDeviations
            for j in anchored.indices where attempts < shrinkBudget {
                var fewer = anchored
                fewer.remove(at: j)
                attempts += 1
                let (history, interrupted) = try runOnce(
                    template, seed: failing.seed, mode: .shrink(fewer), worker: worker, in: scratch, keep: false)
                if interrupted { try stop(ran: ran + attempts) }
                if let tried = history.schedule, !Checks.verdict(history).passed, tried.deviations.count < best.deviations.count {
                    best = tried
                    improved = true
                    break
                }
            }
        }
        // The shrunk schedule, replayed as `rig run --replay` will: it must still fail.
        let (check, _) = try runOnce(
            template, seed: failing.seed, mode: .replay(best.deviations), worker: worker, in: directory + "/failing", keep: true
        )
        let file = ScheduleFile(rig: loaded.name, rigFile: rig, seed: failing.seed, schedule: check.schedule ?? best, strategy: "shrunk")
        let path = directory + "/seed-\(failing.seed).schedule.json"
        try file.json().write(toFile: path, atomically: true, encoding: .utf8)
        print(
            "  shrunk in \(attempts) runs: \(schedule.deviations.count) → \(file.deviations.count) deviations, "
                + "\(schedule.preemptions) → \(file.preemptions) preemptions, digest \(file.digest)")
        if Checks.verdict(check).passed {
            print("  the shrunk schedule passed when replayed: the failure did not come from the order of operations alone")
        }
        print("  schedule file: \(path)")
        print("  replay it: rig run \(shellQuoted(rig)) --replay \(shellQuoted(path))")
        print("  the failing run's logs and machine: \(directory)/failing")
        throw ExitCode(1)
    }

    /// One schedule on a fresh machine (a clone of `template`) in `parent/run`, removed
    /// afterwards unless `keep`.
    private func runOnce(
        _ template: PreparedRig, seed: UInt64, mode: ScheduleMode, worker: String, in parent: String, keep: Bool
    ) throws -> (RunHistory, interrupted: Bool) {
        let directory = keep ? parent : parent + "/run"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let prepared: PreparedRig
        do { prepared = try RigSession.clone(template, in: directory) } catch { throw failure(error.description, code: 1) }
        let (history, interruptedBy) = try RigSession.run(
            prepared, seed: seed, schedule: mode, worker: worker, logDirectory: directory,
            roleExists: { RoleTable.roles[$0] != nil })
        if !keep { try? FileManager.default.removeItem(atPath: directory) }
        return (history, interruptedBy != nil)
    }

    private func stop(ran: Int) throws -> Never {
        print("explore: interrupted after \(ran) runs")
        throw ExitCode(130)
    }

    /// What failed: each failed expectation and each problem, one line each.
    private func failureReasons(_ history: RunHistory) -> [String] {
        let verdict = Checks.verdict(history)
        return verdict.expectations.filter { !$0.passed }.map { "FAIL  \($0.text): \($0.detail.prefix(200))" }
            + verdict.problems.map { "PROBLEM  \($0.prefix(200))" }
    }
}
