import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("URL templates")
struct TemplateTests {
    static let order: JSON = .object([
        "id": .string("ord_123"),
        "reference": .string("a b/c?d&é"),
        "total": .number(1250),
        "rate": .number(0.25),
        "paid": .bool(true),
        "note": .null,
        "customer": .object(["email": .string("jo+x@example.com")]),
        "payments": .array([.object(["id": .string("pay_1")]), .object(["id": .string("pay_2")])]),
    ])

    static let configuration: JSON = .object([
        "id": .string("adapter-1"),
        "adapter": .object(["internalUrl": .string("https://adapter.example/base/")]),
        "shop": .string("main"),
    ])

    @Test func parsesLiteralsAndPlaceholders() throws {
        let template = try URLTemplate(parsing: "https://h/{order.customer.email}/{order_id}?s={configuration.shop}")
        #expect(
            template.parts == [
                .literal("https://h/"), .placeholder(.order(["customer", "email"])), .literal("/"),
                .placeholder(.orderID), .literal("?s="), .placeholder(.configuration(["shop"])),
            ])
        #expect(template.usesConfiguration)
        #expect(try !URLTemplate(parsing: "https://h/{order.id}").usesConfiguration)
    }

    @Test(arguments: [
        ("https://h/{order.id}", "https://h/ord_123"),
        ("https://h/{order_id}", "https://h/ord_123"),
        ("https://h/?r={order.reference}", "https://h/?r=a%20b%2Fc%3Fd%26%C3%A9"),
        ("https://h/{order.total}/{order.rate}/{order.paid}", "https://h/1250/0%2E25/true"),
        ("https://h/{order.customer.email}", "https://h/jo%2Bx%40example%2Ecom"),
        ("https://h/{order.payments.1.id}", "https://h/pay_2"),
        ("https://h/{configuration.shop}", "https://h/main"),
        ("{configuration.adapter.internalUrl}/notify/{order.id}", "https://adapter.example/base/notify/ord_123"),
        ("https://h/static", "https://h/static"),
    ])
    func expands(template: String, expected: String) throws {
        let parsed = try URLTemplate(parsing: template)
        #expect(try parsed.expand(order: Self.order, configuration: Self.configuration) == expected)
    }

    @Test(arguments: [
        ("https://h/{order.customer.phone}", "{order.customer.phone}", "the value is missing"),
        ("https://h/{order.payments.5.id}", "{order.payments.5.id}", "the value is missing"),
        ("https://h/{order.note}", "{order.note}", "the value is null"),
        ("https://h/{order.customer}", "{order.customer}", "the value is not a string, number or bool"),
    ])
    func missingValuesAreTypedErrors(template: String, placeholder: String, reason: String) throws {
        let parsed = try URLTemplate(parsing: template)
        #expect(throws: TemplateError(placeholder: placeholder, reason: reason)) {
            try parsed.expand(order: Self.order, configuration: Self.configuration)
        }
    }

    @Test func configurationPlaceholderWithoutConfiguration() throws {
        let parsed = try URLTemplate(parsing: "https://h/{configuration.shop}")
        let error = TemplateError(
            placeholder: "{configuration.shop}",
            reason: "no active channel configuration has an id equal to the notification's adapterId")
        #expect(throws: error) { try parsed.expand(order: Self.order, configuration: nil) }
        #expect(error.description.hasPrefix("URL template placeholder {configuration.shop}: "))
    }

    @Test(arguments: [
        ("https://h/{foo}", "unknown placeholder '{foo}'; use {order.<path>}, {order_id} or {configuration.<path>}"),
        ("https://h/{}", "unknown placeholder '{}'; use {order.<path>}, {order_id} or {configuration.<path>}"),
        ("https://h/{order}", "placeholder '{order}' needs a dotted path, e.g. {order.id}"),
        ("https://h/{order..id}", "placeholder '{order..id}' needs a dotted path, e.g. {order.id}"),
        ("https://h/{order.id", "unbalanced '{' in URL template"),
        ("https://h/{order.{id}}", "unbalanced '{' in URL template"),
        ("https://h/order.id}", "unbalanced '}' in URL template"),
    ])
    func refusesBadTemplates(template: String, message: String) {
        #expect(throws: ValidationError(field: "invoke", message)) { try URLTemplate(parsing: template) }
    }

    @Test(
        arguments: [
            ("https://h/{order.id}", nil),
            ("{configuration.adapter.internalUrl}/x", nil),
            ("https://{configuration.host}/x", nil),
            ("ftp://h/{order.id}", "URL scheme must be http or https, not 'ftp'"),
            ("https://u@h/{order.id}", "URL must not contain user-info (user:password@)"),
            ("/relative/{order.id}", "URL must be absolute, starting with http:// or https://"),
        ] as [(String, String?)])
    func registrationCheck(template: String, message: String?) throws {
        let parsed = try URLTemplate(parsing: template)
        if let message {
            #expect(throws: ValidationError(field: "invoke", message)) { try parsed.validateAsURL() }
        } else {
            try parsed.validateAsURL()
        }
    }

    /// Order data must not choose where the request (and its secret headers) goes.
    @Test(arguments: [
        ("https://api.example.com{order.x}", "{order.x}"),
        ("https://api.example.com{order_id}/x", "{order_id}"),
        ("https://{order.host}/x", "{order.host}"),
        ("https://api.{order.x}.example.com/", "{order.x}"),
        ("{order.base}/x", "{order.base}"),
        ("{order_id}", "{order_id}"),
        ("{configuration.base}{order.x}", "{order.x}"),
        ("{configuration.base}.{order.x}/y", "{order.x}"),
        ("https://{configuration.host}{order.x}/", "{order.x}"),
    ])
    func orderDataOutsideThePathIsRefused(template: String, placeholder: String) throws {
        let parsed = try URLTemplate(parsing: template)
        #expect(parsed.orderPlaceholderOutsidePath?.description == placeholder)
        let message =
            "placeholder \(placeholder) may not stand in the scheme or host of the URL, nor directly after them: "
            + "order data must not choose where the request goes; put it after a '/' in the path"
        #expect(throws: ValidationError(field: "invoke", message)) { try parsed.validateAsURL() }
        // A notification stored before the rule existed is not expanded either.
        #expect(throws: TemplateError.self) {
            try parsed.expand(order: .object(["x": .string("a"), "id": .string("b")]), configuration: nil)
        }
    }

    /// Refused too, by the URL rules (the stand-in `x` is no scheme and no port) before the
    /// placement rule.
    @Test(arguments: ["http{order.s}://h/", "https://api.example.com:{order.port}/"])
    func orderDataInTheSchemeOrPortIsRefused(template: String) throws {
        let parsed = try URLTemplate(parsing: template)
        #expect(parsed.orderPlaceholderOutsidePath != nil)
        #expect(throws: ValidationError.self) { try parsed.validateAsURL() }
    }

    @Test(arguments: [
        "https://api.example.com/{order.x}", "https://api.example.com?x={order.x}",
        "https://api.example.com#{order.x}", "{configuration.base}/{order.x}",
        "https://{configuration.host}/{order_id}",
        "{configuration.base}?id={order_id}",
    ])
    func orderDataInThePathIsAllowed(template: String) throws {
        let parsed = try URLTemplate(parsing: template)
        #expect(parsed.orderPlaceholderOutsidePath == nil)
        try parsed.validateAsURL()
    }

    @Test func orderValuesCannotEscapeTheirPathSegment() throws {
        let order: JSON = .object(["x": .string(".evil.example/../@attacker:1/"), "id": .string("..")])
        let expanded = try URLTemplate(parsing: "https://api.example.com/hook/{order.x}/{order_id}")
            .expand(order: order, configuration: nil)
        #expect(expanded == "https://api.example.com/hook/%2Eevil%2Eexample%2F%2E%2E%2F%40attacker%3A1%2F/%2E%2E")
        #expect(try TargetURL(parsing: expanded).host == "api.example.com")
        // Configuration values keep their dots: they may name the merchant's own host.
        let configured = try URLTemplate(parsing: "https://{configuration.host}/{order.x}")
            .expand(
                order: .object(["x": .string("a.b")]), configuration: .object(["host": .string("hooks.shop.example")]))
        #expect(configured == "https://hooks.shop.example/a%2Eb")
    }

    @Test func requireHTTPSRefusesPlainHTTP() throws {
        #expect(throws: ValidationError(field: "url", "URL must use https (NOTIFY_REQUIRE_HTTPS is set)")) {
            try URLTemplate(parsing: "HTTP://h/{order.id}").validateAsURL(field: "url", requireHTTPS: true)
        }
        try URLTemplate(parsing: "https://h/{order.id}").validateAsURL(requireHTTPS: true)
        try URLTemplate(parsing: "http://h/{order.id}").validateAsURL(requireHTTPS: false)
    }

    @Test(arguments: [
        ("AZaz09-._~", "AZaz09-._~"), ("a b", "a%20b"),
        ("/?#[]@!$&'()*+,;=%", "%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25"),
        ("ü", "%C3%BC"), ("\n", "%0A"),
    ])
    func percentEncoding(raw: String, encoded: String) {
        #expect(URLTemplate.percentEncoded(raw) == encoded)
        #expect(
            URLTemplate.percentEncoded(raw, encodingDots: true)
                == encoded.reduce(into: "") { $0 += $1 == "." ? "%2E" : String($1) })
    }

    @Test(arguments: [(42.0, "42"), (-7.0, "-7"), (0.5, "0.5"), (1e300, "1e+300")])
    func numberFormatting(number: Double, text: String) {
        #expect(URLTemplate.formatNumber(number) == text)
    }

    @Test(arguments: [
        ("https://Adapter.Example:8443/hook?x=1#frag", "https://adapter.example:8443/hook?x=1"),
        ("https://h/orders/{order_id}", "https://h/orders/ord_123"),
        ("{configuration.adapter.internalUrl}/{order.payments.1.id}", "https://adapter.example/base/pay_2"),
    ])
    func targetIsTheExpandedURLParsed(template: String, url: String) throws {
        let parsed = try URLTemplate(parsing: template)
        let target = try parsed.target(order: Self.order, configuration: Self.configuration)
        #expect(target.description == url)
        #expect(
            target == (try TargetURL(parsing: try parsed.expand(order: Self.order, configuration: Self.configuration))))
    }

    @Test func targetOfATemplateThatIsNoURLFailsEveryTime() throws {
        let literal = try URLTemplate(parsing: "ftp://h/x")
        #expect(throws: ValidationError.self) { try literal.target(order: Self.order, configuration: nil) }
        let missing = try URLTemplate(parsing: "https://h/{order.nowhere}")
        #expect(throws: TemplateError.self) { try missing.target(order: Self.order, configuration: nil) }
    }
}
