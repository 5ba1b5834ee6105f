import NotifyFoundation

/// A delivery URL that passed the registration rules: `http` or `https`, a host, no user-info, no
/// whitespace or control characters, at most 2048 characters. Parsed once into the parts the
/// delivery code needs, so nothing downstream re-parses a URL a client wrote.
public struct TargetURL: Equatable, Sendable, CustomStringConvertible {
    /// The longest URL accepted, in bytes of its (ASCII) text.
    public static let maxLength = 2048

    /// `http` or `https`, lowercase.
    public let scheme: String
    /// The host, lowercase; an IPv6 literal without its brackets.
    public let host: String
    /// The port written in the URL, if any.
    public let port: Int?
    /// Path and query as written (`/` when the URL has no path); the fragment is dropped.
    public let pathAndQuery: String

    /// The port a connection goes to: the explicit one or the scheme's default.
    public var effectivePort: Int { port ?? (scheme == "https" ? 443 : 80) }

    /// The normalised URL text: lowercase scheme and host, no fragment.
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        let portText = port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(hostText)\(portText)\(pathAndQuery)"
    }

    /// Validates and parses an absolute URL (after any template expansion).
    /// - Parameter field: the field named in errors (`url`, `invoke`, ...).
    /// - Throws: `ValidationError` on `field` saying which rule the URL breaks.
    public init(parsing text: String, field: String = "url") throws(ValidationError) {
        func fail(_ message: String) -> ValidationError { ValidationError(field: field, message) }
        guard !text.isEmpty else { throw fail("URL must not be empty") }
        guard text.utf8.count <= Self.maxLength else {
            throw fail("URL is longer than \(Self.maxLength) characters")
        }
        if let bad = text.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value == 0x7f }) {
            let isSpace = bad.value == 0x20 || bad == "\t"
            throw fail(isSpace ? "URL must not contain whitespace" : "URL must not contain control characters")
        }
        guard text.unicodeScalars.allSatisfy(\.isASCII) else {
            throw fail("URL must be ASCII; percent-encode other characters")
        }
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw fail("URL must be absolute, starting with http:// or https://")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw fail("URL scheme must be http or https, not '\(scheme)'")
        }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var pathAndQuery = String(rest[authorityEnd...])
        if let hash = pathAndQuery.firstIndex(of: "#") { pathAndQuery = String(pathAndQuery[..<hash]) }
        if pathAndQuery.isEmpty || pathAndQuery.hasPrefix("?") { pathAndQuery = "/" + pathAndQuery }
        guard !authority.contains("@") else { throw fail("URL must not contain user-info (user:password@)") }
        let (host, port) = try Self.parseAuthority(authority, fail: fail)
        try Self.checkPathAndQuery(pathAndQuery, fail: fail)
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathAndQuery = pathAndQuery
    }

    private static func parseAuthority(
        _ authority: Substring, fail: (String) -> ValidationError
    ) throws(ValidationError) -> (String, Int?) {
        var host: String
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw fail("URL has an unclosed '[' in its host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            guard IPAddress.parseIPv6(host) != nil else { throw fail("URL host '[\(host)]' is not an IPv6 address") }
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("URL has characters after ']' in its host") }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = String(parts[0])
            if parts.count == 2 { portText = parts[1] }
            guard !host.isEmpty else { throw fail("URL must have a host") }
            guard host.unicodeScalars.allSatisfy(isHostCharacter) else {
                throw fail("URL host '\(host)' may only contain letters, digits, '-', '_' and '.'")
            }
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), (1...65535).contains(value)
            else { throw fail("URL port must be a number from 1 to 65535") }
            port = value
        }
        return (host.lowercased(), port)
    }

    private static func checkPathAndQuery(_ text: String, fail: (String) -> ValidationError) throws(ValidationError) {
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            if "\"<>\\^`{|}".unicodeScalars.contains(scalar) {
                throw fail("URL character '\(scalar)' must be percent-encoded")
            }
            if scalar == "%" {
                let hex = scalars.dropFirst(index + 1).prefix(2)
                guard hex.count == 2, hex.allSatisfy({ Character($0).isHexDigit }) else {
                    throw fail("URL has a '%' not followed by two hex digits")
                }
            }
        }
    }

    private static func isHostCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_": return true
        default: return false
        }
    }
}
