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

/// A duration parameter of a worker role (`200ms`, `1.5s`), parsed without Foundation: a
/// non-negative decimal number directly followed by `ns`, `us`, `ms`, `s` or `m`, as rig files
/// write durations.
public enum RoleDuration {
    /// The units and their length in nanoseconds.
    static let units: [(name: String, nanoseconds: UInt64)] = [
        ("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
    ]

    /// Nanoseconds, or a message saying what is wrong with `text`.
    public static func parse(_ text: String) -> Result<UInt64, MachineError> {
        let number = text.prefix { $0 == "." || ($0.isASCII && $0.isNumber) }
        let unitText = text.dropFirst(number.count)
        guard let unit = units.first(where: { $0.name == unitText }) else {
            return .failure(MachineError("duration '\(text)': write a number and a unit (ns, us, ms, s, m), e.g. 200ms"))
        }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard !number.isEmpty, parts.count <= 2, !(parts[0].isEmpty && (parts.count == 1 || parts[1].isEmpty)) else {
            return .failure(MachineError("duration '\(text)': '\(number)' is not a number"))
        }
        let tooLong = MachineError("duration '\(text)' is too long")
        var total: UInt64 = 0
        if !parts[0].isEmpty {
            guard let whole = UInt64(parts[0]) else { return .failure(tooLong) }
            let (product, overflow) = whole.multipliedReportingOverflow(by: unit.nanoseconds)
            guard !overflow else { return .failure(tooLong) }
            total = product
        }
        if parts.count == 2 && !parts[1].isEmpty {
            // The fraction must come to whole nanoseconds.
            var scale = unit.nanoseconds
            for digit in parts[1] {
                let value = UInt64(digit.wholeNumberValue!)
                if value == 0 && scale < 10 { continue }
                guard scale % 10 == 0 else {
                    return .failure(MachineError("duration '\(text)' is finer than a nanosecond"))
                }
                scale /= 10
                let (sum, overflow) = total.addingReportingOverflow(value * scale)
                guard !overflow else { return .failure(tooLong) }
                total = sum
            }
        }
        return .success(total)
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
