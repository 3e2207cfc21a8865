/// What went wrong with the registry, naming where.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A SQLite call failed: the call (with its statement), SQLite's (extended) result code and
    /// message, and the database file. A corrupt or foreign file shows up here as
    /// `SQLITE_NOTADB (26)` / "file is not a database" naming the file.
    case sqlite(call: String, code: Int32, message: String, file: String)
    /// A key path that cannot name a key: the text and why.
    case invalidKey(String, reason: String)
    /// A stored value whose type or bytes this registry does not understand.
    case invalidData(key: String, name: String, reason: String)

    public var description: String {
        switch self {
        case .sqlite(let call, let code, let message, let file):
            "registry \(file): \(call) failed: \(message) (SQLite code \(code))"
        case .invalidKey(let text, let reason):
            "invalid registry key '\(text)': \(reason)"
        case .invalidData(let key, let name, let reason):
            "registry value '\(name)' of \(key): \(reason)"
        }
    }
}

/// A root key of the machine's registry. The machine has one user, so HKCU is one hive.
public enum RegistryRoot: String, Sendable, Hashable, CaseIterable {
    case localMachine = "HKEY_LOCAL_MACHINE"
    case currentUser = "HKEY_CURRENT_USER"

    /// `HKLM`, `HKCU`: the short spelling reg.exe prints.
    public var abbreviation: String {
        switch self {
        case .localMachine: "HKLM"
        case .currentUser: "HKCU"
        }
    }

    /// Accepts `HKLM`, `HKEY_LOCAL_MACHINE`, `HKCU`, `HKEY_CURRENT_USER` in any case.
    public init?(spelling: some StringProtocol) {
        switch spelling.uppercased() {
        case "HKLM", "HKEY_LOCAL_MACHINE": self = .localMachine
        case "HKCU", "HKEY_CURRENT_USER": self = .currentUser
        default: return nil
        }
    }
}

/// A full key path, e.g. `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`.
/// Components keep the case they were written with; comparing paths ignores case, as Windows does.
public struct RegistryKeyPath: Sendable, Hashable, CustomStringConvertible {
    public let root: RegistryRoot
    /// The subkey names below the root.
    public let components: [String]

    public init(root: RegistryRoot, components: [String] = []) {
        self.root = root
        self.components = components
    }

    /// Parses `HKLM\A\B` (also `HKEY_LOCAL_MACHINE\A\B`, `HKCU\...`); one trailing `\` is allowed.
    public init(_ text: String) throws(RegistryError) {
        var pieces = text.split(separator: "\\", omittingEmptySubsequences: false)
        if pieces.count > 1, pieces.last == "" { pieces.removeLast() }
        guard let first = pieces.first, !first.isEmpty else {
            throw .invalidKey(text, reason: "a key starts with a root: HKLM or HKCU")
        }
        guard let root = RegistryRoot(spelling: first) else {
            throw .invalidKey(text, reason: "unknown root '\(first)' (this machine has HKLM and HKCU)")
        }
        var components: [String] = []
        for piece in pieces.dropFirst() {
            if let reason = RegistryKeyPath.keyNameProblem(piece) { throw .invalidKey(text, reason: reason) }
            components.append(String(piece))
        }
        self.root = root
        self.components = components
    }

    /// The longest key name Windows allows, in UTF-16 code units.
    public static let maxKeyNameLength = 255
    /// The longest value name Windows allows, in UTF-16 code units.
    public static let maxValueNameLength = 16_383

    /// Why `name` cannot be the name of one key (one component of a path), nil when it can.
    /// Windows allows any printable character but `\` in a key name, up to 255 characters; a
    /// control character (TAB, a line break, NUL...) is refused here, as it cannot be written in
    /// a patch package, a `reg query` listing or a rig. The registry enforces this on every key
    /// it creates; rig, image and patch loaders check it up front.
    public static func keyNameProblem(_ name: some StringProtocol) -> String? {
        if name.isEmpty { return "has an empty key name" }
        if name.utf8.contains(0) { return "contains a NUL byte" }
        if name.contains("\\") { return "the key name '\(name)' contains '\\'" }
        if let bad = name.unicodeScalars.first(where: isControl) {
            return
                "the key name '\(printable(name))' contains the control character \(describe(bad)) (only printable characters are allowed)"
        }
        if name.utf16.count > maxKeyNameLength {
            return "the key name is \(name.utf16.count) characters long (at most \(maxKeyNameLength))"
        }
        return nil
    }

    /// Why `name` cannot be a value name, nil when it can (`""` is the default value). Windows
    /// allows any character in a value name, up to 16,383 characters; control characters are
    /// refused here for the same reason as in key names.
    public static func valueNameProblem(_ name: some StringProtocol) -> String? {
        if name.utf8.contains(0) { return "the name contains a NUL byte" }
        if let bad = name.unicodeScalars.first(where: isControl) {
            return
                "the value name '\(printable(name))' contains the control character \(describe(bad)) (only printable characters are allowed)"
        }
        if name.utf16.count > maxValueNameLength {
            return "the value name is \(name.utf16.count) characters long (at most \(maxValueNameLength))"
        }
        return nil
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7f }

    /// `TAB (U+0009)`
    private static func describe(_ scalar: Unicode.Scalar) -> String {
        let names: [UInt32: String] = [0x09: "TAB", 0x0a: "LF", 0x0d: "CR", 0x00: "NUL", 0x7f: "DEL"]
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return names[scalar.value].map { "\($0) (\(code))" } ?? code
    }

    /// `name` with control characters shown as `\t`, `\n`, `\u{..}`, so a message stays on one line.
    private static func printable(_ name: some StringProtocol) -> String {
        String(name).unicodeScalars.map { isControl($0) ? $0.escaped(asASCII: true) : String($0) }.joined()
    }

    /// `HKLM\SYSTEM\CurrentControlSet`
    public var description: String {
        ([root.abbreviation] + components).joined(separator: "\\")
    }

    /// The subkey `name` of this key (`name` may itself hold `\`-separated components).
    public func appending(_ name: String) -> RegistryKeyPath {
        RegistryKeyPath(root: root, components: components + name.split(separator: "\\").map(String.init))
    }

    /// The containing key, or nil for a root.
    public var parent: RegistryKeyPath? {
        components.isEmpty ? nil : RegistryKeyPath(root: root, components: Array(components.dropLast()))
    }

    /// Whether two key or value names are the same name on Windows: the registry compares names
    /// as NTFS does (`WindowsPath.namesMatch`: ignoring case, one-to-one upcase, no normalization).
    public static func namesMatch(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        WindowsPath.namesMatch(a, b)
    }

    /// Case-insensitive equality, as Windows compares key names.
    public static func == (a: RegistryKeyPath, b: RegistryKeyPath) -> Bool {
        a.root == b.root && a.components.map { $0.lowercased() } == b.components.map { $0.lowercased() }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(root)
        for component in components { hasher.combine(component.lowercased()) }
    }
}

/// A registry value type, numbered as in winnt.h.
public enum RegistryValueType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case string = 1  // REG_SZ
    case dword = 4  // REG_DWORD
    case multiString = 7  // REG_MULTI_SZ

    /// `REG_SZ`, `REG_DWORD`, `REG_MULTI_SZ`.
    public var description: String {
        switch self {
        case .string: "REG_SZ"
        case .dword: "REG_DWORD"
        case .multiString: "REG_MULTI_SZ"
        }
    }

    /// Accepts `REG_SZ`, `REG_MULTI_SZ`, `REG_DWORD` in any case.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name.uppercased() }) else { return nil }
        self = match
    }
}

/// A typed registry value.
public enum RegistryValue: Sendable, Equatable, CustomStringConvertible {
    /// REG_SZ
    case string(String)
    /// REG_MULTI_SZ. Empty strings are kept: PendingFileRenameOperations uses an empty
    /// destination to mean "delete", and Session Manager reads the value by its size.
    case multiString([String])
    /// REG_DWORD
    case dword(UInt32)

    public var type: RegistryValueType {
        switch self {
        case .string: .string
        case .multiString: .multiString
        case .dword: .dword
        }
    }

    /// The data as `reg query` prints it: text, strings joined by `\0`, DWORD as `0x2`.
    public var description: String {
        switch self {
        case .string(let s): s
        case .multiString(let list): list.joined(separator: "\\0")
        case .dword(let d): "0x" + String(d, radix: 16)
        }
    }

    /// The strings of a REG_SZ or REG_MULTI_SZ; nil for a DWORD.
    public var strings: [String]? {
        switch self {
        case .string(let s): [s]
        case .multiString(let list): list
        case .dword: nil
        }
    }

    /// The number of a REG_DWORD; nil otherwise.
    public var dwordValue: UInt32? {
        if case .dword(let d) = self { d } else { nil }
    }

    /// The text of a REG_SZ; nil otherwise.
    public var stringValue: String? {
        if case .string(let s) = self { s } else { nil }
    }

    /// Stored bytes: UTF-8 text; for REG_MULTI_SZ each string followed by a NUL, as in the
    /// Windows layout minus the final extra terminator (so empty strings survive); DWORD little-endian.
    /// The Registry module stores values in this layout (hence `package`, not `public`).
    package var storedBytes: [UInt8] {
        switch self {
        case .string(let s): Array(s.utf8)
        case .multiString(let list): list.flatMap { Array($0.utf8) + [0] }
        case .dword(let d): [UInt8(d & 0xff), UInt8((d >> 8) & 0xff), UInt8((d >> 16) & 0xff), UInt8(d >> 24)]
        }
    }

    /// Decodes `bytes` stored with `storedBytes`; nil when they do not fit `type`.
    package init?(type: RegistryValueType, bytes: [UInt8]) {
        switch type {
        case .string:
            self = .string(String(decoding: bytes, as: UTF8.self))
        case .multiString:
            guard bytes.isEmpty || bytes.last == 0 else { return nil }
            self = .multiString(
                bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
                    String(decoding: $0, as: UTF8.self)
                })
        case .dword:
            guard bytes.count == 4 else { return nil }
            self = .dword(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        }
    }
}
