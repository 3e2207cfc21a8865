/// A Windows path on the simulated machine, e.g. `C:\Windows\System32\mscoree.dll`, parsed and
/// checked: drive C only, no `..`, no NUL, no empty or device-like names. It maps under the
/// machine directory as `drive_c/Windows/System32/mscoree.dll`.
///
/// Accepted spellings: `C:\a\b`, `c:/a/b`, and the NT form `\??\C:\a\b` that
/// PendingFileRenameOperations stores. Case is kept as written: names are compared ignoring case
/// (`namesMatch`) when they are resolved on the machine (`MachineRoot`), as Windows does, and a
/// file keeps the case it was created with. `==` compares spellings exactly; use
/// `isSameName(as:)` to ask whether two paths name the same file.
public struct WindowsPath: Sendable, Hashable, CustomStringConvertible {
    /// Path components below the drive root, e.g. `["Windows", "System32", "mscoree.dll"]`.
    public let components: [String]

    /// Parses and checks `text`; throws `PathError` naming what is wrong.
    public init(_ text: String) throws(PathError) {
        guard !text.utf8.contains(0) else { throw PathError(text, "contains a NUL byte") }
        var rest = Substring(text)
        if rest.hasPrefix("\\??\\") { rest = rest.dropFirst(4) }
        guard rest.count >= 2, let drive = rest.first, rest.dropFirst().first == ":" else {
            throw PathError(text, "is not a full Windows path (it must start with C:\\)")
        }
        guard drive == "C" || drive == "c" else {
            throw PathError(text, "is on drive \(drive): — the machine has drive C: only")
        }
        rest = rest.dropFirst(2)
        guard rest.isEmpty || rest.first == "\\" || rest.first == "/" else {
            throw PathError(text, "is relative to the current directory of drive C: (write C:\\...)")
        }
        var parts: [String] = []
        for piece in rest.split(whereSeparator: { $0 == "\\" || $0 == "/" }) {
            if piece == "." { continue }
            guard piece != ".." else { throw PathError(text, "contains '..'") }
            // Characters Windows refuses in names (and ':' would name an alternate data stream).
            if let bad = piece.first(where: { "<>:\"|?*".contains($0) || ($0.asciiValue ?? 32) < 32 }) {
                throw PathError(text, "has the character '\(bad)' that Windows does not allow in a name")
            }
            if let reason = WindowsPath.nameProblem(piece) { throw PathError(text, reason) }
            parts.append(String(piece))
        }
        components = parts
    }

    /// The DOS device names Win32 recognizes in a file name (`RtlIsDosDeviceName_U`): `COM` and
    /// `LPT` take one digit 1-9.
    public static let deviceNames = Set(["CON", "PRN", "AUX", "NUL"] + (1...9).flatMap { ["COM\($0)", "LPT\($0)"] })

    /// Why `name` (one path component) cannot name a file on the machine, or nil when it can.
    ///
    /// Windows does not refuse these names; it gives them another meaning, which the sandbox
    /// refuses with ERROR_INVALID_NAME (123) instead of imitating:
    /// * A DOS device name (`CON`, `PRN`, `AUX`, `NUL`, `COM1`-`COM9`, `LPT1`-`LPT9`, any case),
    ///   also with an extension (`NUL.txt`) or trailing spaces: `RtlIsDosDeviceName_U` matches
    ///   the part before the first dot, and `RtlGetFullPathName_U` turns the whole path into
    ///   `\\.\NUL`, so CreateFile opens the device and no file is involved. Windows does that for
    ///   the last component only; a directory of such a name cannot be created through Win32
    ///   either, so the sandbox refuses it in every component.
    /// * A name ending in a dot or a space: Win32 path normalization (`RtlGetFullPathName_U`)
    ///   silently strips every trailing dot and space of the last component (`a.txt.` opens
    ///   `a.txt`) and one trailing dot of the others, so the file touched is not the one named.
    /// * `...` (and any name of dots only but `.` and `..`): stripped to nothing, it names the
    ///   directory above.
    /// Paths in the NT form (`\??\C:\...`) skip that normalization on Windows; the sandbox applies
    /// the same rules to them, so every spelling of a path names the same file.
    public static func nameProblem(_ name: some StringProtocol) -> String? {
        if !name.isEmpty, name.allSatisfy({ $0 == "." }) {
            return "the name '\(name)' is only dots; Windows strips trailing dots, so it would name the directory above"
        }
        if let last = name.last, last == "." || last == " " {
            return
                "the name '\(name)' ends in \(last == "." ? "a dot" : "a space"); Windows strips trailing dots and spaces, so it would name another file"
        }
        var base = Substring(name)
        if let dot = base.firstIndex(of: ".") { base = base[..<dot] }
        while base.last == " " { base = base.dropLast() }
        if deviceNames.contains(base.uppercased()) {
            return "'\(name)' is the DOS device name \(base.uppercased()); Windows opens the device, not a file"
        }
        return nil
    }

    /// A path from already-checked components (no parsing: callers pass names from another
    /// `WindowsPath` or names they checked).
    public init(components: [String]) { self.components = components }

    /// `C:\Windows\System32\mscoree.dll`
    public var description: String { "C:\\" + components.joined(separator: "\\") }

    /// The NT form PendingFileRenameOperations stores: `\??\C:\Windows\...`.
    public var ntPath: String { "\\??\\" + description }

    /// The last component (file name), or nil for the drive root.
    public var name: String? { components.last }

    /// The containing directory, or nil for the drive root.
    public var parent: WindowsPath? {
        components.isEmpty ? nil : WindowsPath(components: Array(components.dropLast()))
    }

    /// `self` with `name` appended.
    public func appending(_ name: String) -> WindowsPath { WindowsPath(components: components + [name]) }

    // MARK: Case

    /// Whether `self` and `other` name the same file on Windows: the same components, compared
    /// ignoring case (`namesMatch`).
    public func isSameName(as other: WindowsPath) -> Bool {
        components.count == other.components.count
            && zip(components, other.components).allSatisfy { WindowsPath.namesMatch($0, $1) }
    }

    /// The path with every component folded (`foldedName`): equal for every spelling of one file,
    /// usable as a dictionary key.
    public var folded: WindowsPath { WindowsPath(components: components.map(WindowsPath.foldedName)) }

    /// Whether two names are the same name on Windows, which compares names ignoring case and
    /// nothing else (no Unicode normalization): character by character through the upcase table
    /// (NTFS `$UpCase`, `RtlUpcaseUnicodeChar`), a one-to-one mapping — `ß` stays `ß`.
    public static func namesMatch(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        var left = a.unicodeScalars.makeIterator()
        var right = b.unicodeScalars.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case (let x?, let y?):
                if x != y && upcase(x) != upcase(y) { return false }
            default: return false
            }
        }
    }

    /// `name` folded as `namesMatch` compares it (each character upcased one to one).
    public static func foldedName(_ name: String) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: name.unicodeScalars.map(upcase))
        return String(result)
    }

    /// The one-to-one uppercase of `scalar`: itself when its uppercase is several characters
    /// (`ß` → `SS`), as Windows' upcase table maps one character to one.
    static func upcase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII {
            let value = scalar.value
            return value >= 0x61 && value <= 0x7A ? Unicode.Scalar(value - 0x20)! : scalar
        }
        let mapped = scalar.properties.uppercaseMapping.unicodeScalars
        return mapped.count == 1 ? mapped.first! : scalar
    }
}

/// A path that cannot name a file on the machine, and why. Maps to ERROR_INVALID_NAME (123).
public struct PathError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was refused.
    public var path: String
    /// Why, e.g. "contains '..'".
    public var reason: String
    /// A refusal of `path` because of `reason`.
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    /// `invalid path 'D:\x': is on drive D: ...`
    public var description: String { "invalid path '\(path)': \(reason)" }
}

/// A rename or delete queued for the next boot (MoveFileEx with MOVEFILE_DELAY_UNTIL_REBOOT),
/// in the order it was queued.
public struct PendingRename: Sendable, Equatable, CustomStringConvertible {
    /// The file to move (or delete).
    public var source: WindowsPath
    /// nil: delete the source at boot.
    public var destination: WindowsPath?
    /// MOVEFILE_REPLACE_EXISTING: stored as a `!` before the destination.
    public var replaceExisting: Bool

    /// A queued move of `source` to `destination` (nil: delete).
    public init(source: WindowsPath, destination: WindowsPath?, replaceExisting: Bool = false) {
        self.source = source
        self.destination = destination
        self.replaceExisting = replaceExisting
    }

    /// `SRC -> DST`, `SRC -> (delete)`, with `!` before DST for replace-existing (as `rig fs pending` prints).
    public var description: String {
        guard let destination else { return "\(source) -> (delete)" }
        return "\(source) -> \(replaceExisting ? "!" : "")\(destination)"
    }
}

/// Where delayed renames are queued: the registry's PendingFileRenameOperations on the NT
/// profile, `wininit.ini [rename]` on the Windows 9x profile. The Machine module provides both.
public protocol PendingRenameStore {
    /// Appends one pair at the end of the queue, atomically with respect to other processes.
    func append(_ rename: PendingRename) throws
    /// The queued pairs, in queued order.
    func pending() throws -> [PendingRename]
}
