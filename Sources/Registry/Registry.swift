import CSQLite
import Host
import WindowsModel

/// The registry of one simulated machine: `<machine>/registry.db`, a SQLite database shared by
/// every process of the machine.
///
/// Keys are full paths (`HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`); key and
/// value names are compared without regard to case and stored with the case they were first
/// created with, as Windows does. The columns are `COLLATE NOCASE`, which folds ASCII letters
/// only: a lookup tries that first (indexed) and, for a name with other letters (`Größe`),
/// then scans the key's children comparing with `RegistryKeyPath.namesMatch`. Values are typed: REG_SZ, REG_MULTI_SZ,
/// REG_DWORD. Subkeys list in name order; values list in the order they were first set.
///
/// Concurrency: every write runs in a `BEGIN IMMEDIATE` transaction, so a read-modify-write
/// (`update`, `appendMultiString`, `transaction`) is atomic against other processes; a process
/// that finds the database locked waits (busy timeout) instead of failing. The database is in
/// WAL mode: a process killed at any point leaves it consistent (its transaction is rolled back);
/// with `synchronous=OFF` a power loss of the real host could lose recent commits, which the
/// simulation does not need (a simulated power loss is a kill).
///
/// One instance is one connection: use it from one thread; open one per process or thread.
public final class Registry {
    /// The database file.
    public let path: String
    private let db: SQLiteConnection
    /// Depth of nested `write`/`read` calls: only the outermost begins and ends the transaction.
    private var depth = 0

    /// How long a process waits for another one's write lock before failing with SQLITE_BUSY.
    public static let busyTimeoutMilliseconds: Int32 = 60_000

    /// The registry file of a machine directory.
    public static func databasePath(machineDirectory: String) -> String {
        machineDirectory.hasSuffix("/") ? machineDirectory + "registry.db" : machineDirectory + "/registry.db"
    }

    /// Opens `<machineDirectory>/registry.db`, creating it (and its schema) when new.
    /// The directory itself must exist; it is never created.
    public convenience init(machineDirectory: String) throws(RegistryError) {
        try self.init(databasePath: Registry.databasePath(machineDirectory: machineDirectory))
    }

    /// Opens the registry database at `databasePath`, creating it (and its schema) when new.
    /// A file that is not a registry database fails here with an error naming the file.
    public init(databasePath: String) throws(RegistryError) {
        path = databasePath
        try Registry.checkNotLinked(databasePath)
        db = try SQLiteConnection(path: databasePath)
        try db.setBusyTimeout(milliseconds: Registry.busyTimeoutMilliseconds)
        // Reading the schema is the first access to the file: a corrupt file fails here.
        let existing = try db.rows("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'registry_keys'")
        try db.execute("PRAGMA synchronous = OFF")
        if existing.first?.first?.integer == 0 {
            try createSchema()
        }
    }

    /// The files SQLite keeps beside the database (WAL mode uses `-wal` and `-shm`; `-journal`
    /// is the rollback journal of a database not yet in WAL mode).
    public static let companionSuffixes = ["-wal", "-shm", "-journal"]

    /// Throws (SQLITE_CANTOPEN_SYMLINK, naming the file) when the database or one of the files
    /// SQLite keeps beside it is a symbolic link, or is not a regular file: SQLite follows links
    /// to all of them, so a link planted in a machine directory would make the registry read and
    /// write outside it. Missing files are fine (SQLite creates them).
    static func checkNotLinked(_ databasePath: String) throws(RegistryError) {
        for file in [databasePath] + companionSuffixes.map({ databasePath + $0 }) {
            guard let kind = HostFiles.kind(of: file, followingLinks: false), kind != .regularFile else { continue }
            let name = file.split(separator: "/").last.map(String.init) ?? file
            throw .sqlite(
                call: "open", code: 1550,  // SQLITE_CANTOPEN_SYMLINK
                message: kind == .symbolicLink
                    ? "'\(name)' is a symbolic link; the registry's files must be real files in the machine directory"
                    : "'\(name)' is not a regular file",
                file: databasePath)
        }
    }

    private func createSchema() throws(RegistryError) {
        // journal_mode is persistent in the file and cannot change inside a transaction. Changing
        // it takes the file exclusively and SQLite does not wait for that through the busy
        // handler: when several processes open a new registry at once, the losers get
        // SQLITE_BUSY here and try again (the winner has usually switched the file already).
        var waitedMs: Int32 = 0
        while true {
            do {
                _ = try db.rows("PRAGMA journal_mode = WAL")
                break
            } catch .sqlite(_, let code, _, _) where code & 0xff == 5 && waitedMs < Registry.busyTimeoutMilliseconds {
                CurrentProcess.sleep(nanoseconds: 1_000_000)
                waitedMs += 1
            }
        }
        try write { () throws(RegistryError) in
            try db.execute(
                """
                CREATE TABLE IF NOT EXISTS registry_keys(
                    id INTEGER PRIMARY KEY,
                    parent INTEGER NOT NULL,
                    name TEXT NOT NULL COLLATE NOCASE,
                    UNIQUE(parent, name));
                CREATE TABLE IF NOT EXISTS registry_values(
                    key INTEGER NOT NULL,
                    name TEXT NOT NULL COLLATE NOCASE,
                    type INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY(key, name));
                """)
            for root in RegistryRoot.allCases {
                try db.run("INSERT OR IGNORE INTO registry_keys(parent, name) VALUES(0, ?)", [.text(root.rawValue)])
            }
        }
    }

    // MARK: Transactions

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`): no other process writes between
    /// its reads and its writes. Nested calls join the outer transaction. If `body` throws, every
    /// change it made is rolled back and the error is rethrown.
    public func transaction<T>(_ body: (Registry) throws -> T) throws -> T {
        try begin("BEGIN IMMEDIATE")
        do {
            let result = try body(self)
            try end()
            return result
        } catch {
            rollback()
            throw error
        }
    }

    private func write<T>(_ body: () throws(RegistryError) -> T) throws(RegistryError) -> T {
        try inTransaction("BEGIN IMMEDIATE", body)
    }

    /// A consistent snapshot for several reads.
    private func read<T>(_ body: () throws(RegistryError) -> T) throws(RegistryError) -> T {
        try inTransaction("BEGIN", body)
    }

    /// Runs `body` between `statement` and the end of the transaction, rolled back if it throws.
    private func inTransaction<T>(_ statement: String, _ body: () throws(RegistryError) -> T) throws(RegistryError) -> T {
        try begin(statement)
        do {
            let result = try body()
            try end()
            return result
        } catch {
            rollback()
            throw error
        }
    }

    private func begin(_ sql: String) throws(RegistryError) {
        if depth == 0 { try db.run(sql) }
        depth += 1
    }

    private func end() throws(RegistryError) {
        depth -= 1
        if depth == 0 {
            do {
                try db.run("COMMIT")
            } catch {
                depth += 1
                throw error
            }
        }
    }

    private func rollback() {
        depth -= 1
        if depth == 0 { try? db.run("ROLLBACK") }
    }

    // MARK: Keys

    /// The row id of `key`, or nil if it does not exist.
    private func keyID(_ key: RegistryKeyPath) throws(RegistryError) -> Int64? {
        try resolve(key)?.id
    }

    /// The row id of `key` and its path spelled as stored, or nil if it does not exist.
    private func resolve(_ key: RegistryKeyPath) throws(RegistryError) -> (id: Int64, stored: RegistryKeyPath)? {
        var id: Int64 = 0
        var stored: [String] = []
        for name in [key.root.rawValue] + key.components {
            guard let child = try childKey(id, name) else { return nil }
            id = child.id
            stored.append(child.name)
        }
        return (id, RegistryKeyPath(root: key.root, components: Array(stored.dropFirst())))
    }

    /// The subkey of `parent` named `name` ignoring case: its row id and its name as stored.
    private func childKey(_ parent: Int64, _ name: String) throws(RegistryError) -> (id: Int64, name: String)? {
        let rows = try db.rows("SELECT id, name FROM registry_keys WHERE parent = ? AND name = ?", [.integer(parent), .text(name)])
        if let row = rows.first, let id = row[0].integer { return (id, row[1].text ?? name) }
        guard !name.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }  // NOCASE was enough
        for row in try db.rows("SELECT id, name FROM registry_keys WHERE parent = ?", [.integer(parent)]) {
            if let id = row[0].integer, let stored = row[1].text, RegistryKeyPath.namesMatch(stored, name) { return (id, stored) }
        }
        return nil
    }

    /// The name value `name` of key `key` is stored under (ignoring case), or nil if none.
    private func storedValueName(_ key: Int64, _ name: String) throws(RegistryError) -> String? {
        let rows = try db.rows("SELECT name FROM registry_values WHERE key = ? AND name = ?", [.integer(key), .text(name)])
        if let row = rows.first { return row[0].text ?? name }
        guard !name.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        for row in try db.rows("SELECT name FROM registry_values WHERE key = ?", [.integer(key)]) {
            if let stored = row[0].text, RegistryKeyPath.namesMatch(stored, name) { return stored }
        }
        return nil
    }

    /// The row id of `key`, creating it and any missing parent (inside a write transaction).
    private func createdKeyID(_ key: RegistryKeyPath) throws(RegistryError) -> Int64 {
        for name in key.components {
            if let reason = RegistryKeyPath.keyNameProblem(name) { throw .invalidKey(key.description, reason: reason) }
        }
        var id: Int64 = 0
        for name in [key.root.rawValue] + key.components {
            if let child = try childKey(id, name) {
                id = child.id
            } else {
                try db.run("INSERT INTO registry_keys(parent, name) VALUES(?, ?)", [.integer(id), .text(name)])
                id = db.lastInsertRowID
            }
        }
        return id
    }

    /// Whether `key` exists.
    public func keyExists(_ key: RegistryKeyPath) throws(RegistryError) -> Bool {
        try keyID(key) != nil
    }

    /// Creates `key` and any missing parent (RegCreateKeyEx). Existing keys keep their spelling.
    public func createKey(_ key: RegistryKeyPath) throws(RegistryError) {
        _ = try write { () throws(RegistryError) in try createdKeyID(key) }
    }

    /// Deletes `key` with all its subkeys and values. Returns false if it did not exist.
    /// A root cannot be deleted.
    @discardableResult
    public func deleteKey(_ key: RegistryKeyPath) throws(RegistryError) -> Bool {
        guard !key.components.isEmpty else { throw .invalidKey(key.description, reason: "a root key cannot be deleted") }
        return try write { () throws(RegistryError) -> Bool in
            guard let id = try keyID(key) else { return false }
            let tree = "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT k.id FROM registry_keys k JOIN tree ON k.parent = tree.id)"
            try db.run("\(tree) DELETE FROM registry_values WHERE key IN (SELECT id FROM tree)", [.integer(id)])
            try db.run("\(tree) DELETE FROM registry_keys WHERE id IN (SELECT id FROM tree)", [.integer(id)])
            return true
        }
    }

    /// The names of the subkeys of `key` (in name order, as stored), or nil if `key` does not exist.
    public func subkeys(of key: RegistryKeyPath) throws(RegistryError) -> [String]? {
        try read { () throws(RegistryError) -> [String]? in
            guard let id = try keyID(key) else { return nil }
            return try db.rows("SELECT name FROM registry_keys WHERE parent = ? ORDER BY name", [.integer(id)])
                .compactMap { $0.first?.text }
        }
    }

    // MARK: Values

    /// The value `name` of `key` (`""` is the key's default value), or nil if either does not exist.
    public func value(_ key: RegistryKeyPath, _ name: String) throws(RegistryError) -> RegistryValue? {
        try read { () throws(RegistryError) -> RegistryValue? in
            guard let id = try keyID(key) else { return nil }
            return try storedValue(key, id, name)
        }
    }

    private func storedValue(_ key: RegistryKeyPath, _ id: Int64, _ name: String) throws(RegistryError) -> RegistryValue? {
        guard let stored = try storedValueName(id, name) else { return nil }
        let rows = try db.rows("SELECT type, data FROM registry_values WHERE key = ? AND name = ?", [.integer(id), .text(stored)])
        guard let row = rows.first else { return nil }
        return try decode(key, name, row[0], row[1])
    }

    private func decode(
        _ key: RegistryKeyPath, _ name: String, _ type: SQLiteValue, _ data: SQLiteValue
    ) throws(RegistryError) -> RegistryValue {
        guard let number = type.integer, let valueType = RegistryValueType(rawValue: Int32(truncatingIfNeeded: number)) else {
            throw .invalidData(key: key.description, name: name, reason: "unknown value type \(type)")
        }
        guard let value = RegistryValue(type: valueType, bytes: data.bytes) else {
            throw .invalidData(key: key.description, name: name, reason: "stored data does not fit \(valueType)")
        }
        return value
    }

    /// The values of `key` in the order they were first set, or nil if `key` does not exist.
    public func values(of key: RegistryKeyPath) throws(RegistryError) -> [(name: String, value: RegistryValue)]? {
        try read { () throws(RegistryError) -> [(name: String, value: RegistryValue)]? in
            guard let id = try keyID(key) else { return nil }
            var result: [(name: String, value: RegistryValue)] = []
            for row in try db.rows("SELECT name, type, data FROM registry_values WHERE key = ? ORDER BY rowid", [.integer(id)]) {
                let name = row[0].text ?? ""
                result.append((name, try decode(key, name, row[1], row[2])))
            }
            return result
        }
    }

    /// Sets value `name` of `key` (creating the key), replacing any value of that name whatever
    /// its type. An existing value keeps its name's spelling and its place in the value order.
    public func setValue(_ key: RegistryKeyPath, _ name: String, _ value: RegistryValue) throws(RegistryError) {
        try write { () throws(RegistryError) in
            try store(key, try createdKeyID(key), name, value)
        }
    }

    private func store(_ key: RegistryKeyPath, _ id: Int64, _ name: String, _ value: RegistryValue) throws(RegistryError) {
        if let reason = RegistryKeyPath.valueNameProblem(name) {
            throw .invalidData(key: key.description, name: name, reason: reason)
        }
        if let strings = value.strings, strings.contains(where: { $0.utf8.contains(0) }) {
            throw .invalidData(key: key.description, name: name, reason: "a string contains a NUL byte")
        }
        try db.run(
            """
            INSERT INTO registry_values(key, name, type, data) VALUES(?, ?, ?, ?)
            ON CONFLICT(key, name) DO UPDATE SET type = excluded.type, data = excluded.data
            """,
            [.integer(id), .text(try storedValueName(id, name) ?? name), .integer(Int64(value.type.rawValue)), .blob(value.storedBytes)])
    }

    /// Deletes value `name` of `key`. Returns false if it did not exist.
    @discardableResult
    public func deleteValue(_ key: RegistryKeyPath, _ name: String) throws(RegistryError) -> Bool {
        try write { () throws(RegistryError) -> Bool in
            guard let id = try keyID(key) else { return false }
            guard let stored = try storedValueName(id, name) else { return false }
            try db.run("DELETE FROM registry_values WHERE key = ? AND name = ?", [.integer(id), .text(stored)])
            return db.changes > 0
        }
    }

    /// Atomic read-modify-write of one value: `body` gets the current value (nil if none) and
    /// returns the new one (nil deletes it). No other process writes in between. Returns the new value.
    @discardableResult
    public func update(
        _ key: RegistryKeyPath, _ name: String, _ body: (RegistryValue?) throws -> RegistryValue?
    ) throws -> RegistryValue? {
        try transaction { registry in
            let old = try registry.value(key, name)
            let new = try body(old)
            if let new {
                try registry.setValue(key, name, new)
            } else if old != nil {
                try registry.deleteValue(key, name)
            }
            return new
        }
    }

    /// Appends `strings` at the end of the REG_MULTI_SZ value `name` of `key` (creating key and
    /// value), atomically. Returns the value's string count afterwards. Fails if the value
    /// exists with another type.
    @discardableResult
    public func appendMultiString(_ key: RegistryKeyPath, _ name: String, _ strings: [String]) throws(RegistryError) -> Int {
        try write { () throws(RegistryError) -> Int in
            let id = try createdKeyID(key)
            var list: [String] = []
            switch try storedValue(key, id, name) {
            case nil: break
            case .multiString(let existing)?: list = existing
            case let other?:
                throw .invalidData(key: key.description, name: name, reason: "is \(other.type), not REG_MULTI_SZ")
            }
            list += strings
            try store(key, id, name, .multiString(list))
            return list.count
        }
    }

    // MARK: Dump

    /// Every key under `key` (itself included; both roots when nil) with its values, in the
    /// layout of `reg query /s`: the full key name, then one line per value indented by four
    /// spaces (`name    TYPE    data`, `(Default)` for the unnamed value), a blank line after each key.
    /// Subkeys in name order (ignoring case), values in the order they were first set.
    public func dump(_ key: RegistryKeyPath? = nil) throws(RegistryError) -> String {
        try read { () throws(RegistryError) -> String in
            var out = ""
            let starts = key.map { [$0] } ?? RegistryRoot.allCases.map { RegistryKeyPath(root: $0) }
            for start in starts {
                guard let (id, stored) = try resolve(start) else { continue }
                try dump(stored, id, into: &out)
            }
            return out
        }
    }

    /// Every value under the keys `roots`, in one read: keys depth-first, subkeys in name order
    /// ignoring case (`lowercased()`), values in the order they were first set. Two queries in all,
    /// not two per key.
    public func allValues(
        under roots: [RegistryRoot] = RegistryRoot.allCases
    ) throws(RegistryError) -> [(key: RegistryKeyPath, name: String, value: RegistryValue)] {
        try read { () throws(RegistryError) -> [(key: RegistryKeyPath, name: String, value: RegistryValue)] in
            var children: [Int64: [(id: Int64, name: String)]] = [:]
            for row in try db.rows("SELECT id, parent, name FROM registry_keys") {
                guard let id = row[0].integer, let parent = row[1].integer, let name = row[2].text else { continue }
                children[parent, default: []].append((id, name))
            }
            var values: [Int64: [[SQLiteValue]]] = [:]
            for row in try db.rows("SELECT key, name, type, data FROM registry_values ORDER BY rowid") {
                guard let key = row[0].integer else { continue }
                values[key, default: []].append(row)
            }
            var result: [(key: RegistryKeyPath, name: String, value: RegistryValue)] = []
            func walk(_ key: RegistryKeyPath, _ id: Int64) throws(RegistryError) {
                for row in values[id] ?? [] {
                    let name = row[1].text ?? ""
                    result.append((key, name, try decode(key, name, row[2], row[3])))
                }
                for child in (children[id] ?? []).sorted(by: { $0.name.lowercased() < $1.name.lowercased() }) {
                    try walk(RegistryKeyPath(root: key.root, components: key.components + [child.name]), child.id)
                }
            }
            for root in roots {
                guard let (id, stored) = try resolve(RegistryKeyPath(root: root)) else { continue }
                try walk(stored, id)
            }
            return result
        }
    }

    private func dump(_ key: RegistryKeyPath, _ id: Int64, into out: inout String) throws(RegistryError) {
        out += ([key.root.rawValue] + key.components).joined(separator: "\\") + "\n"
        for row in try db.rows("SELECT name, type, data FROM registry_values WHERE key = ? ORDER BY rowid", [.integer(id)]) {
            let name = row[0].text ?? ""
            let value = try decode(key, name, row[1], row[2])
            out += "    \(name.isEmpty ? "(Default)" : name)    \(value.type)    \(value)\n"
        }
        out += "\n"
        for row in try db.rows("SELECT id, name FROM registry_keys WHERE parent = ? ORDER BY name", [.integer(id)]) {
            guard let child = row[0].integer, let name = row[1].text else { continue }
            try dump(RegistryKeyPath(root: key.root, components: key.components + [name]), child, into: &out)
        }
    }
}

extension Registry {
    /// `value(_:_:)` with the key given as text (`HKLM\...`).
    public func value(_ key: String, _ name: String) throws(RegistryError) -> RegistryValue? {
        try value(try RegistryKeyPath(key), name)
    }

    /// `setValue(_:_:_:)` with the key given as text (`HKLM\...`).
    public func setValue(_ key: String, _ name: String, _ value: RegistryValue) throws(RegistryError) {
        try setValue(try RegistryKeyPath(key), name, value)
    }

    /// `appendMultiString(_:_:_:)` with the key given as text (`HKLM\...`).
    @discardableResult
    public func appendMultiString(_ key: String, _ name: String, _ strings: [String]) throws(RegistryError) -> Int {
        try appendMultiString(try RegistryKeyPath(key), name, strings)
    }
}
