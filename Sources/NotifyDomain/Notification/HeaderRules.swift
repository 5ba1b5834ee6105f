import NotifyFoundation

/// What a notification may put in its request headers, and which values are secrets. Checked at
/// registration so a notification can never smuggle a second request (CR/LF), override framing
/// headers that curl owns, or forge the Standard Webhooks headers; secrets are masked in every
/// response and payload.
public enum HeaderRules {
    /// At most this many headers per notification.
    public static let maxHeaders = 100
    /// At most this many UTF-8 bytes per header value (8 KiB).
    public static let maxValueBytes = 8 * 1024
    /// The text shown in place of a secret header value.
    public static let redaction = "***"

    /// Names (lowercase) refused because the transport or the signing owns them.
    public static let refusedNames: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection",
        "webhook-id", "webhook-timestamp", "webhook-signature",
    ]

    private static let secretNames: Set<String> = ["authorization", "cookie"]
    private static let secretFragments = [
        "key", "token", "secret", "signature", "auth", "password", "credential", "session", "cookie",
    ]

    /// Checks one header; errors name the field `headers.<name>` (under `field`).
    public static func validate(name: String, value: String, field: String = "headers") throws(ValidationError) {
        let headerField = "\(field).\(name)"
        guard !name.isEmpty else { throw ValidationError(field: field, "header name must not be empty") }
        guard name.unicodeScalars.allSatisfy(isTokenCharacter) else {
            throw ValidationError(
                field: headerField, "header name must be an RFC 7230 token (letters, digits, !#$%&'*+-.^_`|~)")
        }
        guard !refusedNames.contains(name.lowercased()) else {
            throw ValidationError(field: headerField, "header '\(name)' is set by the service and cannot be given")
        }
        if let bad = value.unicodeScalars.first(where: isForbiddenInValue) {
            let label = bad == "\r" ? "CR" : bad == "\n" ? "LF" : bad == "\0" ? "NUL" : "a control character"
            throw ValidationError(field: headerField, "header value must not contain \(label)")
        }
        guard value.utf8.count <= maxValueBytes else {
            throw ValidationError(field: headerField, "header value is longer than \(maxValueBytes) bytes")
        }
    }

    /// Checks a whole header list: each header, the count, and no name given twice (ignoring case).
    public static func validate(_ headers: [HTTPHeader], field: String = "headers") throws(ValidationError) {
        guard headers.count <= maxHeaders else {
            throw ValidationError(field: field, "at most \(maxHeaders) headers are allowed")
        }
        var seen: Set<String> = []
        for header in headers {
            try validate(name: header.name, value: header.value, field: field)
            guard seen.insert(header.name.lowercased()).inserted else {
                throw ValidationError(field: "\(field).\(header.name)", "header '\(header.name)' is given twice")
            }
        }
    }

    /// Whether a header's (or query parameter's) value is a secret: `Authorization`, `Cookie`, or a
    /// name containing `key`, `token`, `secret`, `signature`, `auth`, `password`, `credential`,
    /// `session` or `cookie` (ignoring case).
    public static func isSecret(name: String) -> Bool {
        let lower = name.lowercased()
        return secretNames.contains(lower) || secretFragments.contains { lower.contains($0) }
    }

    /// A POSIX regular expression (for a case-insensitive match) that finds exactly the names
    /// ``isSecret(name:)`` calls secret when they are ASCII, as header names always are: lets
    /// PostgreSQL redact the headers of a response it renders, by the same rule.
    public static var secretNamePattern: String {
        "^(" + secretNames.sorted().joined(separator: "|") + ")$|" + secretFragments.joined(separator: "|")
    }

    /// The headers with every secret value replaced by `***`, order and names kept.
    public static func redacted(_ headers: [HTTPHeader]) -> [HTTPHeader] {
        headers.map { isSecret(name: $0.name) ? HTTPHeader(name: $0.name, value: redaction) : $0 }
    }

    /// A URL (or URL template) as shown in responses: the value of every query parameter whose
    /// name is a secret (by the header rule, `?token=abc` or `?api_key=abc`) replaced by `***`.
    /// Receivers that take their credential in the query get it; nobody reading the API does.
    public static func redactedURL(_ url: String) -> String {
        guard let question = url.utf8.firstIndex(of: UInt8(ascii: "?")) else { return url }
        let fragmentStart = url.utf8[question...].firstIndex(of: UInt8(ascii: "#")) ?? url.endIndex
        let query = url[url.index(after: question)..<fragmentStart]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter in
            guard let equals = parameter.firstIndex(of: "=") else { return String(parameter) }
            let name = parameter[..<equals]
            let decodedName = name.removingPercentEncodingASCII()
            guard isSecret(name: decodedName), parameter.index(after: equals) < parameter.endIndex else {
                return String(parameter)
            }
            return "\(name)=\(redaction)"
        }
        return url[...question] + parameters.joined(separator: "&") + url[fragmentStart...]
    }

    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
        }
    }

    /// CR, LF, NUL and the other controls except horizontal tab, which RFC 7230 allows.
    private static func isForbiddenInValue(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7f
    }

    /// A channel configuration document with the secret header values of its
    /// `order.notifications[].headers` and the secret query values of their `url` / `invoke` shown
    /// as `***`, for responses: the document is stored as
    /// sent (the values are needed for deliveries) but never echoed in clear.
    public static func redactedConfiguration(_ document: JSON) -> JSON {
        guard var object = document.objectValue, var order = object["order"]?.objectValue,
            let notifications = order["notifications"]?.arrayValue
        else { return document }
        order["notifications"] = .array(
            notifications.map { notification in
                guard var fields = notification.objectValue else { return notification }
                for key in ["url", "invoke"] {
                    if let url = fields[key]?.stringValue { fields[key] = .string(redactedURL(url)) }
                }
                guard let headers = fields["headers"]?.objectValue else { return .object(fields) }
                fields["headers"] = .object(
                    headers.reduce(into: [:]) { result, header in
                        result[header.key] = isSecret(name: header.key) ? .string("***") : header.value
                    })
                return .object(fields)
            })
        object["order"] = .object(order)
        return .object(object)
    }
}

extension Substring {
    /// `%XX` escapes decoded (bytes as Latin-1, enough to compare a name with ASCII fragments);
    /// a `%` not followed by two hex digits is kept as it is.
    fileprivate func removingPercentEncodingASCII() -> String {
        var result = ""
        var index = startIndex
        while index < endIndex {
            let char = self[index]
            let next = self.index(after: index)
            if char == "%", let end = self.index(next, offsetBy: 2, limitedBy: endIndex),
                let byte = UInt8(self[next..<end], radix: 16)
            {
                result.unicodeScalars.append(Unicode.Scalar(byte))
                index = end
            } else {
                result.append(char == "+" ? " " : char)
                index = next
            }
        }
        return result
    }
}
