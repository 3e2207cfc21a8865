import Foundation
import Synchronization
import TestSupport
import Testing
import WinFS
import WindowsModel

/// The gate makes check-then-take atomic: threads racing for an exclusive handle on one file
/// (each open is its own open file description) never hold it two at a time.
@Suite(.serialized, .forkFree) struct GateTests {
    @Test func exclusiveHandlesNeverOverlap() throws {
        let s = try ScratchMachine()
        let path = s.win("gate.dat")
        try s.root.writeFile(path, [1])
        let root = s.root
        let holders = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let successes = Atomic<Int>(0)
        let threads = 4
        let done = DispatchGroup()
        for _ in 0..<threads {
            done.enter()
            Thread {
                for _ in 0..<5_000 {
                    guard let file = try? root.open(path, access: [.read, .write], share: .none) else { continue }
                    if holders.add(1, ordering: .sequentiallyConsistent).newValue != 1 {
                        overlaps.add(1, ordering: .relaxed)
                    }
                    successes.add(1, ordering: .relaxed)
                    holders.subtract(1, ordering: .sequentiallyConsistent)
                    file.close()
                }
                done.leave()
            }.start()
        }
        done.wait()
        #expect(overlaps.load(ordering: .relaxed) == 0)
        #expect(successes.load(ordering: .relaxed) > 0)
    }
}
