import WindowsModel

/// The typed model of a rig file (`Rigs/*.yaml`). `Rigs/README.md` is the format reference.
///
/// A rig is validated completely before anything is spawned: every problem is a `RigError`
/// with the file, line and column it comes from. The model needs no libuv and no processes.

/// A place in a rig file, 1-based, as editors and compilers print it.
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    public var description: String { "\(file):\(line):\(column)" }
}

/// A bad rig: what is wrong and where. The CLI prints `description` and exits with status 2.
public struct RigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }
    public var description: String { "\(position): error: \(message)" }
}

/// Several problems found in one rig; validation reports all of them, first position first.
public struct RigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [RigError]
    public init(_ errors: [RigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A span of time in nanoseconds, written in rigs as `250ms`, `2s`, `1.5s`, `500us`, `10ns`, `1m`.
public struct RigDuration: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    public static func milliseconds(_ ms: UInt64) -> RigDuration { RigDuration(nanoseconds: ms * 1_000_000) }
    public static func seconds(_ s: UInt64) -> RigDuration { RigDuration(nanoseconds: s * 1_000_000_000) }
    public static let zero = RigDuration(nanoseconds: 0)
    public static func < (a: RigDuration, b: RigDuration) -> Bool { a.nanoseconds < b.nanoseconds }
    /// The shortest exact spelling, e.g. `250ms`, `2s`.
    public var description: String {
        let n = nanoseconds
        if n == 0 { return "0ms" }
        if n % 1_000_000_000 == 0 { return "\(n / 1_000_000_000)s" }
        if n % 1_000_000 == 0 { return "\(n / 1_000_000)ms" }
        if n % 1_000 == 0 { return "\(n / 1_000)us" }
        return "\(n)ns"
    }
}

/// A whole rig: the actors to spawn, when to start them, and what must hold afterwards.
public struct Rig: Sendable {
    /// The rig's name (`rig:` key); defaults to the file name without extension.
    public var name: String
    /// What the rig shows (`description:`), free text.
    public var description: String
    /// The seed used when `rig run` gets no `--seed` (`seed:`, default 1).
    public var seed: UInt64
    /// The time limit of the whole run (`timeout:`, default 60s).
    public var timeout: RigDuration
    /// The file the rig was read from, as given.
    public var file: String
    /// The actors in the order they are written.
    public var actors: [Actor]
    /// What must hold when the run is over.
    public var expectations: [Expectation]
    /// The simulated machine the actors work on (`machine:`); nil for a rig of scripts only.
    public var machine: MachineSpec?
    /// Faults injected into the run's processes (`faults:`), in the order written.
    public var faults: [Fault]
    /// The most events one process may report (`max_events:`); one reporting more is killed.
    public var maxEvents: Int

    public init(
        name: String, description: String = "", seed: UInt64 = 1, timeout: RigDuration = .seconds(60),
        file: String, actors: [Actor], expectations: [Expectation], machine: MachineSpec? = nil,
        faults: [Fault] = [], maxEvents: Int = RigLoader.defaultMaxEvents
    ) {
        self.machine = machine
        self.faults = faults
        self.maxEvents = maxEvents
        self.name = name
        self.description = description
        self.seed = seed
        self.timeout = timeout
        self.file = file
        self.actors = actors
        self.expectations = expectations
    }

    public func actor(named name: String) -> Actor? { actors.first { $0.name == name } }
}

/// One simulated Windows process, played by one `rig-worker`.
public struct Actor: Sendable {
    /// Unique in the rig; letters, digits, `-` and `_`, starting with a letter.
    public var name: String
    /// What the worker plays: one of `Role.known`.
    public var role: String
    /// When the coordinator spawns it.
    public var start: Start
    /// The worker is killed (and the run fails) if it has not exited this long after its start.
    public var timeout: RigDuration
    /// Role parameters (`params:`), as the role's own names and string values, in file order.
    public var parameters: [Parameter]
    /// The steps of a `script` actor (`steps:`); empty for every other role.
    public var steps: [Step]
    /// Where the actor is written (its `name:` key).
    public var position: SourcePosition

    public init(
        name: String, role: String, start: Start = .at(.zero, jitter: .zero), timeout: RigDuration = .seconds(30),
        parameters: [Parameter] = [], steps: [Step] = [], position: SourcePosition
    ) {
        self.name = name
        self.role = role
        self.start = start
        self.timeout = timeout
        self.parameters = parameters
        self.steps = steps
        self.position = position
    }
}

/// A role parameter as written in the rig: `name: value`, the value kept as text.
public struct Parameter: Sendable, Equatable {
    public var name: String
    public var value: String
    public var position: SourcePosition
    public init(name: String, value: String, position: SourcePosition) {
        self.name = name
        self.value = value
        self.position = position
    }
}

/// When an actor is spawned. Every start may carry `jitter`: a delay drawn uniformly from
/// `0...jitter` with the run's seed, so a seed replays the same start times.
public enum Start: Sendable, Equatable {
    /// `start: {at: 100ms, jitter: 20ms}` (or `start: 100ms`): that long after the run begins.
    case at(RigDuration, jitter: RigDuration)
    /// `start: {after: b.ready, delay: 10ms, jitter: 5ms}`: after actor `b` emits event `ready`.
    case afterEvent(actor: String, event: String, delay: RigDuration, jitter: RigDuration)
    /// `start: {after_exit: b, delay: 0ms}`: after actor `b`'s process has exited.
    case afterExit(actor: String, delay: RigDuration, jitter: RigDuration)

    /// The actor this start depends on, if any (used for `after` cycle detection).
    public var dependency: String? {
        switch self {
        case .at: return nil
        case .afterEvent(let actor, _, _, _), .afterExit(let actor, _, _): return actor
        }
    }
}

/// One step of a `script` actor. Later issues add file, registry and process steps.
public struct Step: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `- sleep: 20ms`
        case sleep(RigDuration)
        /// `- emit: ready` — a named event other actors can wait for or start after.
        case emit(String)
        /// `- wait: b.ready` — blocks until actor `b` has emitted `ready` (at once if it already has).
        case wait(actor: String, event: String)
        /// `- exit: 3` — the process exits with this code (a script that runs out of steps exits 0).
        case exit(Int32)
    }
    public var kind: Kind
    public var position: SourcePosition
    public init(_ kind: Kind, at position: SourcePosition) {
        self.kind = kind
        self.position = position
    }
}

/// Something that must hold after the run, from the `expect:` block.
public struct Expectation: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `expect: {exit: {a: 0, b: [0, 3010]}}` — the actor's process exited with one of these codes.
        case exitCode(actor: String, anyOf: [Int32])
        /// `expect: {files: {'C:\...\mscoree.dll': 2.0.50727.42}}` — the file on the machine at
        /// the end has this version; `absent` (nil) — there is no such file.
        case fileVersion(path: String, version: String?)
        /// `expect: {native_images: {System.Web: fresh, all: fresh}}` — an assembly's native image
        /// is `fresh`, `stale` or `missing`; the assembly `all` means every one.
        case nativeImage(assembly: String, status: String)
        /// `expect: {pending_renames: 0}` — this many renames are queued for the next boot.
        case pendingRenames(count: Int)
        /// `expect: {loaded: {app1: {'C:\...\mscoree.dll': 1.1.4322.573}}}` — the actor loaded
        /// that file as an image and it had this version (the last load of that path counts).
        case loaded(actor: String, path: String, version: String)
        /// `expect: {services: {NetFxUpdate: absent}}` — a service is registered (`present`) or not.
        case service(name: String, present: Bool)
        /// `expect: {runonce: {NetFxUpdate: absent}}`, `{run: {...}}` — a Run/RunOnce value
        /// (HKLM or HKCU) exists or not.
        case startupEntry(key: StartupKey, name: String, present: Bool)
        /// `expect: {registry: {'HKLM\SOFTWARE\X': {Version: '1.1', Count: {dword: 2}, Old: absent}}}`
        /// — the value of that key (`key` as `RegistryKeyPath` spells it; `name` empty for the
        /// default value) has this type and data at the end, or (nil) does not exist.
        case registryValue(key: String, name: String, value: RegistryValue?)
        /// `expect: {exactly_one: [{of: [a, b], exits: 1618}]}` — exactly one of these processes
        /// exited normally with one of these codes (the others did not).
        case exactlyOneExits(processes: [String], anyOf: [Int32])
        /// `expect: {operations: [{result: failed to load mscorwks.dll}]}` — a worker reported an
        /// operation like this (at least once, or exactly `count` times).
        case operation(OperationPattern)
    }
    /// Which startup key an expectation looks at.
    public enum StartupKey: String, Sendable, Equatable { case run, runonce }
    public var kind: Kind
    public var position: SourcePosition
    public init(_ kind: Kind, at position: SourcePosition) {
        self.kind = kind
        self.position = position
    }

    /// How the expectation reads in reports, e.g. `a exits with 0`, `b exits with 0 or 3010`.
    public var text: String {
        switch kind {
        case .exitCode(let actor, let codes):
            return "\(actor) exits with " + codes.map(String.init).joined(separator: " or ")
        case .fileVersion(let path, let version?):
            return "\(path) has version \(version)"
        case .fileVersion(let path, nil):
            return "\(path) is absent"
        case .nativeImage(let assembly, let status):
            return assembly == "all" ? "every native image is \(status)" : "the native image of \(assembly) is \(status)"
        case .pendingRenames(let count):
            return "\(count) rename\(count == 1 ? " is" : "s are") pending"
        case .loaded(let actor, let path, let version):
            return "\(actor) loaded \(path) version \(version)"
        case .service(let name, let present):
            return "service \(name) is \(present ? "registered" : "absent")"
        case .startupEntry(let key, let name, let present):
            return "\(key == .run ? "Run" : "RunOnce") entry \(name) is \(present ? "present" : "absent")"
        case .registryValue(let key, let name, let value):
            let what = "registry value \(key)\\\(name.isEmpty ? "(Default)" : name)"
            return value.map { "\(what) is \(Self.describe($0))" } ?? "\(what) is absent"
        case .exactlyOneExits(let processes, let codes):
            return "exactly one of \(processes.joined(separator: ", ")) exits with "
                + codes.map(String.init).joined(separator: " or ")
        case .operation(let pattern):
            return pattern.text
        }
    }

    /// A registry value as expectations show it: `REG_SZ '1.1'`, `REG_DWORD 2`,
    /// `REG_MULTI_SZ ['a', 'b']`.
    public static func describe(_ value: RegistryValue) -> String {
        switch value {
        case .string(let text): return "REG_SZ '\(text)'"
        case .dword(let number): return "REG_DWORD \(number)"
        case .multiString(let list): return "REG_MULTI_SZ [" + list.map { "'\($0)'" }.joined(separator: ", ") + "]"
        }
    }
}

/// What an `operations` expectation looks for among the operations the workers reported (the
/// events of the trace): each part given must match, the others match anything.
public struct OperationPattern: Sendable, Equatable {
    /// An argument the operation must carry with this value (compared ignoring case, as Windows
    /// compares paths and assembly names).
    public struct Argument: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }
    /// The process (`app1`, `reboot1/RunOnce-NetFxUpdate_KB1`), matching it and every process it
    /// started (`NAME/...`); nil: any process.
    public var process: String?
    /// The operation's name (`load`, `ngen`, `replace`, ...); nil: any.
    public var op: String?
    public var arguments: [Argument]
    /// The result the operation had: the whole result, or its beginning up to a space, `:` or
    /// `(` (`ERROR_SHARING_VIOLATION` matches `ERROR_SHARING_VIOLATION (32)`); nil: any.
    public var result: String?
    /// How many such operations there must be; nil: at least one.
    public var count: Int?

    public init(process: String? = nil, op: String? = nil, arguments: [Argument] = [], result: String? = nil, count: Int? = nil) {
        self.process = process
        self.op = op
        self.arguments = arguments
        self.result = result
        self.count = count
    }

    /// How the expectation reads: `some process had an operation with result 'failed to load
    /// mscorwks.dll'`, `app1 (or a process it started) had no load with path=C:\a.dll`.
    public var text: String {
        var who = process.map { "\($0) (or a process it started)" } ?? "some process"
        var what = op ?? "operation"
        if !arguments.isEmpty { what += " with " + arguments.map { "\($0.name)=\($0.value)" }.joined(separator: ", ") }
        if let result { what += (arguments.isEmpty ? " with" : " and") + " result '\(result)'" }
        switch count {
        case nil: who += " had a\(what.first.map { "aeiou".contains($0) } == true ? "n" : "") \(what)"
        case 0?: who += " had no \(what)"
        case let n?: who += " had \(n) × \(what)"
        }
        return who
    }

    /// Whether a process named `name` is one the pattern is about.
    public func matches(process name: String) -> Bool {
        guard let process else { return true }
        return name == process || name.hasPrefix(process + "/")
    }

    /// Whether an operation matches (its process is checked apart, with `matches(process:)`).
    public func matches(op name: String, arguments given: [(name: String, value: String)], result seen: String) -> Bool {
        if let op, op != name { return false }
        for wanted in arguments {
            guard given.contains(where: { $0.name == wanted.name && $0.value.lowercased() == wanted.value.lowercased() })
            else { return false }
        }
        if let result, seen != result {
            guard seen.hasPrefix(result) else { return false }
            let next = seen[seen.index(seen.startIndex, offsetBy: result.count)]
            if !(next == " " || next == ":" || next == "(") { return false }
        }
        return true
    }
}

/// The machine a rig runs on (`machine:`): created fresh for every run from an image, then
/// rebooted and logged on to by the machine steps.
public struct MachineSpec: Sendable {
    /// The image file, resolved against the rig file's directory (`image:`); nil: a minimal machine.
    public var image: String?
    /// `profile: nt | win9x` (default nt).
    public var profile: MachineProfile
    /// Reboots and logons, in the order written (`steps:`).
    public var steps: [MachineStep]
    public var position: SourcePosition

    public init(image: String?, profile: MachineProfile = .nt, steps: [MachineStep] = [], position: SourcePosition) {
        self.image = image
        self.profile = profile
        self.steps = steps
        self.position = position
    }
}

/// A step the coordinator takes on the machine. Each has a name, and the coordinator emits
/// events under that name as if it were an actor, so actors can start after them:
/// `reboot1.down` (every process stopped), `reboot1.booted` (Session Manager done, services
/// started), `reboot1.logon` (the user's Run/RunOnce entries started), and `NAME.done`.
public struct MachineStep: Sendable {
    public enum Kind: Sendable {
        /// `- reboot: {after_exit: installer, logon: admin}` — stop every process of the machine
        /// (graceful, then kill), boot (Session Manager, services), then log `logon` on.
        case reboot(logon: Logon)
        /// `- logon: {as: admin, after: reboot1.booted, delay: 1s}` — log a user on to the running
        /// machine: its Run and RunOnce entries run by Windows's rules.
        case logon(Logon)
    }
    /// `name:` (default `reboot1`, `reboot2`, ... / `logon1`, ...).
    public var name: String
    public var kind: Kind
    /// When the step is taken (the same forms as an actor's `start`).
    public var start: Start
    public var position: SourcePosition

    public init(name: String, kind: Kind, start: Start, position: SourcePosition) {
        self.name = name
        self.kind = kind
        self.start = start
        self.position = position
    }
}
