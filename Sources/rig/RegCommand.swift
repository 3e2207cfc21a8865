import ArgumentParser
import Registry
import WindowsModel

/// `rig reg`: reads and writes a machine's registry, in the spirit of reg.exe.
///
/// Exit status: 0 on success; 1 when the key or value named does not exist (as reg.exe, which
/// exits 1 for "unable to find the specified registry key or value"); 2 for bad usage (bad key,
/// type or data, a directory that is not a machine) or a registry database that cannot be read.
struct RegCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reg",
        abstract: "Read and write a machine's registry (reg.exe's get, set, delete, query /s).",
        discussion: """
            Keys are full paths: HKLM\\... or HKCU\\... (HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER \
            also accepted), compared without regard to case. Types: REG_SZ, REG_MULTI_SZ, REG_DWORD. \
            An empty value name ("") is the key's default value.
            Exit status: 0 ok, 1 key or value not found, 2 bad usage or unreadable registry.
            """,
        subcommands: [
            RegGetCommand.self, RegSetCommand.self, RegDeleteCommand.self, RegDumpCommand.self,
            RegAppendCommand.self,
        ]
    )
}

/// The machine directory and key every `rig reg` subcommand takes.
struct RegLocation: ParsableArguments {
    @Argument(help: "The machine directory (holding drive_c and registry.db).")
    var machine: String

    @Argument(help: "The key, e.g. 'HKLM\\SOFTWARE\\Microsoft'.")
    var key: String

    /// A bad key and a directory that is not a machine are usage errors (exit 2), refused before
    /// anything is created in it.
    func validate() throws {
        _ = try keyPath()
        try validateMachine(machine)
    }

    /// The parsed key; a bad key is a usage error (exit 2).
    func keyPath() throws -> RegistryKeyPath {
        do {
            return try RegistryKeyPath(key)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Opens the machine's registry (the machine checked by `validate()`).
    func open() throws -> Registry {
        try openMachineRegistry(machine)
    }
}

/// Opens `<machine>/registry.db` of a machine (one `validateMachine` accepted); a registry that
/// cannot be opened fails with 2.
func openMachineRegistry(_ machine: String) throws -> Registry {
    let database = Registry.databasePath(machineDirectory: machine)
    do {
        return try Registry(databasePath: database)
    } catch {
        throw failure(error.description, code: 2)
    }
}

/// Runs a registry operation; a registry failure (unreadable database) fails with 2 and its message.
@discardableResult
func withRegistryErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as RegistryError {
        throw failure(error.description, code: 2)
    }
}

/// `rig reg get DIR KEY NAME`: prints a value's data.
struct RegGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print a value's data: REG_SZ as text, REG_MULTI_SZ one string a line, REG_DWORD in decimal.",
        discussion: "Exit status 1 (and a message on stderr) when the key or value does not exist.")

    @OptionGroup var location: RegLocation

    @Argument(help: "The value name (\"\" for the default value).")
    var name: String

    @Flag(help: "Print the type (REG_SZ, ...) on a line before the data.")
    var showType = false

    func run() throws {
        let key = try location.keyPath()
        let registry = try location.open()
        guard let value = try withRegistryErrors({ try registry.value(key, name) }) else {
            throw failure("ERROR_FILE_NOT_FOUND (2): \(key) has no value '\(name)'", code: 1)
        }
        if showType { print(value.type) }
        switch value {
        case .string(let s): print(s)
        case .multiString(let list): for s in list { print(s) }
        case .dword(let d): print(d)
        }
    }
}

/// `rig reg set DIR KEY NAME [--type T] [--data D]...`: sets a value, creating the key.
struct RegSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a value (reg add KEY /v NAME /t TYPE /d DATA /f), creating the key.",
        discussion: """
            REG_SZ takes at most one --data (none: empty); REG_DWORD exactly one, decimal or 0x hex; \
            REG_MULTI_SZ one --data per string, in order (none: an empty list).
            """)

    @OptionGroup var location: RegLocation

    @Argument(help: "The value name (\"\" for the default value).")
    var name: String

    @Option(name: .shortAndLong, help: "REG_SZ (default), REG_MULTI_SZ or REG_DWORD.")
    var type = "REG_SZ"

    @Option(name: .shortAndLong, help: "The data; repeat for each string of a REG_MULTI_SZ.")
    var data: [String] = []

    func validate() throws {
        _ = try location.keyPath()
        _ = try registryValue(type: type, data: data)
    }

    func run() throws {
        let key = try location.keyPath()
        let value = try registryValue(type: type, data: data)
        let registry = try location.open()
        try withRegistryErrors { try registry.setValue(key, name, value) }
    }
}

/// The value `--type` and `--data` describe; a usage error when they do not fit.
func registryValue(type: String, data: [String]) throws -> RegistryValue {
    guard let valueType = RegistryValueType(name: type) else {
        throw ValidationError("unknown type '\(type)' (use REG_SZ, REG_MULTI_SZ or REG_DWORD)")
    }
    switch valueType {
    case .string:
        guard data.count <= 1 else { throw ValidationError("REG_SZ takes one --data, got \(data.count)") }
        return .string(data.first ?? "")
    case .multiString:
        return .multiString(data)
    case .dword:
        guard data.count == 1, let number = parseDword(data[0]) else {
            throw ValidationError("REG_DWORD takes one --data: a number from 0 to 4294967295, decimal or 0x hex")
        }
        return .dword(number)
    }
}

/// `26`, `0x1a`, `0X1A` → 26; nil when not a 32-bit unsigned number.
func parseDword(_ text: String) -> UInt32? {
    if text.lowercased().hasPrefix("0x") { return UInt32(text.dropFirst(2), radix: 16) }
    return UInt32(text)
}

/// `rig reg delete DIR KEY NAME` or `rig reg delete DIR KEY --key`.
struct RegDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a value, or with --key the key with all its subkeys and values.",
        discussion: "Exit status 1 when the key or value does not exist.")

    @OptionGroup var location: RegLocation

    @Argument(help: "The value name (\"\" for the default value); omit with --key.")
    var name: String?

    @Flag(help: "Delete the key itself, with its subkeys and values.")
    var key = false

    func validate() throws {
        let path = try location.keyPath()
        if key {
            guard name == nil else { throw ValidationError("give a value name or --key, not both") }
            guard !path.components.isEmpty else { throw ValidationError("a root key cannot be deleted") }
        } else if name == nil {
            throw ValidationError("give the value name to delete, or --key to delete the key")
        }
    }

    func run() throws {
        let path = try location.keyPath()
        let registry = try location.open()
        if key {
            guard try withRegistryErrors({ try registry.deleteKey(path) }) else {
                throw failure("ERROR_FILE_NOT_FOUND (2): key \(path) does not exist", code: 1)
            }
        } else if let name {
            guard try withRegistryErrors({ try registry.deleteValue(path, name) }) else {
                throw failure("ERROR_FILE_NOT_FOUND (2): \(path) has no value '\(name)'", code: 1)
            }
        }
    }
}

/// `rig reg dump DIR [KEY]`: every key and value, as `reg query /s` prints them.
struct RegDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print every key (under KEY, or the whole registry) and its values, as reg query /s.",
        discussion: "Exit status 1 when KEY does not exist.")

    @Argument(help: "The machine directory.")
    var machine: String

    @Argument(help: "The key to start at (default: HKLM and HKCU).")
    var key: String?

    func validate() throws {
        if let key { _ = try keyPath(key) }
        try validateMachine(machine)
    }

    private func keyPath(_ text: String) throws -> RegistryKeyPath {
        do { return try RegistryKeyPath(text) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let start = try key.map(keyPath)
        let registry = try openMachineRegistry(machine)
        let text = try withRegistryErrors { () throws -> String? in
            if let start, try !registry.keyExists(start) { return nil }
            return try registry.dump(start)
        }
        guard let text else { throw failure("ERROR_FILE_NOT_FOUND (2): key \(start!) does not exist", code: 1) }
        print(text, terminator: "")
    }
}

/// `rig reg append DIR KEY NAME --data S... [--count N]`: appends to a REG_MULTI_SZ atomically.
struct RegAppendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append strings to a REG_MULTI_SZ value (creating it) in one atomic read-modify-write.",
        discussion: """
            Other processes appending at the same time lose nothing: each append is one write \
            transaction. --count N repeats the append N times, each its own transaction, with \
            '{i}' in the data replaced by the repetition number (1...N); e.g. to queue work from \
            several processes at once: rig reg append DIR KEY Queue --data 'job-{i}' --count 100.
            """)

    @OptionGroup var location: RegLocation

    @Argument(help: "The value name.")
    var name: String

    @Option(name: .shortAndLong, help: "A string to append; repeat for several.")
    var data: [String] = []

    @Option(help: "How many times to append (each time a separate transaction).")
    var count = 1

    func validate() throws {
        _ = try location.keyPath()
        guard !data.isEmpty else { throw ValidationError("give at least one --data string") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        let key = try location.keyPath()
        let registry = try location.open()
        for i in 1...count {
            let strings = data.map { $0.replacingAll("{i}", with: String(i)) }
            try withRegistryErrors { try registry.appendMultiString(key, name, strings) }
        }
    }
}

extension String {
    /// `self` with every occurrence of `target` replaced (Foundation-free).
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
