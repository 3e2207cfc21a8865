import ArgumentParser
import CoordinatorCore
import Foundation
import Report
import RigModel

/// `--schedule`, `--depth`, `--steps`: how `rig run` schedules its workers.
struct SchedulingOptions: ParsableArguments {
    enum Name: String, ExpressibleByArgument, CaseIterable {
        case free, random, pct
    }

    @Option(
        help:
            "free: workers run at full speed and races happen by real timing (the default). random or pct: a controlled schedule — one worker runs at a time, time is virtual, and the seed fixes the order of every operation, so a run replays exactly."
    )
    var schedule: Name = .free

    @Option(help: "PCT's depth: how many priority changes (depth - 1) a schedule makes (default \(ScheduleMode.defaultPCTDepth)).")
    var depth: Int?

    @Option(help: "PCT: the number of grants to draw the priority changes over (default \(ScheduleMode.defaultPCTSteps)).")
    var steps: Int?

    /// What the options ask for, checked by `check()`.
    var choice: ScheduleChoice { ScheduleChoice(name: schedule, depth: depth, steps: steps) }

    func check() throws { try choice.check(strategyFlag: "--schedule") }
}

/// A schedule as `rig run` and `rig explore` take it: its name, and PCT's depth and steps when
/// given.
struct ScheduleChoice {
    var name: SchedulingOptions.Name
    var depth: Int?
    var steps: Int?

    /// A usage error for a depth or steps below 1, or given to a strategy other than PCT
    /// (`strategyFlag` is the option that names the strategy).
    func check(strategyFlag: String) throws {
        if let depth, depth < 1 { throw ValidationError("--depth must be 1 or more, not \(depth)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be 1 or more, not \(steps)") }
        if name != .pct && (depth != nil || steps != nil) {
            throw ValidationError("--depth and --steps are PCT's: add \(strategyFlag) pct")
        }
    }

    var mode: ScheduleMode {
        switch name {
        case .free: return .free
        case .random: return .random
        case .pct: return .pct(depth: depth ?? ScheduleMode.defaultPCTDepth, steps: steps ?? ScheduleMode.defaultPCTSteps)
        }
    }

    /// The options as `rig run` takes them (empty for a free run), after `--seed N`.
    var arguments: String {
        switch name {
        case .free: return ""
        case .random: return " --schedule random"
        case .pct:
            return " --schedule pct" + (depth.map { " --depth \($0)" } ?? "") + (steps.map { " --steps \($0)" } ?? "")
        }
    }
}

/// `schedule: pct (depth 2), 153 grants, 1 preemption, digest 0123456789abcdef`.
func scheduleLine(_ schedule: RunSchedule) -> String {
    let preemptions = schedule.preemptions
    return "schedule: \(schedule.strategy)\(schedule.depth.map { " (depth \($0))" } ?? ""), \(schedule.grants.count) grants, "
        + "\(preemptions) preemption\(preemptions == 1 ? "" : "s"), \(schedule.deviations.count) deviation\(schedule.deviations.count == 1 ? "" : "s") "
        + "from the default order, digest \(schedule.digest)"
}

/// Reads a schedule file for `--replay`: exit 2 with the reason when it is not one, or when it
/// was saved from another rig.
func loadSchedule(_ path: String, for rig: Rig) throws -> ScheduleFile {
    let file: ScheduleFile
    do { file = try ScheduleFile.read(path) } catch {
        printError("rig: --replay \(path): \(error)")
        throw ExitCode(2)
    }
    guard file.rig == rig.name else {
        printError("rig: --replay \(path): the schedule is of rig '\(file.rig)', not '\(rig.name)'")
        throw ExitCode(2)
    }
    return file
}
