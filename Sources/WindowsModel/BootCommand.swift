/// Who logs on after the boot.
public enum Logon: String, Sendable, CaseIterable {
    /// Nobody: only Session Manager and the auto-start services run.
    case none
    /// A user without administrator rights.
    case user
    /// An administrator.
    case admin
}

/// A command line as stored in `ImagePath`, `Run` and `RunOnce`, and the rig-worker role that
/// plays its program: the program's file name, lowercased, without `.exe`
/// (`"C:\Windows\Microsoft.NET\Framework\v1.1.4322\netfxupdate.exe" /q` → `netfxupdate`).
public struct BootCommand: Sendable, Equatable, CustomStringConvertible {
    /// The command line as stored.
    public var commandLine: String
    /// The program as written (quotes removed).
    public var program: String
    /// The arguments after the program, split as CommandLineToArgvW does for plain cases
    /// (spaces separate, double quotes group).
    public var arguments: [String]

    /// Splits `commandLine`. An empty command line has an empty program.
    public init(_ commandLine: String) {
        self.commandLine = commandLine
        var words = BootCommand.split(commandLine)
        program = words.isEmpty ? "" : words.removeFirst()
        arguments = words
    }

    public var description: String { commandLine }

    /// The role that plays the program: its last path component, lowercased, without `.exe`.
    public var role: String {
        let name = program.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? ""
        let lower = name.lowercased()
        return lower.hasSuffix(".exe") ? String(lower.dropLast(4)) : lower
    }

    /// The `key=value` parameters a worker playing this command gets: `machine`, `command`
    /// (the whole line) and `arg1`... for the arguments.
    public func workerParameters(machine: String) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = [("machine", machine), ("command", commandLine)]
        for (index, argument) in arguments.enumerated() { result.append(("arg\(index + 1)", argument)) }
        return result
    }

    /// Words of a command line: runs of non-space characters, with `"..."` grouping spaces.
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inQuotes = false
        var inWord = false
        for character in line {
            if character == "\"" {
                inQuotes.toggle()
                inWord = true
            } else if (character == " " || character == "\t") && !inQuotes {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

/// The services the service control manager starts at boot, with no one logged on (Machine reads
/// them from the registry: `autoStartServices`).
public enum BootServices {
    /// Whether a boot of `profile` starts services at all. Windows 9x has no service control
    /// manager (its `RunServices` keys start ordinary programs before logon, which NetFxUpdate
    /// never used there, and which the sandbox does not model): nothing under `Services` starts.
    public static func start(on profile: MachineProfile) -> Bool { profile == .nt }
}
