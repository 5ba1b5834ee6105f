import NotifyFoundation

/// A notification's URL template (`invoke`, or `url`), parsed at registration so unknown
/// placeholders and unbalanced braces are a 400 then, and expanded when an event is created.
///
/// Placeholders: `{order.<path>}`, `{order_id}`, `{configuration.<path>}` where `<path>` is dotted
/// member names or array indexes (`{order.payments.0.id}`). Values are percent-encoded (RFC 3986
/// unreserved characters kept, and `.` too for order values), so a value can never change the URL's
/// structure — except for a placeholder that opens the template: it stands for a base URL
/// (`{configuration.adapter.internalUrl}/x`) and is inserted as it is; the expanded result is always
/// validated as a `TargetURL`.
///
/// Order data must not choose where a notification's secrets go: a placeholder filled from the
/// order (`{order.…}`, `{order_id}`) may only stand in the path, query or fragment, after a literal
/// `/`, `?` or `#` that ends the host. It may not open the template, stand in the scheme or the
/// host, nor follow the host or a leading base-URL placeholder directly (`https://h{order.x}` with
/// `.evil.example` would extend the host). `{configuration.…}` values are the merchant's own and may
/// fill the host.
public struct URLTemplate: Equatable, Sendable, CustomStringConvertible {
    /// Where a placeholder takes its value from.
    public enum Placeholder: Equatable, Sendable, CustomStringConvertible {
        /// `{order.<path>}`: a value of the order after the change.
        case order([String])
        /// `{order_id}`: the order id.
        case orderID
        /// `{configuration.<path>}`: a value of the channel configuration whose `id` is the `adapterId`.
        case configuration([String])

        /// Whether the value comes from the order (which the checkout's buyers influence), rather
        /// than from the merchant's own channel configuration.
        public var isOrderData: Bool {
            if case .configuration = self { return false }
            return true
        }

        public var description: String {
            switch self {
            case .order(let path): return "{order.\(path.joined(separator: "."))}"
            case .orderID: return "{order_id}"
            case .configuration(let path): return "{configuration.\(path.joined(separator: "."))}"
            }
        }
    }

    /// A run of literal text or one placeholder.
    public enum Part: Equatable, Sendable {
        case literal(String)
        case placeholder(Placeholder)
    }

    /// The template as written.
    public let source: String
    /// The template split into literal text and placeholders.
    public let parts: [Part]
    /// The first placeholder filled from order data that stands where it could choose the target
    /// host (see the type's documentation), if any: found once, at parsing, not at every event.
    public let orderPlaceholderOutsidePath: Placeholder?
    /// The URL of a template without placeholders, parsed once (`nil` when it has placeholders or
    /// is not a valid URL: ``target(order:configuration:)`` then expands and parses every time).
    private let fixedTarget: TargetURL?

    public var description: String { source }

    /// Whether any placeholder reads the channel configuration (it then needs an `adapterId`).
    public var usesConfiguration: Bool {
        parts.contains { if case .placeholder(.configuration) = $0 { return true } else { return false } }
    }

    /// Parses a template; the text outside placeholders is not checked here (see `validateAsURL`).
    /// - Throws: `ValidationError` on `field` for an unknown placeholder or unbalanced braces.
    public init(parsing source: String, field: String = "invoke") throws(ValidationError) {
        var parts: [Part] = []
        var literal = ""
        var rest = source[...]
        while let char = rest.first {
            if char == "}" { throw ValidationError(field: field, "unbalanced '}' in URL template") }
            guard char == "{" else {
                literal.append(char)
                rest = rest.dropFirst()
                continue
            }
            guard let close = rest.firstIndex(of: "}") else {
                throw ValidationError(field: field, "unbalanced '{' in URL template")
            }
            let inner = rest[rest.index(after: rest.startIndex)..<close]
            guard !inner.contains("{") else { throw ValidationError(field: field, "unbalanced '{' in URL template") }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(.placeholder(try Self.parsePlaceholder(inner, field: field)))
            rest = rest[rest.index(after: close)...]
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.source = source
        self.parts = parts
        self.orderPlaceholderOutsidePath = Self.firstOrderPlaceholderOutsidePath(in: parts)
        let placeholderFree = parts.allSatisfy { if case .literal = $0 { return true } else { return false } }
        self.fixedTarget = placeholderFree ? try? TargetURL(parsing: source) : nil
    }

    private static func parsePlaceholder(_ inner: Substring, field: String) throws(ValidationError) -> Placeholder {
        if inner == "order_id" { return .orderID }
        let segments = inner.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let path = Array(segments.dropFirst())
        let valid = !path.isEmpty && path.allSatisfy { !$0.isEmpty && !$0.contains(where: \.isWhitespace) }
        switch segments.first {
        case "order" where valid: return .order(path)
        case "configuration" where valid: return .configuration(path)
        case "order", "configuration":
            throw ValidationError(field: field, "placeholder '{\(inner)}' needs a dotted path, e.g. {order.id}")
        default:
            throw ValidationError(
                field: field,
                "unknown placeholder '{\(inner)}'; use {order.<path>}, {order_id} or {configuration.<path>}")
        }
    }

    /// Where a placeholder stands in the URL, as far as the literal text before it tells.
    private enum Region {
        case scheme, authority, path
    }

    private static func firstOrderPlaceholderOutsidePath(in parts: [Part]) -> Placeholder? {
        var region = Region.scheme
        for (index, part) in parts.enumerated() {
            switch part {
            case .literal(let literal):
                var rest = literal[...]
                if region == .scheme {
                    guard let separator = rest.firstRange(of: "://") else { continue }
                    region = .authority
                    rest = rest[separator.upperBound...]
                }
                if region == .authority, rest.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
                    region = .path
                }
            case .placeholder(let placeholder):
                if placeholder.isOrderData, region != .path { return placeholder }
                // A leading placeholder is a base URL: where its host ends is only known once a
                // literal `/`, `?` or `#` follows.
                if index == 0 { region = .authority }
            }
        }
        return nil
    }

    /// Checks, at registration, that the template yields a valid URL: each placeholder is replaced
    /// by `x` (a leading one by `http://x`) and the result must pass `TargetURL`; and that no order
    /// value can choose the scheme or host.
    /// - Parameter requireHTTPS: refuse a template whose literal scheme is `http`.
    public func validateAsURL(field: String = "invoke", requireHTTPS: Bool = false) throws(ValidationError) {
        try validateShape(field: field)
        if let placeholder = orderPlaceholderOutsidePath {
            throw ValidationError(
                field: field,
                "placeholder \(placeholder) may not stand in the scheme or host of the URL, nor directly after "
                    + "them: order data must not choose where the request goes; put it after a '/' in the path")
        }
        if requireHTTPS, case .literal(let literal) = parts.first, literal.lowercased().hasPrefix("http://") {
            throw ValidationError(field: field, "URL must use https (NOTIFY_REQUIRE_HTTPS is set)")
        }
    }

    private func validateShape(field: String) throws(ValidationError) {
        var text = ""
        for (index, part) in parts.enumerated() {
            switch part {
            case .literal(let literal): text += literal
            case .placeholder: text += index == 0 ? "http://x" : "x"
            }
        }
        _ = try TargetURL(parsing: text, field: field)
    }

    /// The URL an event goes to: the template expanded (``expand(order:configuration:)``) and
    /// parsed as a ``TargetURL``.
    /// - Throws: `TemplateError` or the `ValidationError` of an expanded text that is not a valid URL.
    public func target(order: JSON, configuration: JSON?) throws -> TargetURL {
        if let fixedTarget { return fixedTarget }
        return try TargetURL(parsing: try expand(order: order, configuration: configuration))
    }

    /// Expands the placeholders.
    /// - Parameters:
    ///   - order: the order as it is right after the change.
    ///   - configuration: the channel configuration whose `id` is the notification's `adapterId`, if any.
    /// - Throws: `TemplateError` naming the placeholder that has no usable value.
    public func expand(order: JSON, configuration: JSON?) throws(TemplateError) -> String {
        if let placeholder = orderPlaceholderOutsidePath {
            throw TemplateError(
                placeholder: placeholder.description, reason: "order data may not choose the scheme or host of the URL")
        }
        var result = ""
        for (index, part) in parts.enumerated() {
            switch part {
            case .literal(let literal):
                if result.hasSuffix("/"), literal.hasPrefix("/") { result.removeLast() }
                result += literal
            case .placeholder(let placeholder):
                let text = try Self.value(of: placeholder, order: order, configuration: configuration)
                result += index == 0 ? text : Self.percentEncoded(text, encodingDots: placeholder.isOrderData)
            }
        }
        return result
    }

    private static func value(of placeholder: Placeholder, order: JSON, configuration: JSON?) throws(TemplateError)
        -> String
    {
        let root: JSON
        let path: [String]
        switch placeholder {
        case .orderID:
            (root, path) = (order, ["id"])
        case .order(let orderPath):
            (root, path) = (order, orderPath)
        case .configuration(let configurationPath):
            guard let configuration else {
                throw TemplateError(
                    placeholder: placeholder.description,
                    reason: "no active channel configuration has an id equal to the notification's adapterId")
            }
            (root, path) = (configuration, configurationPath)
        }
        var current = root
        for segment in path {
            if let member = current[segment] {
                current = member
            } else if let items = current.arrayValue, let index = Int(segment), items.indices.contains(index),
                segment.allSatisfy({ $0.isASCII && $0.isNumber })
            {
                current = items[index]
            } else {
                throw TemplateError(placeholder: placeholder.description, reason: "the value is missing")
            }
        }
        switch current {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number): return formatNumber(number)
        case .null: throw TemplateError(placeholder: placeholder.description, reason: "the value is null")
        case .array, .object:
            throw TemplateError(
                placeholder: placeholder.description, reason: "the value is not a string, number or bool")
        }
    }

    /// Integral numbers without a fraction (`42`, not `42.0`); others in Swift's shortest form.
    static func formatNumber(_ number: Double) -> String {
        if number.rounded() == number, abs(number) < 9_007_199_254_740_992 { return String(Int64(number)) }
        return String(number)
    }

    /// Percent-encodes every byte but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`).
    /// A value of `.` or `..` is encoded whole (`%2E`), so a value cannot act as a dot segment and
    /// move the delivery to another path.
    /// - Parameter encodingDots: encode every `.` too (order values: a dot never reads as part of
    ///   a host name or a dot segment, whatever a receiver's URL parser does).
    public static func percentEncoded(_ text: String, encodingDots: Bool = false) -> String {
        if text == "." || text == ".." { return String(repeating: "%2E", count: text.utf8.count) }
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: ".") where !encodingDots:
                result.append(".")
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += byte < 16 ? "%0" + hex : "%" + hex
            }
        }
        return result
    }
}
