import Foundation
import Logging
import NotifyFoundation

/// Writes each log record as one JSON object per line on stderr, so logs from every
/// worker and sweep can be collected and queried without parsing free text. Metadata keys are
/// dotted (`order.id`, `http.status`); secrets and whole payloads never go into them.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    /// Bootstraps swift-log once per process with the level named by `NOTIFY_LOG_LEVEL` (default info).
    public static func bootstrap(levelName: String?) {
        let level = levelName.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(key: String, value: JSON)] = [
            ("level", .string(event.level.rawValue)), ("logger", .string(label)),
            ("msg", .string(event.message.description)), ("pid", .number(Double(getpid()))),
            ("ts", .string(Self.timestamp())),
        ]
        for (key, value) in metadata { Self.set(key, Self.json(value), in: &fields) }
        for (key, value) in event.metadata ?? [:] { Self.set(key, Self.json(value), in: &fields) }
        // The serializer's form of the object, keys sorted by their bytes, written without a tree.
        fields.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(UInt8(ascii: "{"))
        for (position, field) in fields.enumerated() {
            if position > 0 { line.append(UInt8(ascii: ",")) }
            JSON.appendString(field.key, to: &line)
            line.append(UInt8(ascii: ":"))
            field.value.appendSerialized(to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        Self.writeToStandardError(line)
    }

    /// Sets `key` (the last value given wins, metadata over the fixed fields).
    private static func set(_ key: String, _ value: JSON, in fields: inout [(key: String, value: JSON)]) {
        if let index = fields.firstIndex(where: { $0.key == key }) {
            fields[index].value = value
        } else {
            fields.append((key, value))
        }
    }

    /// The line with `write(2)` on file descriptor 2, as `fwrite` on the unbuffered `stderr` did
    /// (a line up to `PIPE_BUF` bytes arrives in one piece), without naming C's global `stderr`,
    /// a mutable variable that Swift 6 refuses to read from concurrent code.
    private static func writeToStandardError(_ line: [UInt8]) {
        line.withUnsafeBytes { bytes in
            guard var next = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let written = write(STDERR_FILENO, next, left)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                next += written
                left -= written
            }
        }
    }

    /// Numbers logged as `.stringConvertible` stay numbers in the JSON line.
    private static func json(_ value: Logger.MetadataValue) -> JSON {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let item):
            if let number = item as? any BinaryInteger { return .number(Double(number)) }
            if let number = item as? Double { return .number(number) }
            return .string(item.description)
        case .array(let items): return .array(items.map(json))
        case .dictionary(let items): return .object(items.mapValues(json))
        }
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp.rfc3339(unixMillis: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)
    }
}
