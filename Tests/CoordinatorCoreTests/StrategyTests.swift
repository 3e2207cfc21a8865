import Report
import Testing
import WindowsModel

@testable import CoordinatorCore

/// Choices for processes `ps`, in process order; those in `asleep` sleep.
func choices(_ ps: [ProcessIndex], asleep: Set<ProcessIndex> = []) -> [SchedulingChoice] {
    ps.map { SchedulingChoice(process: $0, name: "p\($0)", point: "op", isAsleep: asleep.contains($0)) }
}

/// The processes a strategy grants over `steps` steps, each among all of `ps`.
func draws(_ strategy: any SchedulingStrategy, _ ps: [ProcessIndex], steps: ClosedRange<Int>) -> [ProcessIndex] {
    let offered = choices(ps)
    return steps.map { step in offered[try! strategy.choose(offered, step: step, last: nil)].process }
}

@Suite struct PCTStrategyTests {
    @Test func theSameSeedGivesTheSameChangePointsAndChoices() {
        for seed in UInt64(1)...10 {
            let (one, two) = (PCTStrategy(seed: seed, depth: 4, steps: 50), PCTStrategy(seed: seed, depth: 4, steps: 50))
            #expect(one.changePoints == two.changePoints)
            #expect(draws(one, [0, 1, 2, 3], steps: 1...60) == draws(two, [0, 1, 2, 3], steps: 1...60))
            #expect(one.priorities == two.priorities)
        }
        let points = (UInt64(1)...10).map { PCTStrategy(seed: $0, depth: 4, steps: 50).changePoints }
        #expect(Set(points).count > 1, "every seed drew the same change points")
    }

    @Test func depthOneHasNoChangePoints() {
        for seed in UInt64(1)...10 {
            #expect(PCTStrategy(seed: seed, depth: 1, steps: 100).changePoints.isEmpty)
            #expect(PCTStrategy(seed: seed, depth: 0, steps: 100).changePoints.isEmpty)
        }
    }

    @Test func depthDHasDMinusOneChangePointsWithinTheSteps() {
        for seed in UInt64(1)...20 {
            for (depth, steps) in [(2, 1), (2, 150), (3, 10), (5, 4), (5, 5)] {
                let points = PCTStrategy(seed: seed, depth: depth, steps: steps).changePoints
                #expect(points.count == depth - 1, "depth \(depth), steps \(steps), seed \(seed)")
                #expect(points.allSatisfy { (1...steps).contains($0) }, "\(points.sorted()) outside 1...\(steps)")
            }
            // More change points than steps: every step is one.
            #expect(PCTStrategy(seed: seed, depth: 10, steps: 3).changePoints == [1, 2, 3])
        }
    }

    @Test func theHighestPriorityWaitingProcessGoes() {
        for seed in UInt64(1)...10 {
            let pct = PCTStrategy(seed: seed, depth: 1, steps: 10)
            let all = choices([0, 1, 2, 3])
            let chosen = pct.choose(all, step: 1, last: nil)
            #expect(pct.priorities.count == 4)
            #expect(all[chosen].process == pct.priorities[0])
            // Among fewer, the highest of those.
            let some = choices([0, 1, 2, 3].filter { $0 != pct.priorities[0] })
            #expect(some[pct.choose(some, step: 2, last: nil)].process == pct.priorities[1])
            // With no change point the choice does not change from step to step.
            #expect(draws(pct, [0, 1, 2, 3], steps: 3...20).allSatisfy { $0 == pct.priorities[0] })
        }
    }

    @Test func aProcessFirstSeenLaterGetsAPlaceAmongThePriorities() {
        let pct = PCTStrategy(seed: 3, depth: 1, steps: 10)
        _ = pct.choose(choices([0, 1]), step: 1, last: nil)
        _ = pct.choose(choices([2]), step: 2, last: nil)
        #expect(pct.priorities.sorted() == [0, 1, 2])
    }

    @Test func atAChangePointTheChosenProcessIsDemoted() throws {
        for seed in UInt64(1)...10 {
            let pct = PCTStrategy(seed: seed, depth: 2, steps: 10)
            let change = try #require(pct.changePoints.first)
            let before = change == 1 ? 2 : 1
            let all = choices([0, 1, 2])
            _ = pct.choose(all, step: before, last: nil)
            let (top, second) = (pct.priorities[0], pct.priorities[1])
            let chosen = all[pct.choose(all, step: change, last: nil)].process
            #expect(pct.priorities.last == top, "seed \(seed): the process about to go drops below every other")
            #expect(chosen == second)
            // The same step decided again (a timer came due first) is not demoted twice.
            #expect(all[pct.choose(all, step: change, last: nil)].process == second)
            #expect(pct.priorities.last == top)
        }
    }

    @Test func aProcessThatYieldsIsDemoted() {
        let pct = PCTStrategy(seed: 5, depth: 1, steps: 10)
        let all = choices([0, 1, 2])
        let top = all[pct.choose(all, step: 1, last: nil)].process
        pct.yielded(top)
        #expect(pct.priorities.last == top)
        #expect(all[pct.choose(all, step: 2, last: nil)].process != top)
        // A process never seen is not given a priority by yielding.
        pct.yielded(9)
        #expect(!pct.priorities.contains(9))
    }
}

@Suite struct RandomStrategyTests {
    @Test func theSameSeedGivesTheSameSequence() {
        let one = draws(RandomStrategy(seed: 7), [0, 1, 2, 3, 4], steps: 1...200)
        #expect(one == draws(RandomStrategy(seed: 7), [0, 1, 2, 3, 4], steps: 1...200))
        #expect(one != draws(RandomStrategy(seed: 8), [0, 1, 2, 3, 4], steps: 1...200))
        #expect(Set(one) == [0, 1, 2, 3, 4], "every waiting process is drawn sometimes")
    }

    @Test func aLoneChoiceIsTaken() {
        let random = RandomStrategy(seed: 1)
        for step in 1...20 { #expect(random.choose(choices([4]), step: step, last: nil) == 0) }
    }

    @Test func itDrawsFromAStreamApartFromTheJitter() {
        // The run draws start jitter from SplitMix64(seed); the strategy must not replay those draws.
        var jitter = SplitMix64(seed: 7)
        let jitterDraws = (1...50).map { _ in Int(jitter.upTo(4)) }
        #expect(draws(RandomStrategy(seed: 7), [0, 1, 2, 3, 4], steps: 1...50) != jitterDraws)
    }
}

@Suite struct ReplayStrategyTests {
    @Test func itFollowsTheDeviationsAndTakesTheDefaultElsewhere() throws {
        let replay = ReplayStrategy(deviations: [Deviation(step: 2, process: "p2")])
        let all = choices([0, 1, 2])
        #expect(try replay.choose(all, step: 1, last: 1) == 1, "the last granted goes on")
        #expect(try replay.choose(all, step: 2, last: 1) == 2)
        #expect(try replay.choose(all, step: 3, last: nil) == 0)
    }

    @Test func aStrictReplayNamesTheStepAndProcessThatDoNotFit() {
        let replay = ReplayStrategy(deviations: [Deviation(step: 3, process: "installer")])
        do {
            _ = try replay.choose(choices([0, 1]), step: 3, last: 0)
            Issue.record("no mismatch")
        } catch {
            #expect(error.description == "at step 3 the schedule grants installer, which is not waiting (waiting: p0, p1)")
        }
    }

    @Test func anAnchoredReplayGrantsRightAfterItsAnchorWhateverTheStep() {
        // "Right after p0's 2nd grant, p2's 1st": it lands at step 2 here, not at a fixed step.
        let anchored = AnchoredReplayStrategy(deviations: [
            AnchoredDeviation(after: GrantRef(process: "p0", ordinal: 2), grant: GrantRef(process: "p2", ordinal: 1))
        ])
        let all = choices([0, 1, 2])
        #expect(anchored.choose(all, step: 1, last: nil) == 0)
        #expect(anchored.choose(choices([0, 1]), step: 2, last: 0) == 0, "p0's 1st grant was not the anchor")
        #expect(anchored.choose(all, step: 3, last: 0) == 2, "after p0's 2nd grant, p2 goes")
        #expect(anchored.choose(all, step: 4, last: 2) == 2, "then the default: the last granted goes on")
    }

    @Test func anAnchoredDeviationThatNoLongerFitsIsSkipped() {
        // The process is not waiting after the anchor, or waits for another of its grants.
        let ghost = AnchoredReplayStrategy(deviations: [AnchoredDeviation(after: nil, grant: GrantRef(process: "ghost", ordinal: 1))])
        let offered = choices([0, 1, 2], asleep: [0])
        #expect(ghost.choose(offered, step: 1, last: nil) == defaultChoice(offered, last: nil))
        let second = AnchoredReplayStrategy(deviations: [AnchoredDeviation(after: nil, grant: GrantRef(process: "p2", ordinal: 2))])
        #expect(second.choose(choices([0, 1, 2]), step: 1, last: nil) == 0, "p2 waits for its 1st grant, not its 2nd")
    }

    @Test func theFirstDeviationOfAStepWins() throws {
        let replay = ReplayStrategy(deviations: [Deviation(step: 1, process: "p1"), Deviation(step: 1, process: "p2")])
        #expect(try replay.choose(choices([0, 1, 2]), step: 1, last: nil) == 1)
    }
}

@Suite struct DefaultChoiceTests {
    @Test func theLastGrantedGoesOnIfItIsAwake() {
        #expect(defaultChoice(choices([0, 1, 2]), last: 2) == 2)
        #expect(defaultChoice(choices([3, 5, 8]), last: 5) == 1, "an index into the choices, not a process")
    }

    @Test func otherwiseTheFirstAwakeInProcessOrder() {
        #expect(defaultChoice(choices([0, 1, 2]), last: nil) == 0)
        #expect(defaultChoice(choices([0, 1, 2]), last: 7) == 0, "the last granted is not waiting")
        #expect(defaultChoice(choices([0, 1, 2], asleep: [2]), last: 2) == 0, "the last granted sleeps")
        #expect(defaultChoice(choices([0, 1, 2], asleep: [0, 2]), last: 2) == 1)
    }

    @Test func whenAllSleepTheFirst() {
        #expect(defaultChoice(choices([4, 5], asleep: [4, 5]), last: 5) == 0)
    }
}

@Suite struct RunScheduleTests {
    static let grants = [
        Grant(process: "a", point: "start"),
        Grant(process: "b", point: "start", isDeviation: true, isPreemption: true),
        Grant(process: "b", point: "replace"),
        Grant(process: "a", point: "load", isDeviation: true),
        Grant(process: "a", point: "sleep", isPreemption: true),
    ]

    @Test func anchoredDeviationsNameTheGrantBeforeAndTheProcessesOwnOrdinal() {
        #expect(
            RunSchedule(strategy: "random", grants: Self.grants).anchoredDeviations == [
                AnchoredDeviation(after: GrantRef(process: "a", ordinal: 1), grant: GrantRef(process: "b", ordinal: 1)),
                AnchoredDeviation(after: GrantRef(process: "b", ordinal: 2), grant: GrantRef(process: "a", ordinal: 2)),
            ])
        var first = Self.grants
        first[0].isDeviation = true
        #expect(RunSchedule(strategy: "random", grants: first).anchoredDeviations.first?.after == nil)
    }

    @Test func deviationsAreTheGrantsThatDepartedFromTheDefault() {
        let schedule = RunSchedule(strategy: "random", grants: Self.grants)
        #expect(schedule.deviations == [Deviation(step: 2, process: "b"), Deviation(step: 4, process: "a")])
        #expect(RunSchedule(strategy: "random").deviations.isEmpty)
    }

    @Test func preemptionsCountTheSwitchesAway() {
        #expect(RunSchedule(strategy: "random", grants: Self.grants).preemptions == 2)
        #expect(RunSchedule(strategy: "random").preemptions == 0)
    }

    @Test func theDigestIsStableForTheSameGrantsAndDiffersWhenTheOrderDoes() {
        let one = RunSchedule(strategy: "random", grants: Self.grants)
        #expect(one.digest == RunSchedule(strategy: "pct", depth: 2, grants: Self.grants).digest)
        // Only the granted order counts, not how it was decided.
        let plain = Self.grants.map { Grant(process: $0.process, point: $0.point) }
        #expect(one.digest == RunSchedule(strategy: "replay", grants: plain).digest)
        var swapped = Self.grants
        swapped.swapAt(0, 1)
        #expect(one.digest != RunSchedule(strategy: "random", grants: swapped).digest)
        var otherPoint = Self.grants
        otherPoint[2].point = "load"
        #expect(one.digest != RunSchedule(strategy: "random", grants: otherPoint).digest)
        #expect(one.digest != RunSchedule(strategy: "random", grants: Array(Self.grants.dropLast())).digest)
    }

    @Test func theDigestIsSixteenHexDigitsOfFNV1a() {
        // FNV-1a's offset basis: no grants hash nothing.
        #expect(RunSchedule(strategy: "random").digest == "cbf29ce484222325")
        let digest = RunSchedule(strategy: "random", grants: Self.grants).digest
        #expect(digest.count == 16)
        #expect(digest.allSatisfy { "0123456789abcdef".contains($0) })
        // "a start\n", hashed by hand.
        func hex(_ n: UInt64) -> String {
            let digits = String(n, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "a start\n".utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        #expect(RunSchedule(strategy: "random", grants: [Grant(process: "a", point: "start")]).digest == hex(hash))
    }
}
