import NotifyDomain

/// The SQL that renders an event of a page as the API's JSON text (see `EventStatements.page`).
extension EventStatements {
    /// The event's JSON text up to the value of `request.url`: keys sorted by their bytes, no
    /// whitespace, numbers as integers and strings escaped as the API's serializer writes them (as
    /// `to_json` does), so the bytes are those the serializer would write for the same event.
    static func renderedHead(attemptsWhere: String?) -> String {
        """
        '{"adapterId":' || \(jsonText("page.adapter_id"))
        || ',"attemptCount":' || \(jsonNumber("page.attempt_count"))
        || ',"attempts":' || \(renderedAttempts(attemptsWhere)) || ',"channel":' || \(jsonText("page.channel"))
        || ',"createdAt":' || \(jsonPlain(rfc3339("page.created_at")))
        || ',"destinationId":' || \(jsonPlain("page.destination_id"))
        || ',"error":' || \(jsonText("page.error")) || ',"id":' || \(jsonPlain("page.event_id"))
        || ',"merchant":' || \(jsonText("page.merchant"))
        || ',"nextAttemptAt":' || \(jsonPlain(rfc3339("page.next_attempt_at")))
        || ',"notificationId":' || \(jsonText("page.notification_id"))
        || ',"orderId":' || \(jsonPlain("page.order_id")) || ',"reference":' || \(jsonText("page.reference"))
        || ',"request":{"headers":' || \(renderedHeaders)
        || ',"method":' || \(jsonText("page.request_method")) || ',"url":'
        """
    }

    /// The rest of the event's JSON after the value of `request.url`.
    static let renderedTail = """
        '},"responseBody":' || \(jsonText("page.last_response_body")) || ',"scope":' || \(jsonText("page.scope"))
        || ',"status":' || \(jsonText("page.status")) || ',"statusCode":' || \(jsonNumber("page.last_status_code"))
        || ',"timestamp":' || \(jsonPlain(rfc3339("page.last_attempt_at"))) || '}'
        """

    /// The event's request headers as a JSON object, names sorted by their bytes, every secret
    /// value (by the service's rule for secret names) shown as the redaction mark.
    static let renderedHeaders = """
        (SELECT coalesce('{' || string_agg(to_json(h.key)::text || ':' || CASE
                    WHEN h.key ~* '\(HeaderRules.secretNamePattern)' THEN '"\(HeaderRules.redaction)"'
                    WHEN jsonb_typeof(h.value) = 'string' THEN h.value::text ELSE '""' END,
                ',' ORDER BY h.key COLLATE "C") || '}', '{}')
         FROM jsonb_each(page.request_headers) AS h)
        """

    /// The latest `latestAttempts` attempts of the event as JSON text, oldest first (as `attempts`);
    /// `condition` as in `attempts(where:window:)`.
    static func renderedAttempts(_ condition: String?) -> String {
        """
        (SELECT coalesce('[' || string_agg('{"durationMs":' || \(jsonNumber("a.duration_ms"))
                    || ',"error":' || \(jsonText("a.error")) || ',"id":' || \(jsonPlain("a.attempt_id"))
                    || ',"responseBody":' || \(jsonText("a.response_body"))
                    || ',"statusCode":' || \(jsonNumber("a.status_code"))
                    || ',"timestamp":' || \(jsonPlain(rfc3339("a.attempted_at")))
                    || ',"trigger":' || \(jsonText("a.trigger")) || '}',
                ',' ORDER BY a.attempted_at, a.attempt_id) || ']', '[]')
         FROM (SELECT * FROM attempts
               WHERE attempts.merchant = page.merchant AND attempts.event_id = page.event_id\(condition.map { " AND \($0)" } ?? "")
               \(latestAttemptsWindow)) AS a)
        """
    }

    /// A value as a JSON string (`null` for NULL).
    static func jsonText(_ expression: String) -> String {
        "coalesce(to_json(\(expression))::text, 'null')"
    }

    /// A value whose text never needs escaping (a uuid, a timestamp of `rfc3339`) as a JSON string
    /// (`null` for NULL): quoted around its text, without `to_json`, which looks the type up on
    /// every call.
    static func jsonPlain(_ expression: String) -> String {
        "coalesce('\"' || (\(expression))::text || '\"', 'null')"
    }

    /// An integer column as a JSON number (`null` for NULL).
    static func jsonNumber(_ expression: String) -> String {
        "coalesce((\(expression))::text, 'null')"
    }
}
