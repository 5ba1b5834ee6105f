import NotifyFoundation
import NotifyStore

/// `GET /api/v0/checkout/notifications/stats`: the merchant's attempts per minute by outcome over
/// the last hour and the current due backlog, in one cheap call, for the dashboard's home chart.
enum StatsRoutes {
    static let path = "/api/v0/checkout/notifications/stats"

    static func register(in router: inout Router) {
        router.add("GET", path) { context in
            let snapshot = try StatsStore(connection: try context.database.connection())
                .snapshot(merchant: context.merchant, now: context.ids.timestamp)
            return .json(200, render(snapshot, now: context.ids.timestamp))
        }
    }

    static func render(_ snapshot: StatsStore.Snapshot, now: String) -> JSON {
        let minutes = snapshot.minutes.map { minute in
            JSON.object([
                "start": .string(minute.start),
                "succeeded": .number(Double(minute.succeeded)),
                "httpErrors": .number(Double(minute.httpErrors)),
                "transportErrors": .number(Double(minute.transportErrors)),
            ])
        }
        return .object([
            "now": .string(now),
            "minutes": .array(minutes),
            "dueBacklog": .number(Double(snapshot.dueBacklog)),
            "oldestDueAt": snapshot.oldestDueAt.map { .string($0) } ?? .null,
        ])
    }
}
