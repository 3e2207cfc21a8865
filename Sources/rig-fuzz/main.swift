// rig-fuzz: runs generated inputs in-process against the rig loader (rigs, patches, machine
// images) and the frame decoder, and a sample of the rigs through the built `rig run`.
//
//   rig-fuzz [--inputs N] [--seed S] [--rigs DIR] [--failures DIR] [--rig PATH]
//            [--sample-every K] [--time-limit SECONDS] [--only INDEX]
//   rig-fuzz --replay rig|patch|image|frames FILE [--directory SUBDIR]
//
// Each input follows from the seed and its index, so `--seed S --only I` makes input I again.
// A failing input is written to the failures directory and named by seed and index; a crash
// (signal) or a hang (an input running past the time limit) writes it too before the process
// ends. Exit status: 0 when nothing failed, 1 when an input failed, 2 for bad usage.
import Foundation
import RigFuzz
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

struct Options {
    var inputs: UInt64 = 100_000
    var seed: UInt64 = 1
    var rigs = "Rigs"
    var failures = "fuzz-failures"
    var rig: String?
    var sampleEvery: UInt64 = 1000
    var timeLimit = 10.0
    var only: UInt64?
    var replay: (FuzzKind, String)?
    var directory = ""
}

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("rig-fuzz: \(message)\n".utf8))
    exit(2)
}

func parseOptions() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    func value(_ name: String) -> String {
        guard !args.isEmpty else { usage("\(name) needs a value") }
        return args.removeFirst()
    }
    func number(_ name: String) -> UInt64 {
        let text = value(name)
        guard let n = UInt64(text.filter { $0 != "_" }) else { usage("\(name) needs a whole number, not '\(text)'") }
        return n
    }
    while !args.isEmpty {
        let arg = args.removeFirst()
        switch arg {
        case "--inputs": o.inputs = number(arg)
        case "--seed": o.seed = number(arg)
        case "--rigs": o.rigs = value(arg)
        case "--failures": o.failures = value(arg)
        case "--rig": o.rig = value(arg)
        case "--sample-every": o.sampleEvery = max(1, number(arg))
        case "--time-limit":
            guard let t = Double(value(arg)), t > 0 else { usage("--time-limit needs seconds") }
            o.timeLimit = t
        case "--only": o.only = number(arg)
        case "--replay":
            guard let kind = FuzzKind(rawValue: value(arg)) else { usage("--replay takes rig, patch, image or frames") }
            o.replay = (kind, value(arg))
        case "--directory": o.directory = value(arg)
        case "-h", "--help":
            print(
                "usage: rig-fuzz [--inputs N] [--seed S] [--rigs DIR] [--failures DIR] [--rig PATH] [--sample-every K] [--time-limit SECONDS] [--only INDEX]"
            )
            print("       rig-fuzz --replay rig|patch|image|frames FILE [--directory SUBDIR-OF-RIGS]")
            exit(0)
        default: usage("unknown argument '\(arg)'")
        }
    }
    return o
}

// MARK: - Crash and hang reports

/// The input being run, kept where a signal handler can write it out without allocating.
nonisolated(unsafe) var currentBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
nonisolated(unsafe) var currentCapacity = 1 << 16
nonisolated(unsafe) var currentLength = 0
nonisolated(unsafe) let currentPath = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
nonisolated(unsafe) let currentNote = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
nonisolated(unsafe) var currentNoteLength = 0

/// When the running input started (monotonic ns), 0 between inputs; read by the watchdog.
let startedAt = Atomic<UInt64>(0)

func monotonicNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func copyCString(_ text: String, to buffer: UnsafeMutablePointer<CChar>) -> Int {
    let utf8 = Array(text.utf8.prefix(4095))
    for (i, b) in utf8.enumerated() { buffer[i] = CChar(bitPattern: b) }
    buffer[utf8.count] = 0
    return utf8.count
}

/// Makes `input` the one a crash or hang report writes.
func arm(_ input: FuzzInput, path: String, note: String) {
    if input.bytes.count > currentCapacity {
        currentBytes.deallocate()
        currentCapacity = input.bytes.count
        currentBytes = .allocate(capacity: currentCapacity)
    }
    input.bytes.withUnsafeBufferPointer { if let base = $0.baseAddress { currentBytes.update(from: base, count: $0.count) } }
    currentLength = input.bytes.count
    _ = copyCString(path, to: currentPath)
    currentNoteLength = copyCString(note, to: currentNote)
    startedAt.store(monotonicNs(), ordering: .sequentiallyConsistent)
}

func disarm() { startedAt.store(0, ordering: .sequentiallyConsistent) }

func writeCurrentInput() {
    let fd = open(currentPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd >= 0 {
        _ = write(fd, currentBytes, currentLength)
        close(fd)
    }
}

func crashHandler(_ sig: Int32) {
    writeCurrentInput()
    let prefix = "\nrig-fuzz: CRASH (signal)\n"
    _ = prefix.withCString { write(2, $0, strlen($0)) }
    _ = write(2, currentNote, currentNoteLength)
    signal(sig, SIG_DFL)
    raise(sig)
}

func installCrashHandlers() {
    // An own stack, so a stack overflow can still be reported.
    let size = 1 << 16
    var stack = stack_t()
    stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    stack.ss_size = size
    sigaltstack(&stack, nil)
    for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = crashHandler
        action.sa_flags = Int32(SA_ONSTACK)
        sigaction(sig, &action, nil)
    }
}

func startWatchdog(limit: Double) {
    let limitNs = UInt64(limit * 1e9)
    let thread = Thread {
        while true {
            Thread.sleep(forTimeInterval: 0.05)
            let start = startedAt.load(ordering: .sequentiallyConsistent)
            if start != 0, monotonicNs() &- start > limitNs {
                writeCurrentInput()
                FileHandle.standardError.write(Data("\nrig-fuzz: HANG (over \(limit)s)\n".utf8))
                _ = write(2, currentNote, currentNoteLength)
                _exit(3)
            }
        }
    }
    thread.start()
}

// MARK: - rig run on a sample

enum SampleResult {
    case ran, skipped
    case failed(String)
}

/// Runs `rig run FILE` on an input the loader refused: it must exit with 2 and say where.
func runRig(_ rig: String, file: String, workDirectory: String, timeLimit: Double) -> SampleResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: rig)
    process.arguments = ["run", file]
    process.currentDirectoryURL = URL(fileURLWithPath: workDirectory)
    let errPath = workDirectory + "/rig-run.stderr"
    FileManager.default.createFile(atPath: errPath, contents: nil)
    guard let err = FileHandle(forWritingAtPath: errPath) else { return .failed("cannot write \(errPath)") }
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    do { try process.run() } catch { return .failed("cannot start \(rig): \(error)") }
    let deadline = Date().addingTimeInterval(timeLimit * 3)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
        process.interrupt()
        process.waitUntilExit()
        return .failed("rig run did not finish within \(timeLimit * 3)s")
    }
    try? err.close()
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    if process.terminationReason == .uncaughtSignal {
        return .failed("rig run ended by signal \(process.terminationStatus): \(stderr.suffix(2000))")
    }
    let status = process.terminationStatus
    guard status == 2 else {
        return .failed("rig run exited with \(status) for a rig the loader refuses (want 2): \(stderr.suffix(2000))")
    }
    guard stderr.contains(/:\d+:\d+: error:/) else {
        return .failed("rig run exited with 2 without a file:line:column: \(stderr.suffix(2000))")
    }
    return .ran
}

// MARK: - Main

let options = parseOptions()
let work = NSTemporaryDirectory() + "rig-fuzz-\(getpid())"
let target: FuzzTarget
do {
    target = try FuzzTarget(rigsDirectory: options.rigs, workDirectory: work)
} catch {
    usage("\(error)")
}
func finish(_ status: Int32) -> Never {
    try? FileManager.default.removeItem(atPath: work)
    exit(status)
}
try? FileManager.default.createDirectory(atPath: options.failures, withIntermediateDirectories: true)
let failuresDirectory = URL(fileURLWithPath: options.failures).standardizedFileURL.path
installCrashHandlers()
startWatchdog(limit: options.timeLimit)

if let (kind, file) = options.replay {
    guard let data = FileManager.default.contents(atPath: file) else { usage("cannot read \(file)") }
    let input = target.input(kind: kind, bytes: Array(data), directory: options.directory)
    arm(input, path: failuresDirectory + "/replayed.\(kind.fileExtension)", note: "replaying \(file)\n")
    let outcome = target.run(input)
    disarm()
    print("\(kind.rawValue) \(file): \(outcome)")
    finish(outcome == .accepted || outcome == .rejected ? 0 : 1)
}

struct Tally {
    var inputs = 0, accepted = 0, rejected = 0, failed = 0, slowestNs: UInt64 = 0, slowestIndex: UInt64 = 0, totalNs: UInt64 = 0
}
var tallies: [FuzzKind: Tally] = [:]
var samplesRun = 0
var samplesSkipped = 0
var samplesFailed = 0
var failures: [String] = []
let began = monotonicNs()
let indices: [UInt64] = options.only.map { [$0] } ?? Array(0..<options.inputs)

@MainActor func report(_ input: FuzzInput, _ reason: String) {
    let name = "seed-\(options.seed)-input-\(input.index)-\(input.kind.rawValue).\(input.kind.fileExtension)"
    let path = failuresDirectory + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(input.bytes))
    let line = """
        FAIL \(input.kind.rawValue) input \(input.index) (seed \(options.seed)): \(reason)
          mutations: \(input.mutations.joined(separator: "; "))
          input: \(path)
          reproduce: rig-fuzz --seed \(options.seed) --only \(input.index)
        """
    print(line)
    failures.append(line)
}

for index in indices {
    // A crash while generating names the input too (then there are no bytes to write).
    currentLength = 0
    currentNoteLength = copyCString("  generating input \(index) (seed \(options.seed))\n", to: currentNote)
    let input = target.input(seed: options.seed, index: index)
    let crashName = "seed-\(options.seed)-input-\(index)-\(input.kind.rawValue).\(input.kind.fileExtension)"
    arm(
        input, path: failuresDirectory + "/" + crashName,
        note:
            "  \(input.kind.rawValue) input \(index) (seed \(options.seed)), written to \(failuresDirectory)/\(crashName)\n  mutations: \(input.mutations.joined(separator: "; "))\n  reproduce: rig-fuzz --seed \(options.seed) --only \(index)\n"
    )
    let inputBegan = monotonicNs()
    let outcome = target.run(input)
    let inputNs = monotonicNs() - inputBegan
    disarm()
    var tally = tallies[input.kind, default: Tally()]
    tally.inputs += 1
    tally.totalNs += inputNs
    if inputNs > tally.slowestNs { (tally.slowestNs, tally.slowestIndex) = (inputNs, index) }
    switch outcome {
    case .accepted: tally.accepted += 1
    case .rejected: tally.rejected += 1
    case .failed(let reason):
        tally.failed += 1
        report(input, reason)
    }
    tallies[input.kind] = tally
    if let rig = options.rig, input.kind == .rig, index % options.sampleEvery < 2 {
        if outcome == .rejected {
            switch runRig(rig, file: target.path(of: input), workDirectory: work, timeLimit: options.timeLimit) {
            case .ran: samplesRun += 1
            case .skipped: samplesSkipped += 1
            case .failed(let reason):
                samplesFailed += 1
                report(input, reason)
            }
        } else {
            samplesSkipped += 1  // a rig that loads would really run
        }
    }
    if options.only == nil, (index + 1) % 10_000 == 0 {
        let seconds = Double(monotonicNs() - began) / 1e9
        FileHandle.standardError.write(
            Data("rig-fuzz: \(index + 1) inputs, \(failures.count) failures, \(String(format: "%.1f", seconds))s\n".utf8))
    }
}

let seconds = Double(monotonicNs() - began) / 1e9
let total = tallies.values.reduce(0) { $0 + $1.inputs }
print(
    "rig-fuzz: seed \(options.seed), \(total) inputs in \(String(format: "%.1f", seconds))s (\(Int(Double(total) / max(seconds, 1e-9))) inputs/s)"
)
print("  kind      inputs  accepted  rejected  failed   time  slowest")
for kind in FuzzKind.allCases {
    let t = tallies[kind, default: Tally()]
    print(
        "  "
            + [
                kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0),
                String(t.inputs).leftPad(8), String(t.accepted).leftPad(9), String(t.rejected).leftPad(9), String(t.failed).leftPad(7),
                String(format: "%5.1fs", Double(t.totalNs) / 1e9),
                t.inputs == 0 ? "" : "  \(t.slowestNs / 1_000_000)ms (input \(t.slowestIndex))",
            ].joined(separator: " "))
}
if options.rig != nil {
    print(
        "  rig run on sampled rigs: \(samplesRun) refused with exit 2 and a position, \(samplesSkipped) skipped (they load, so they would run), \(samplesFailed) failed"
    )
}
print("  failures: \(failures.count)" + (failures.isEmpty ? "" : " (inputs in \(failuresDirectory))"))
finish(failures.isEmpty ? 0 : 1)

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
