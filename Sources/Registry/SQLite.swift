import CSQLite
import WindowsModel

/// One SQLite connection. Every C call goes through `check`, which turns a result code into a
/// `RegistryError.sqlite` naming the call, the database file and SQLite's message.
final class SQLiteConnection {
    let path: String
    private let handle: OpaquePointer
    /// Statements already prepared, by SQL text: a worker runs the same few queries over and over,
    /// and preparing (parsing and planning) cost more than running them.
    private var statements: [String: SQLiteStatement] = [:]

    /// SQLite's process-wide settings, made once before the first connection opens.
    private static let configured: Int32 = patchrig_sqlite_configure()

    /// Opens (creating if needed) the database at `path`.
    init(path: String) throws(RegistryError) {
        self.path = path
        _ = Self.configured
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw RegistryError.sqlite(call: "sqlite3_open_v2", code: rc, message: message, file: path)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        statements.removeAll()  // finalized before the connection closes
        sqlite3_close_v2(handle)
    }

    /// Throws unless `rc` is one of `ok` (SQLITE_OK by default).
    func check(_ rc: Int32, _ call: String, ok: Set<Int32> = [SQLITE_OK]) throws(RegistryError) {
        guard ok.contains(rc) else {
            throw RegistryError.sqlite(
                call: call, code: rc, message: String(cString: sqlite3_errmsg(handle)), file: path)
        }
    }

    /// Waits up to `milliseconds` for another process's lock instead of failing with SQLITE_BUSY.
    func setBusyTimeout(milliseconds: Int32) throws(RegistryError) {
        try check(sqlite3_busy_timeout(handle, milliseconds), "sqlite3_busy_timeout")
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws(RegistryError) {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), "sqlite3_exec(\(sql))")
    }

    /// Prepares `sql` and binds `parameters` (1-based, in order).
    func prepare(_ sql: String, _ parameters: [SQLiteValue] = []) throws(RegistryError) -> SQLiteStatement {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil), "sqlite3_prepare_v2(\(sql))")
        guard let statement else {
            throw RegistryError.sqlite(call: "sqlite3_prepare_v2(\(sql))", code: SQLITE_MISUSE, message: "empty statement", file: path)
        }
        let result = SQLiteStatement(connection: self, handle: statement, sql: sql)
        for (index, value) in parameters.enumerated() {
            try result.bind(value, at: Int32(index + 1))
        }
        return result
    }

    /// Runs `sql` to completion and returns every row.
    func rows(_ sql: String, _ parameters: [SQLiteValue] = []) throws(RegistryError) -> [[SQLiteValue]] {
        let statement = try cached(sql, parameters)
        defer { statement.reset() }
        var rows: [[SQLiteValue]] = []
        while let row = try statement.step() { rows.append(row) }
        return rows
    }

    /// Runs `sql` to completion, ignoring rows.
    func run(_ sql: String, _ parameters: [SQLiteValue] = []) throws(RegistryError) {
        let statement = try cached(sql, parameters)
        defer { statement.reset() }
        while try statement.step() != nil {}
    }

    /// `sql` prepared once for this connection, with `parameters` bound.
    private func cached(_ sql: String, _ parameters: [SQLiteValue]) throws(RegistryError) -> SQLiteStatement {
        if let statement = statements[sql] {
            for (index, value) in parameters.enumerated() { try statement.bind(value, at: Int32(index + 1)) }
            return statement
        }
        let statement = try prepare(sql, parameters)
        statements[sql] = statement
        return statement
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int32 { sqlite3_changes(handle) }

    /// The rowid of the last INSERT.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A value SQLite stores or returns.
enum SQLiteValue: Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])

    var integer: Int64? { if case .integer(let v) = self { v } else { nil } }
    var text: String? { if case .text(let v) = self { v } else { nil } }
    var bytes: [UInt8] {
        switch self {
        case .blob(let b): b
        case .text(let t): Array(t.utf8)
        default: []
        }
    }
}

/// A prepared statement, finalized when released (its connection keeps the ones it caches).
final class SQLiteStatement {
    private unowned let connection: SQLiteConnection
    private let handle: OpaquePointer
    private let sql: String

    init(connection: SQLiteConnection, handle: OpaquePointer, sql: String) {
        self.connection = connection
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Makes the statement ready to run again (its bindings stay until rebound), ending any read
    /// it had under way.
    func reset() { sqlite3_reset(handle) }

    func bind(_ value: SQLiteValue, at index: Int32) throws(RegistryError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .text(let t): rc = sqlite3_bind_text(handle, index, t, -1, patchrig_sqlite_transient())
        case .blob(let b):
            rc = b.withUnsafeBytes { raw in
                sqlite3_bind_blob(
                    handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), patchrig_sqlite_transient())
            }
        }
        try connection.check(rc, "sqlite3_bind(\(sql))")
    }

    /// The next row, or nil when done.
    func step() throws(RegistryError) -> [SQLiteValue]? {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_DONE { return nil }
        try connection.check(rc, "sqlite3_step(\(sql))", ok: [SQLITE_ROW])
        var row: [SQLiteValue] = []
        for column in 0..<sqlite3_column_count(handle) {
            switch sqlite3_column_type(handle, column) {
            case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(handle, column)))
            case SQLITE_TEXT:
                if let text = sqlite3_column_text(handle, column) {
                    row.append(.text(String(cString: text)))
                } else {
                    row.append(.text(""))
                }
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(handle, column))
                if count > 0, let pointer = sqlite3_column_blob(handle, column) {
                    row.append(.blob(Array(UnsafeRawBufferPointer(start: pointer, count: count))))
                } else {
                    row.append(.blob([]))
                }
            default: row.append(.null)
            }
        }
        return row
    }
}
