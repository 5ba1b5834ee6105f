import CPostgres
import NotifyFoundation

/// The rows a statement returned. It is the single owner of the `PGresult`, which it clears in
/// `deinit`; every string read from it is copied out before that (`PQgetvalue` memory belongs
/// to the `PGresult`).
public final class Rows {
    private let result: OpaquePointer
    public let statement: String
    public let count: Int
    /// Rows affected by an INSERT/UPDATE/DELETE (`PQcmdTuples`), 0 when not applicable.
    public let affected: Int

    init(result: OpaquePointer, statement: String) {
        self.result = result
        self.statement = statement
        self.count = Int(PQntuples(result))
        self.affected = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    deinit {
        PQclear(result)
    }

    public var isEmpty: Bool { count == 0 }

    public var first: Row? { count > 0 ? Row(rows: self, index: 0) : nil }

    public var all: [Row] { (0..<count).map { Row(rows: self, index: $0) } }

    fileprivate func column(_ name: String) throws -> Int32 {
        let index = PQfnumber(result, name)
        guard index >= 0 else {
            throw StoreError(kind: .failed, message: "no column '\(name)' in result", statement: statement)
        }
        return index
    }

    /// Appends the column's bytes as PostgreSQL sent them (no `String` in between); `false` for NULL.
    fileprivate func appendBytes(row: Int, column: Int32, to output: inout [UInt8]) -> Bool {
        if PQgetisnull(result, Int32(row), column) == 1 { return false }
        let length = Int(PQgetlength(result, Int32(row), column))
        guard length > 0, let value = PQgetvalue(result, Int32(row), column) else { return true }
        value.withMemoryRebound(to: UInt8.self, capacity: length) {
            output.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
        }
        return true
    }

    fileprivate func text(row: Int, column: Int32) -> String? {
        if PQgetisnull(result, Int32(row), column) == 1 { return nil }
        return String(cString: PQgetvalue(result, Int32(row), column))
    }
}

/// One row of a result, read by column name into Swift types. A wrong type or an unexpected NULL
/// is a `StoreError` naming the column and the statement, never a crash.
public struct Row {
    fileprivate let rows: Rows
    fileprivate let index: Int

    public func optionalString(_ name: String) throws -> String? {
        rows.text(row: index, column: try rows.column(name))
    }

    public func string(_ name: String) throws -> String {
        guard let value = try optionalString(name) else { throw unexpected(name, "NULL") }
        return value
    }

    /// Appends the text of a column that must not be NULL to `output` as it came from the server:
    /// for JSON that PostgreSQL rendered and the response passes through.
    public func appendBytes(_ name: String, to output: inout [UInt8]) throws {
        guard rows.appendBytes(row: index, column: try rows.column(name), to: &output) else {
            throw unexpected(name, "NULL")
        }
    }

    public func optionalInt(_ name: String) throws -> Int? {
        guard let text = try optionalString(name) else { return nil }
        guard let value = Int(text) else { throw unexpected(name, text) }
        return value
    }

    public func int(_ name: String) throws -> Int {
        guard let value = try optionalInt(name) else { throw unexpected(name, "NULL") }
        return value
    }

    public func optionalDouble(_ name: String) throws -> Double? {
        guard let text = try optionalString(name) else { return nil }
        guard let value = Double(text) else { throw unexpected(name, text) }
        return value
    }

    public func bool(_ name: String) throws -> Bool {
        switch try optionalString(name) {
        case "t": return true
        case "f": return false
        case let other: throw unexpected(name, other ?? "NULL")
        }
    }

    public func optionalJSON(_ name: String) throws -> JSON? {
        guard let text = try optionalString(name) else { return nil }
        do {
            return try JSON.parse(text, maxDepth: JSON.storedDepth)
        } catch {
            throw StoreError(
                kind: .failed, message: "column '\(name)' holds invalid JSON: \(error)",
                statement: rows.statement)
        }
    }

    public func json(_ name: String) throws -> JSON {
        guard let value = try optionalJSON(name) else { throw unexpected(name, "NULL") }
        return value
    }

    private func unexpected(_ column: String, _ value: String) -> StoreError {
        StoreError(
            kind: .failed, message: "unexpected value '\(value.prefix(40))' in column '\(column)'",
            statement: rows.statement)
    }
}
