import CLibUV

/// The CPUs the calling thread may run on (sched_getaffinity / sched_setaffinity). A process the
/// thread starts afterwards (`ChildProcess`) inherits them, and so do the processes it starts.
///
/// The coordinator of a controlled run uses this to keep itself and its workers on one CPU: only
/// one of them runs at a time (each grant waits for the operation it allows), so a second CPU
/// adds no parallelism, only a cross-CPU wake-up at every hand-over — which on a virtual
/// machine, whose idle CPUs halt, costs more than the hand-over itself.
public enum CPUAffinity {
    /// 1,024 CPUs, as glibc's cpu_set_t.
    private static let words = 16

    /// The CPUs the calling thread may run on, in increasing order; nil when they cannot be read.
    public static func current() -> [Int]? {
        var bits = [UInt64](repeating: 0, count: words)
        guard patchrig_thread_cpus(&bits, Int32(words)) > 0 else { return nil }
        var cpus: [Int] = []
        for (index, word) in bits.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { cpus.append(index * 64 + bit) }
        }
        return cpus
    }

    /// The CPU the calling thread runs on at this moment; nil when it cannot be told.
    public static func running() -> Int? {
        let cpu = patchrig_running_cpu()
        return cpu >= 0 ? Int(cpu) : nil
    }

    /// Restricts the calling thread to `cpus` (numbers below 1,024); false when the kernel refuses
    /// (none of them is allowed, say), and then nothing changes.
    @discardableResult
    public static func set(_ cpus: [Int]) -> Bool {
        var bits = [UInt64](repeating: 0, count: words)
        for cpu in cpus where cpu >= 0 && cpu < words * 64 { bits[cpu / 64] |= 1 << UInt64(cpu % 64) }
        return patchrig_set_thread_cpus(bits, Int32(words)) == 0
    }
}
