import ArgumentParser

/// `notifyctl demo order`: the second of the README's "first webhook in three commands". It goes
/// through the API as an order service would: creates an order, registers a notification for
/// `state.completed` to the URL of a `notifyctl listen`, moves the order to completed, and prints
/// the event that change recorded.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Try the service end to end.", subcommands: [Order.self])

    struct Order: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an order notifying --url when it completes, then complete it.")

        @Option(help: "Where the notification goes (a `notifyctl listen`).") var url = "http://127.0.0.1:9000/webhook"
        @Option(help: "The order's channel.") var channel = "demo"
        @Flag(help: "Print the recorded event as the API's JSON.") var json = false

        func run() throws {
            let api = try APIClient.fromEnvironment()
            let orders = "/api/v0/checkout/orders"
            let order = try api.expect(
                201, "POST", orders,
                body: .object([
                    "reference": .string("notifyctl demo"), "currency": .string("EUR"),
                    "cart": .object(["items": .array([.object(["sku": .string("tea"), "quantity": .number(1)])])]),
                ]),
                headers: ["X-Channel": channel])
            guard let orderId = order["id"]?.stringValue else {
                throw CtlSupport.fail("the API answered an order without an id")
            }
            _ = try api.expect(
                201, "POST", "\(orders)/\(orderId)/notifications",
                body: .object([
                    "url": .string(url), "scope": .object(["state": .array([.string("completed")])]),
                ]))
            for status in ["processing", "accepted", "completed"] {
                _ = try api.expect(
                    200, "PUT", "\(orders)/\(orderId)/state", body: .object(["currentStatus": .string(status)]))
            }
            let page = try api.expect(
                200, "GET", EventsCommand.base, query: [("orderId", orderId), ("scope", "state.completed")])
            guard let event = page["data"]?.arrayValue?.first else {
                throw CtlSupport.fail("order \(orderId) completed, but no event was recorded for it")
            }
            if json {
                print(event.serialized())
                return
            }
            print("order \(orderId): checkout -> processing -> accepted -> completed")
            print(
                "event \(EventTable.text(event["id"])) (state.completed) to \(url): \(EventTable.text(event["status"]))"
            )
            print("see it: notifyctl events show \(EventTable.text(event["id"]))")
        }
    }
}
