import ArgumentParser
import NotifyStore

/// `notifyctl sql NAME`: the SQL text of one statement of the statement catalog, exactly as the
/// code prepares it, so that tools outside Swift (the benchmark's pgbench scripts) run the
/// statements the service runs rather than copies that drift. `--list` prints every name.
struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Print the SQL of a statement of the service by its name (no database needed).")

    @Flag(help: "Print the name of every statement, one a line.") var list = false
    @Argument(help: "The statement's name, as --list prints it (e.g. deliveries_claim).") var name: String?

    func validate() throws {
        guard list != (name != nil) else {
            throw ValidationError("give either a statement name or --list")
        }
    }

    func run() throws {
        guard let name else {
            for statement in StatementCatalog.all { print(statement.name) }
            return
        }
        guard let statement = StatementCatalog.named(name) else {
            throw CtlSupport.fail("no statement named '\(name)' (notifyctl sql --list prints the names)", code: 2)
        }
        print(statement.sql)
    }
}
