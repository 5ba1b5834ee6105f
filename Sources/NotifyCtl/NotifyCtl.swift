import ArgumentParser
import Foundation
import NotifyFoundation
import NotifyStore

/// `notifyctl`: administration of a Notify installation.
struct NotifyCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifyctl",
        abstract:
            "Administer Notify (migrations, merchants, tokens, history housekeeping) and work with its events and webhooks.",
        subcommands: [
            Migrate.self, MerchantCommand.self, TokenCommand.self, HousekeepingCommand.self, EventsCommand.self,
            ListenCommand.self, DemoCommand.self, SQLCommand.self,
        ])
}

/// What every subcommand shares: the database connection and JSON output.
enum CtlSupport {
    static func connect() throws -> Connection {
        let url = DatabaseURL.fromEnvironment(
            ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath)
        return try Connection(conninfo: url)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    static func printJSON(_ fields: [String: String]) {
        print(JSON.object(fields.mapValues { .string($0) }).serialized())
    }

    /// Writes one line straight to `output` (no stdio buffer), so a reader of a pipe sees each line
    /// when it happens.
    static func printLine(to output: FileHandle, _ line: String) {
        try? output.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Ends the command with a message on stderr and a distinct exit code.
    static func fail(_ message: String, code: Int32 = 1) -> ExitCode {
        FileHandle.standardError.write(Data("notifyctl: \(message)\n".utf8))
        return ExitCode(code)
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the database migrations (idempotent).")

    func run() throws {
        let applied = try Migrator(connection: try CtlSupport.connect()).migrate(try Migrator.bundled())
        print(applied.isEmpty ? "schema is up to date" : "applied: \(applied.joined(separator: ", "))")
    }
}
