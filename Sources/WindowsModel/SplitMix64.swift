/// SplitMix64: a small generator whose whole sequence follows from its seed, so a seed given to
/// `rig run --seed` replays the same start jitter (coordinator) and the same delays (workers).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }
    /// What the state advances by at each step (the golden ratio in 64 bits).
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15
    /// The output for a state: output number k from seed s is `mix(s &+ k &* increment)`, so any
    /// one can be computed without the ones before it.
    @inline(__always) public static func mix(_ state: UInt64) -> UInt64 {
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
