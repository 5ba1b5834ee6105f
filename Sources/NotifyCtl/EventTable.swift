import Foundation
import NotifyFoundation

/// Events as text for a terminal: a fixed-width table for a page, key and value lines plus an
/// attempts table for one event. Response bodies and errors are cut to one line of `bodyWidth`
/// characters, with control characters shown as spaces so a receiver cannot move the cursor.
enum EventTable {
    static let bodyWidth = 80

    /// A page of events (`{"data": [...], "pagination": {...}}`) as a table and a paging line.
    static func list(_ page: JSON) -> String {
        let events = page["data"]?.arrayValue ?? []
        var rows = [["CREATED", "EVENT", "STATUS", "SCOPE", "ORDER", "TRIES", "LAST"]]
        for event in events {
            rows.append([
                text(event["createdAt"]), text(event["id"]), text(event["status"]), text(event["scope"]),
                text(event["orderId"]), text(event["attemptCount"]), text(event["statusCode"]),
            ])
        }
        let pagination = page["pagination"]
        let offset = Int(pagination?["offset"]?.numberValue ?? 0)
        let total = Int(pagination?["totalSize"]?.numberValue ?? 0)
        let footer =
            events.isEmpty
            ? "no events\n"
            : "events \(offset + 1)-\(offset + events.count) of \(total)\n"
        return (events.isEmpty ? "" : table(rows)) + footer
    }

    /// One event: its fields, the request it sends, then every attempt.
    static func detail(_ event: JSON) -> String {
        let request = event["request"]
        var lines: [String] = []
        let fields: [(String, JSON?)] = [
            ("event", event["id"]), ("status", event["status"]), ("created", event["createdAt"]),
            ("scope", event["scope"]), ("order", event["orderId"]), ("channel", event["channel"]),
            ("notification", event["notificationId"]), ("destination", event["destinationId"]),
            ("attempts", event["attemptCount"]), ("next attempt", event["nextAttemptAt"]),
        ]
        for (name, value) in fields where value != nil {
            lines.append(name.padding(14) + text(value))
        }
        lines.append("request".padding(14) + text(request?["method"]) + " " + text(request?["url"]))
        var rows = [["TIME", "TRIGGER", "STATUS", "MS", "ERROR | RESPONSE BODY"]]
        for attempt in event["attempts"]?.arrayValue ?? [] {
            let parts = [attempt["error"]?.stringValue, attempt["responseBody"]?.stringValue]
            rows.append([
                text(attempt["timestamp"]), text(attempt["trigger"]), text(attempt["statusCode"]),
                text(attempt["durationMs"]),
                oneLine(parts.compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " | ")),
            ])
        }
        let attempts = rows.count == 1 ? "no attempts yet\n" : table(rows)
        return lines.joined(separator: "\n") + "\n\n" + attempts
    }

    /// A JSON scalar as table text: `-` for null or missing, integers without a fraction.
    static func text(_ value: JSON?) -> String {
        switch value {
        case .string(let string): return oneLine(string, width: 2048)
        case .number(let number):
            return number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .bool(let bool): return String(bool)
        case .none, .null: return "-"
        default: return value?.serialized() ?? "-"
        }
    }

    /// `text` on one line of at most `width` characters.
    static func oneLine(_ text: String, width: Int = bodyWidth) -> String {
        let flat = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
            .trimmingCharacters(in: .whitespaces)
        return flat.count > width ? String(flat.prefix(width - 1)) + "…" : flat
    }

    static func table(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(widths[index]) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// This text padded with spaces to `width` characters (longer text stays as it is).
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
