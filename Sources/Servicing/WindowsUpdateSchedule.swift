import WindowsModel

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
