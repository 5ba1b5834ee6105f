import NotifyFoundation

/// Decides which events a change creates: every registered notification with a
/// scope that fires for `before` → `after` gets one event.
public enum EventPlanner {
    /// - Parameters:
    ///   - order: the order right after the change (`OrderView.payloadJSON`), frozen into the body.
    ///   - configurations: channel configuration documents by id, for `{configuration.…}` placeholders.
    ///   - makeId: a new UUIDv7 per event.
    ///   - matchSteps: the ``MatchBudget`` of the whole change's schema patterns.
    /// - Throws: `ValidationError` on `notifications` naming the notification whose schema used up
    ///   the budget: the change is refused (a 400), since whether it fires is unknown.
    public static func plan(
        before: JSON, after: JSON, order: JSON, notifications: [RegisteredNotification],
        configurations: [String: JSON], createdAt: String, makeId: () -> String,
        matchSteps: Int = MatchBudget.defaultSteps
    ) throws(ValidationError) -> [PlannedEvent] {
        let budget = MatchBudget(limit: matchSteps)
        var events: [PlannedEvent] = []
        for notification in notifications {
            let scopes = notification.spec.matchingScopes(before: before, after: after, budget: budget)
            if budget.isExhausted {
                throw ValidationError(
                    field: "notifications",
                    "notification '\(notification.id)': its schema patterns need more than \(matchSteps) matching "
                        + "steps for this change (a pattern's steps are its size times the length of the text)")
            }
            if let event = event(
                for: notification, scope: scopes.first, after: after, order: order,
                configurations: configurations, createdAt: createdAt, makeId: makeId)
            {
                events.append(event)
            }
        }
        return events
    }

    private static func event(
        for notification: RegisteredNotification, scope: Scope?, after: JSON, order: JSON,
        configurations: [String: JSON], createdAt: String, makeId: () -> String
    ) -> PlannedEvent? {
        guard let scope else { return nil }
        let id = makeId()
        let key = scope.eventKey(after: after)
        let queryKey = scope.queryKey(after: after)
        let spec = notification.spec
        var url = ""
        var origin: String?
        var error: String?
        do {
            let configuration = spec.adapterId.flatMap { configurations[$0] }
            let target = try spec.url.target(order: after, configuration: configuration)
            url = target.description
            origin = Destination.origin(of: target)
        } catch let failure {
            error = "\(failure)"
        }
        let payload = JSON.object([
            "event": .object(["id": .string(id), "scope": .string(key), "createdAt": .string(createdAt)]),
            "notification": notification.json(redacted: true),
            "order": order,
        ])
        return PlannedEvent(
            id: id, notificationId: notification.id, adapterId: spec.adapterId, reference: spec.reference,
            scope: key, scopeKey: queryKey, method: spec.method, url: url, origin: origin, headers: spec.headers,
            payload: payload, error: error)
    }
}
