import Machine
import Servicing
import Testing
import WindowsModel

/// Durations of role parameters (the rig files' syntax, `DurationText`, plus a bare number of
/// nanoseconds) and Windows Update's seeded start delay.
@Suite struct WindowsUpdateScheduleTests {
    @Test func durationsInEveryUnit() {
        let cases: [(String, UInt64)] = [
            ("200ms", 200_000_000), ("2s", 2_000_000_000), ("1.5s", 1_500_000_000), ("0.25s", 250_000_000),
            ("3us", 3_000), ("7ns", 7), ("1m", 60_000_000_000), ("0s", 0), ("1.0ns", 1), ("0.001ms", 1_000),
            ("200", 200),
        ]
        for (text, ns) in cases {
            #expect((try? DurationText.parse(text, bareNanoseconds: true).get()) == ns, "\(text)")
        }
    }

    @Test func badDurationsAreRefusedWithAReason() {
        for (text, says) in [
            ("ms", "is not a duration; write a number and a unit"), ("1.5ns", "finer than a nanosecond"),
            ("-1s", "cannot be negative"), ("1.2.3s", "is not a number"), ("2 s", "unknown unit ' s'"),
            ("99999999999999999999s", "too long"), ("", "cannot be empty"), (".25s", "is not a number"),
        ] {
            switch DurationText.parse(text, bareNanoseconds: true) {
            case .success(let ns): Issue.record("'\(text)' parsed as \(ns) ns")
            case .failure(let error): #expect(error.message.contains(says), "\(text): \(error)")
            }
        }
    }

    @Test func theSameSeedGivesTheSameStartAndSeedsSpreadOverTheWholeJitter() {
        let jitter: UInt64 = 1_000_000_000
        #expect(WindowsUpdateSchedule.jitter(jitter, seed: 42) == WindowsUpdateSchedule.jitter(jitter, seed: 42))
        let draws = (0..<1000 as Range<UInt64>).map { WindowsUpdateSchedule.jitter(jitter, seed: $0) }
        #expect(draws.allSatisfy { $0 <= jitter })
        // Uniform over 0...jitter: every tenth of the range is hit by some seed.
        let tenths = Set(draws.map { min($0 / (jitter / 10), 9) })
        #expect(tenths.count == 10)
        #expect(Set(draws).count > 990)
    }

    @Test func theStartIsTheDelayPlusTheSeedsJitter() {
        for seed: UInt64 in [0, 1, 7, .max] {
            let j = WindowsUpdateSchedule.jitter(500, seed: seed)
            #expect(WindowsUpdateSchedule.startDelay(delayNs: 2_000, jitterNs: 500, seed: seed) == 2_000 + j)
            #expect(WindowsUpdateSchedule.startDelay(delayNs: 2_000, jitterNs: 0, seed: seed) == 2_000)
        }
        #expect(WindowsUpdateSchedule.startDelay(delayNs: .max, jitterNs: .max, seed: 3) == .max)
    }

    @Test func theGeneratorIsSplitMix64() {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }
}
