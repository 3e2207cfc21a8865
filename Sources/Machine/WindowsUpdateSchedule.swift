/// SplitMix64: a small generator whose whole sequence follows from its seed, so a seed given to
/// `rig run --seed` replays the same start jitter (coordinator) and the same delays (workers).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A value drawn uniformly from `0...bound`.
    public mutating func upTo(_ bound: UInt64) -> UInt64 {
        bound == 0 ? 0 : UInt64.random(in: 0...bound, using: &self)
    }
}

/// When Windows Update starts its install after boot: after `delay` plus a jitter drawn
/// uniformly from `0...jitter` by a generator seeded with the run's seed, so the same seed
/// replays the same start and another seed moves it (which is how a stress run explores the race
/// against the post-reboot ngen pass).
public enum WindowsUpdateSchedule {
    /// The jitter drawn for `seed`: uniformly from `0...jitterNs`.
    public static func jitter(_ jitterNs: UInt64, seed: UInt64) -> UInt64 {
        var generator = SplitMix64(seed: seed)
        return generator.upTo(jitterNs)
    }

    /// How often Automatic Updates tries an install that found another one running (1618).
    public static let maxAttempts = 600
    /// How long it waits before trying again.
    public static let retryIntervalNs: UInt64 = 50_000_000

    /// `delayNs` plus the jitter for `seed` (saturating).
    public static func startDelay(delayNs: UInt64, jitterNs: UInt64, seed: UInt64) -> UInt64 {
        let (sum, overflow) = delayNs.addingReportingOverflow(jitter(jitterNs, seed: seed))
        return overflow ? .max : sum
    }
}
