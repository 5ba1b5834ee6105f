import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("Notification header rules")
struct HeaderRulesTests {
    @Test(arguments: [
        ("X-Foo", "bar"), ("Authorization", "Bearer abc"), ("x_custom.1", ""), ("!#$%&'*+-.^_`|~", "v"),
        ("X-Tab", "a\tb"), ("X-Unicode", "café"),
    ])
    func acceptsValidHeaders(name: String, value: String) throws {
        try HeaderRules.validate(name: name, value: value)
    }

    @Test(arguments: [
        ("", "x", "headers", "header name must not be empty"),
        (
            "X Foo", "x", "headers.X Foo",
            "header name must be an RFC 7230 token (letters, digits, !#$%&'*+-.^_`|~)"
        ),
        (
            "X:Foo", "x", "headers.X:Foo",
            "header name must be an RFC 7230 token (letters, digits, !#$%&'*+-.^_`|~)"
        ),
        ("Host", "x", "headers.Host", "header 'Host' is set by the service and cannot be given"),
        (
            "content-length", "1", "headers.content-length",
            "header 'content-length' is set by the service and cannot be given"
        ),
        (
            "TRANSFER-ENCODING", "chunked", "headers.TRANSFER-ENCODING",
            "header 'TRANSFER-ENCODING' is set by the service and cannot be given"
        ),
        ("Connection", "close", "headers.Connection", "header 'Connection' is set by the service and cannot be given"),
        (
            "webhook-signature", "v1,x", "headers.webhook-signature",
            "header 'webhook-signature' is set by the service and cannot be given"
        ),
        ("X-A", "a\r\nHost: evil", "headers.X-A", "header value must not contain CR"),
        ("X-A", "a\nb", "headers.X-A", "header value must not contain LF"),
        ("X-A", "a\0b", "headers.X-A", "header value must not contain NUL"),
        ("X-A", "a\u{1}b", "headers.X-A", "header value must not contain a control character"),
    ])
    func refusesInvalidHeaders(name: String, value: String, field: String, message: String) {
        #expect(throws: ValidationError(field: field, message)) { try HeaderRules.validate(name: name, value: value) }
    }

    @Test func valueLimitIs8KiB() throws {
        try HeaderRules.validate(name: "X-Big", value: String(repeating: "a", count: 8192))
        #expect(throws: ValidationError(field: "headers.X-Big", "header value is longer than 8192 bytes")) {
            try HeaderRules.validate(name: "X-Big", value: String(repeating: "a", count: 8193))
        }
    }

    @Test func atMost100Headers() throws {
        let hundred = (0..<100).map { HTTPHeader(name: "X-\($0)", value: "v") }
        try HeaderRules.validate(hundred)
        #expect(throws: ValidationError(field: "headers", "at most 100 headers are allowed")) {
            try HeaderRules.validate(hundred + [HTTPHeader(name: "X-100", value: "v")])
        }
    }

    @Test func duplicateNamesIgnoringCaseAreRefused() {
        let headers = [HTTPHeader(name: "X-A", value: "1"), HTTPHeader(name: "x-a", value: "2")]
        #expect(throws: ValidationError(field: "headers.x-a", "header 'x-a' is given twice")) {
            try HeaderRules.validate(headers)
        }
    }

    @Test(arguments: [
        ("Authorization", true), ("cookie", true), ("X-Api-Key", true), ("X-Token", true),
        ("Client-Secret", true), ("X-Signature", true), ("X-AUTH-User", true), ("Proxy-Authorization", true),
        ("Set-Cookie", true), ("X-Password", true), ("X-Db-Credential", true), ("Session-Id", true),
        ("X-Cookie-Jar", true),
        ("Content-Type", false), ("X-Request-Id", false), ("Accept", false), ("X-Shop", false),
    ])
    func secretNames(name: String, isSecret: Bool) {
        #expect(HeaderRules.isSecret(name: name) == isSecret)
    }

    @Test(arguments: [
        ("https://h/x?token=abc&a=1", "https://h/x?token=***&a=1"),
        ("https://h/x?a=1&api_key=k#frag?token=t", "https://h/x?a=1&api_key=***#frag?token=t"),
        ("https://h/x?Session=s&password=p&user=u", "https://h/x?Session=***&password=***&user=u"),
        ("https://h/x?x%2Dtoken=abc", "https://h/x?x%2Dtoken=***"),
        ("https://h/x?token=&token", "https://h/x?token=&token"),
        ("https://h/x/token=abc", "https://h/x/token=abc"),
        ("https://h/{order.id}?auth={configuration.auth}", "https://h/{order.id}?auth=***"),
    ])
    func urlQueryRedaction(url: String, shown: String) {
        #expect(HeaderRules.redactedURL(url) == shown)
    }

    @Test func registeredURLsAreShownRedacted() throws {
        let spec = try NotificationSpec(
            json: .object(["url": .string("https://h/x?token=abc"), "scope": .object(["payment": .bool(true)])]))
        #expect(spec.json(redacted: true)["url"] == .string("https://h/x?token=***"))
        #expect(spec.json(redacted: false)["url"] == .string("https://h/x?token=abc"))
        let document: JSON = .object([
            "order": .object(["notifications": .array([.object(["invoke": .string("https://h/?key=k")])])])
        ])
        let shown = HeaderRules.redactedConfiguration(document)["order"]?["notifications"]?.arrayValue?.first
        #expect(shown?["invoke"] == .string("https://h/?key=***"))
    }

    @Test func redactionKeepsOrderAndNames() {
        let headers = [
            HTTPHeader(name: "X-Trace", value: "t1"),
            HTTPHeader(name: "Authorization", value: "Bearer s3cr3t"),
            HTTPHeader(name: "X-Api-Key", value: "k"),
        ]
        #expect(
            HeaderRules.redacted(headers) == [
                HTTPHeader(name: "X-Trace", value: "t1"),
                HTTPHeader(name: "Authorization", value: "***"),
                HTTPHeader(name: "X-Api-Key", value: "***"),
            ])
    }
}

@Suite struct ConfigurationRedactionTests {
    @Test func secretHeadersOfConfiguredNotificationsAreMasked() throws {
        let document = try JSON.parse(
            #"{"id":"psp","order":{"notifications":[{"url":"http://h/x","headers":{"X-Api-Key":"k1","Accept":"a"}},"#
                + #"{"url":"http://h/y"}]},"adapter":{"token":"kept"}}"#)
        let redacted = HeaderRules.redactedConfiguration(document)
        let notifications = try #require(redacted["order"]?["notifications"]?.arrayValue)
        #expect(notifications[0]["headers"] == .object(["X-Api-Key": .string("***"), "Accept": .string("a")]))
        #expect(notifications[1] == document["order"]?["notifications"]?.arrayValue?[1])
        #expect(redacted["adapter"] == document["adapter"])
    }
}
