import Foundation
import Testing

@testable import NotifyStore

/// The one SQL convention, checked on the sources: SQL text is written only in the
/// `*Statements.swift` files of NotifyStore, and every statement declared there is in
/// `StatementCatalog` (which the schema test prepares) and used by the code.
@Suite struct StatementConventionTests {
    /// `Sources/` of this package, found from this file's path.
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Every Swift file under `Sources/`, with its path relative to it and its text.
    static func swiftFiles() throws -> [(path: String, text: String)] {
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else {
            return []
        }
        return try walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
            .map { url in
                let path = String(url.path.dropFirst(sources.path.count + 1))
                return (path, try String(contentsOf: url, encoding: .utf8))
            }
            .sorted { $0.path < $1.path }
    }

    static func isStatementFile(_ path: String) -> Bool {
        path.hasPrefix("NotifyStore/") && path.hasSuffix("Statements.swift")
    }

    /// The string literals of Swift source text: each `"..."` on one line and each `"""` block,
    /// leaving out `//` comment lines.
    static func stringLiterals(in text: String) -> [String] {
        var literals: [String] = []
        var block: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if let lines = block {
                if trimmed.hasPrefix("\"\"\"") {
                    literals.append(lines.joined(separator: "\n"))
                    block = nil
                } else {
                    block = lines + [line]
                }
                continue
            }
            if trimmed.hasPrefix("//") { continue }
            var code = Substring(line)
            if line.hasSuffix("\"\"\"") {
                code = line.dropLast(3)
                block = []
            }
            literals += code.matches(of: #/"((?:[^"\\]|\\.)*)"/#).map { String($0.output.1) }
        }
        return literals
    }

    /// Whether a literal reads as SQL: a statement keyword followed by more at its start, a
    /// transaction command alone, or a clause only SQL has. (A bare `"DELETE"` is an HTTP method.)
    static func looksLikeSQL(_ literal: String) -> Bool {
        let statement =
            #/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|DROP|ALTER|TRUNCATE|LOCK|LISTEN|NOTIFY|UNLISTEN|SET|RESET|VACUUM|ANALYZE|EXPLAIN|COPY|CALL)\s+\S/#
        let transaction = #/^\s*(BEGIN|COMMIT|ROLLBACK|END|START\s+TRANSACTION)\s*;?\s*$/#
        let clause =
            #/\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+(\s+AS\s+\w+)?\s+SET|ON\s+CONFLICT)\b/#
        return literal.firstMatch(of: statement) != nil || literal.firstMatch(of: transaction) != nil
            || literal.firstMatch(of: clause) != nil
    }

    @Test func theDetectorTellsSQLFromOtherText() {
        let source = #"""
            let a = Statement("x", "SELECT 1")
            router.add("DELETE", path) { context in "done" }
            // "INSERT INTO t VALUES (1)" in a comment is not code
            let b = """
                WITH due AS (SELECT 1)
                UPDATE deliveries AS d SET due_at = now()
                """
            let c = "LISTEN notify_deliveries", d = "update the order", e = "BEGIN"
            """#
        let found = Self.stringLiterals(in: source).filter(Self.looksLikeSQL)
        #expect(
            found == [
                "SELECT 1", "    WITH due AS (SELECT 1)\n    UPDATE deliveries AS d SET due_at = now()",
                "LISTEN notify_deliveries", "BEGIN",
            ])
    }

    @Test func sqlIsWrittenOnlyInStatementFiles() throws {
        let files = try Self.swiftFiles()
        #expect(files.count > 50, "found only \(files.count) Swift files under \(Self.sources.path)")
        #expect(files.contains { Self.isStatementFile($0.path) })
        var misplaced: [String] = []
        for file in files where !Self.isStatementFile(file.path) {
            for literal in Self.stringLiterals(in: file.text) where Self.looksLikeSQL(literal) {
                misplaced.append("\(file.path): \(literal.prefix(60))")
            }
        }
        #expect(misplaced.isEmpty, "SQL outside NotifyStore/*Statements.swift:\n\(misplaced.joined(separator: "\n"))")
    }

    /// A statement declared with a fixed name and left out of the catalog would never be prepared by
    /// the schema test, nor be printable by `notifyctl sql`.
    @Test func everyDeclaredStatementIsInTheCatalogOnce() throws {
        let names = StatementCatalog.all.map(\.name)
        #expect(
            Set(names).count == names.count, "duplicate names: \(names.filter { n in names.count { $0 == n } > 1 })")
        var declared: [String] = []
        for file in try Self.swiftFiles() where Self.isStatementFile(file.path) {
            declared += file.text.matches(of: #/Statement\(\s*"([a-z0-9_]+)"/#).map { String($0.output.1) }
        }
        #expect(declared.count >= 50, "found only \(declared.count) declarations")
        #expect(Set(declared).subtracting(names).sorted() == [])
    }

    /// Every statement of a `*Statements.swift` file is run somewhere: the catalog holds no dead SQL.
    @Test func everyDeclaredStatementIsUsed() throws {
        let files = try Self.swiftFiles()
        var unused: [String] = []
        for file in files where Self.isStatementFile(file.path) {
            let owner = String(file.path.dropFirst("NotifyStore/".count).dropLast(".swift".count))
            let properties = file.text.matches(
                of: #/static (?:let|func) (\w+)\s*(?:=\s*Statement\(|\([^)]*\)\s*->\s*Statement)/#
            )
            .map { String($0.output.1) }
            for property in properties {
                let reference = "\(owner).\(property)"
                if !files.contains(where: { $0.path != file.path && $0.text.contains(reference) }) {
                    unused.append(reference)
                }
            }
        }
        #expect(unused.isEmpty, "declared and never used: \(unused)")
    }

    @Test func catalogFindsAStatementByName() throws {
        let claim = try #require(StatementCatalog.named("deliveries_claim"))
        #expect(claim == DeliveryStatements.claim)
        #expect(StatementCatalog.named("connection_ping")?.sql == "SELECT 1 AS alive")
        #expect(StatementCatalog.named("no_such_statement") == nil)
    }

    /// What a reconnect may run again: reads and state-setting writes yes; the transaction's end,
    /// counters, inserts and claims no (their first run may have committed).
    @Test func onlyStatementsMarkedSafeAreRepeated() throws {
        let safe = Set(StatementCatalog.all.filter(\.safeToRepeat).map(\.name))
        for name in [
            "connection_ping", "transaction_begin", "token_owner", "order_lock", "notifications_select",
            "events_page_0",
            "destination_pause",
        ] {
            #expect(safe.contains(name), "\(name) should be safe to repeat")
        }
        for name in [
            "transaction_commit", "transaction_rollback", "rate_limit_hit", "deliveries_claim", "deliveries_complete",
            "events_record", "event_record", "event_retry", "merchant_rotate_secret", "destination_rotate_secret",
            "token_revoke",
        ] {
            #expect(!safe.contains(name), "\(name) must not be repeated")
        }
    }
}
