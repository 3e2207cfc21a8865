import Testing

/// Keeps tests that need no process started beside them (they hold share-mode locks in the test
/// process, or write a file they then execute) apart from tests that start processes, so that
/// plain `swift test` (suites in parallel) is as sound as one suite at a time.
///
/// Why: starting a process (Foundation's `Process`, `ChildProcess`'s posix_spawn) makes a child of
/// the test process; until the child execs, it holds a copy of every descriptor the test process
/// has open, so the open file descriptions of a handle another test has just closed live on in it
/// — and with them their OFD share-mode locks and `flock` mutexes. A test that closes a handle and
/// opens the file again then meets its own ghost (ERROR_SHARING_VIOLATION). Workers never fork while holding
/// handles; only the test process mixes the two.
///
/// `.forkFree` tests run alone; `.forks` tests run beside each other but
/// never beside a `.forkFree` one. Tests with neither trait run freely.
public struct ForkSafety: SuiteTrait, TestTrait, TestScoping {
    /// Whether the test must run with no process being started beside it.
    public let exclusive: Bool

    public var isRecursive: Bool { true }

    /// Each test case takes the gate for itself (not the suite as a whole).
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? { testCase == nil ? nil : self }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await ForkGate.shared.enter(exclusive: exclusive)
        do {
            try await function()
        } catch {
            await ForkGate.shared.leave(exclusive: exclusive)
            throw error
        }
        await ForkGate.shared.leave(exclusive: exclusive)
    }
}

extension Trait where Self == ForkSafety {
    /// The tests open WinFS handles, load images or take the install mutex in the test process,
    /// or execute a file they just wrote: no other test may start a process meanwhile.
    public static var forkFree: Self { ForkSafety(exclusive: true) }
    /// The tests start processes (and need none of what `forkFree` protects).
    public static var forks: Self { ForkSafety(exclusive: false) }
}

/// A first-come, first-served readers–writer gate: many `forks` tests at once, or one `forkFree`
/// test alone.
actor ForkGate {
    static let shared = ForkGate()
    private var sharedHolders = 0
    private var exclusiveHeld = false
    private var waiting: [(exclusive: Bool, resume: CheckedContinuation<Void, Never>)] = []

    func enter(exclusive: Bool) async {
        if waiting.isEmpty && canEnter(exclusive: exclusive) {
            take(exclusive: exclusive)
            return
        }
        await withCheckedContinuation { waiting.append((exclusive, $0)) }
    }

    func leave(exclusive: Bool) {
        if exclusive { exclusiveHeld = false } else { sharedHolders -= 1 }
        while let next = waiting.first, canEnter(exclusive: next.exclusive) {
            waiting.removeFirst()
            take(exclusive: next.exclusive)
            next.resume.resume()
        }
    }

    private func canEnter(exclusive: Bool) -> Bool {
        exclusive ? !exclusiveHeld && sharedHolders == 0 : !exclusiveHeld
    }

    private func take(exclusive: Bool) {
        if exclusive { exclusiveHeld = true } else { sharedHolders += 1 }
    }
}
