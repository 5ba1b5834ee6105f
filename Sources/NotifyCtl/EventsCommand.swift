import ArgumentParser

/// `notifyctl events list|show|retry`: the Notification API from a terminal, as a table for people
/// or as the API's JSON (`--json`) for scripts.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List, show and retry events through the API (NOTIFY_URL, NOTIFY_MERCHANT, NOTIFY_TOKEN).",
        subcommands: [List.self, Show.self, Retry.self])

    static let base = "/api/v0/checkout/notifications/events"

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Events, newest first, with the API's filters.")

        @Option(help: "Only this order's events.") var orderId: String?
        @Option(help: "Scope key, e.g. state.completed, payment, shipping, or a pointer.") var scope: String?
        @Option(help: "pending, succeeded or failed.") var status: String?
        @Option(help: "Only this channel's events.") var channel: String?
        @Option(help: "Only events of notifications with this adapterId.") var adapterId: String?
        @Option(help: "Only events of notifications with this reference.") var reference: String?
        @Option(help: "Only events to this destination.") var destinationId: String?
        @Option(help: "Events to skip (paging).") var offset: Int?
        @Option(help: "Events per page, 1 to 100 (default 10).") var limit: Int?
        @Flag(help: "Print the API's JSON answer instead of a table.") var json = false

        func run() throws {
            let filters: [(String, String?)] = [
                ("orderId", orderId), ("scope", scope), ("status", status), ("channel", channel),
                ("adapterId", adapterId), ("reference", reference), ("destinationId", destinationId),
                ("offset", offset.map(String.init)), ("limit", limit.map(String.init)),
            ]
            let query = filters.compactMap { name, value in value.map { (name, $0) } }
            let page = try APIClient.fromEnvironment().expect(200, "GET", base, query: query)
            if json {
                print(page.serialized())
                return
            }
            print(EventTable.list(page), terminator: "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One event with every attempt.")

        @Argument(help: "The event id.") var eventId: String
        @Flag(help: "Print the API's JSON answer instead of text.") var json = false

        func run() throws {
            let event = try APIClient.fromEnvironment().expect(200, "GET", "\(base)/\(APIClient.escape(eventId))")
            print(json ? event.serialized() + "\n" : EventTable.detail(event), terminator: "")
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schedule one manual attempt now (same webhook-id as before).")

        @Argument(help: "The event id.") var eventId: String
        @Flag(help: "Print the API's JSON answer instead of a line.") var json = false

        func run() throws {
            let event = try APIClient.fromEnvironment()
                .expect(202, "POST", "\(base)/\(APIClient.escape(eventId))/retry")
            if json {
                print(event.serialized())
            } else {
                let status = event["status"]?.stringValue ?? "?"
                print(
                    "retry scheduled: event \(eventId) is \(status), next attempt \(EventTable.text(event["nextAttemptAt"]))"
                )
            }
        }
    }
}
