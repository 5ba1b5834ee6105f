import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("Delivery URL validation")
struct TargetURLTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        let text: String
        let scheme: String
        let host: String
        let port: Int?
        let pathAndQuery: String
        var testDescription: String { text }
    }

    static let valid: [Valid] = [
        Valid(text: "https://example.com/hook", scheme: "https", host: "example.com", port: nil, pathAndQuery: "/hook"),
        Valid(text: "HTTP://Example.COM", scheme: "http", host: "example.com", port: nil, pathAndQuery: "/"),
        Valid(
            text: "http://127.0.0.1:8080/a?b=c", scheme: "http", host: "127.0.0.1", port: 8080, pathAndQuery: "/a?b=c"),
        Valid(text: "https://[::1]:9/x", scheme: "https", host: "::1", port: 9, pathAndQuery: "/x"),
        Valid(text: "https://a.example?q=1#frag", scheme: "https", host: "a.example", port: nil, pathAndQuery: "/?q=1"),
        Valid(text: "https://h/p%20q", scheme: "https", host: "h", port: nil, pathAndQuery: "/p%20q"),
        Valid(text: "http://my_host:65535/", scheme: "http", host: "my_host", port: 65535, pathAndQuery: "/"),
    ]

    @Test(arguments: valid)
    func parsesValidURLs(_ example: Valid) throws {
        let url = try TargetURL(parsing: example.text)
        #expect(url.scheme == example.scheme)
        #expect(url.host == example.host)
        #expect(url.port == example.port)
        #expect(url.pathAndQuery == example.pathAndQuery)
    }

    static let invalid: [(String, String)] = [
        ("", "URL must not be empty"),
        ("ftp://example.com/", "URL scheme must be http or https, not 'ftp'"),
        ("example.com/hook", "URL must be absolute, starting with http:// or https://"),
        ("https://user:pw@example.com/", "URL must not contain user-info (user:password@)"),
        ("https://example.com/a b", "URL must not contain whitespace"),
        ("https://example.com/a\nb", "URL must not contain control characters"),
        ("https://example.com/\u{7f}", "URL must not contain control characters"),
        ("https:///path", "URL must have a host"),
        ("https://example.com:0/", "URL port must be a number from 1 to 65535"),
        ("https://example.com:65536/", "URL port must be a number from 1 to 65535"),
        ("https://example.com:/", "URL port must be a number from 1 to 65535"),
        ("https://example.com:8a/", "URL port must be a number from 1 to 65535"),
        ("https://[::1/", "URL has an unclosed '[' in its host"),
        ("https://[zz::1]/", "URL host '[zz::1]' is not an IPv6 address"),
        ("https://exa mple.com/", "URL must not contain whitespace"),
        ("https://ex!ample.com/", "URL host 'ex!ample.com' may only contain letters, digits, '-', '_' and '.'"),
        ("https://example.com/é", "URL must be ASCII; percent-encode other characters"),
        ("https://example.com/{x}", "URL character '{' must be percent-encoded"),
        ("https://example.com/%zz", "URL has a '%' not followed by two hex digits"),
    ]

    @Test(arguments: invalid)
    func refusesInvalidURLs(text: String, message: String) {
        #expect(throws: ValidationError(field: "url", message)) { try TargetURL(parsing: text) }
    }

    @Test func lengthLimitIs2048() throws {
        let prefix = "https://example.com/"
        let exact = prefix + String(repeating: "a", count: TargetURL.maxLength - prefix.count)
        #expect(try TargetURL(parsing: exact).pathAndQuery.count == 2048 - 19)
        #expect(throws: ValidationError(field: "url", "URL is longer than 2048 characters")) {
            try TargetURL(parsing: exact + "a")
        }
    }

    @Test func errorsNameTheGivenField() {
        #expect(throws: ValidationError(field: "invoke", "URL must have a host")) {
            try TargetURL(parsing: "http://", field: "invoke")
        }
    }

    @Test func descriptionAndEffectivePort() throws {
        let url = try TargetURL(parsing: "HTTPS://[::1]/a?b#c")
        #expect(url.description == "https://[::1]/a?b")
        #expect(url.effectivePort == 443)
        #expect(try TargetURL(parsing: "http://h").effectivePort == 80)
    }
}
