/// Why a duration could not be read: a message for the user, e.g. `'10' needs a unit (ns, us,
/// ms, s, m), e.g. 10ms`.
public struct DurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The one reader of durations, for rig files (`RigDuration.parse`) and worker parameters alike,
/// without Foundation (`rig-worker` uses it): `<number><unit>`, a non-negative decimal number
/// (`1`, `1.5`, `0.25`) directly followed by `ns`, `us`, `ms`, `s` or `m`.
public enum DurationText {
    /// The units a duration may be written in, and their length in nanoseconds.
    public static let units: [(name: String, nanoseconds: UInt64)] = [
        ("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
    ]

    /// Nanoseconds, or why `text` is not a duration. A bare number is refused (its unit would be a
    /// guess) unless `bareNanoseconds`, which worker parameters allow (a coordinator may pass a
    /// normalized duration); so is a value finer than a nanosecond or beyond 2^64 ns.
    public static func parse(_ text: String, bareNanoseconds: Bool = false) -> Result<UInt64, DurationError> {
        if bareNanoseconds, let ns = UInt64(text) { return .success(ns) }
        let unitList = "ns, us, ms, s, m"
        if text.isEmpty { return .failure(DurationError("a duration cannot be empty; write e.g. 250ms or 1.5s")) }
        if text.hasPrefix("-") {
            return .failure(DurationError("a duration cannot be negative: '\(text)'"))
        }
        let numberPart = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unitPart = String(text.dropFirst(numberPart.count))
        if numberPart.isEmpty {
            return .failure(DurationError("'\(text)' is not a duration; write a number and a unit (\(unitList)), e.g. 250ms"))
        }
        guard let unit = units.first(where: { $0.name == unitPart }) else {
            if unitPart.isEmpty {
                return .failure(DurationError("'\(text)' needs a unit (\(unitList)), e.g. \(text)ms"))
            }
            return .failure(DurationError("'\(text)' has an unknown unit '\(unitPart)' (units: \(unitList))"))
        }
        let pieces = numberPart.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, !pieces[0].isEmpty, pieces.count == 1 || !pieces[1].isEmpty else {
            return .failure(DurationError("'\(text)' is not a number followed by a unit, e.g. 1.5s"))
        }
        let tooLong = DurationError("'\(text)' is too long (at most about 584 years)")
        guard let whole = UInt64(pieces[0]) else { return .failure(tooLong) }
        var (total, overflow) = whole.multipliedReportingOverflow(by: unit.nanoseconds)
        if overflow { return .failure(tooLong) }
        if pieces.count == 2 {
            // The fraction, exactly: digits × unit / 10^digits must be a whole number of ns.
            var fraction = Array(pieces[1])
            while fraction.last == "0" { fraction.removeLast() }
            if fraction.count > 18 {
                return .failure(DurationError("'\(text)' is finer than a nanosecond"))
            }
            if !fraction.isEmpty {
                let digits = UInt64(String(fraction))!
                var scale: UInt64 = 1
                for _ in fraction { scale *= 10 }
                // digits < scale ≤ 10^18 and unit ≤ 6×10^10: compute with 128-bit arithmetic.
                let product = unit.nanoseconds.multipliedFullWidth(by: digits)
                let (quotient, remainder) = scale.dividingFullWidth(product)
                if remainder != 0 {
                    return .failure(DurationError("'\(text)' is finer than a nanosecond"))
                }
                (total, overflow) = total.addingReportingOverflow(quotient)
                if overflow { return .failure(tooLong) }
            }
        }
        return .success(total)
    }
}
