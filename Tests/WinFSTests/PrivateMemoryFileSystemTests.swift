import Foundation
import Testing
import WinFS

/// The campaign's own tmpfs refuses a process with more than one thread (a mount namespace is
/// per thread: the others would keep the host's view) and changes nothing then. The mount itself
/// is tested end to end, in a `rig stress` (StressTests).
struct PrivateMemoryFileSystemTests {
    @Test func aProcessWithThreadsIsRefusedAndKeepsItsView() throws {
        let before = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        // The test runner has threads of its own; make sure of one more.
        let thread = Thread { sleep(2) }
        thread.start()
        let refusal = PrivateMemoryFileSystem.mount(over: "/dev/shm")
        #expect(refusal?.hasPrefix("a check that the process has one thread") == true, "\(refusal ?? "mounted")")
        #expect(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) == before)
    }
}
