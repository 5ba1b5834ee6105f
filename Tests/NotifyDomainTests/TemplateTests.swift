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
        ("https://h/{order.total}/{order.rate}/{order.paid}", "https://h/1250/0.25/true"),
        ("https://h/{order.customer.email}", "https://h/jo%2Bx%40example.com"),
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

    @Test(arguments: [
        ("AZaz09-._~", "AZaz09-._~"), ("a b", "a%20b"),
        ("/?#[]@!$&'()*+,;=%", "%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25"),
        ("ü", "%C3%BC"), ("\n", "%0A"),
    ])
    func percentEncoding(raw: String, encoded: String) {
        #expect(URLTemplate.percentEncoded(raw) == encoded)
    }

    @Test(arguments: [(42.0, "42"), (-7.0, "-7"), (0.5, "0.5"), (1e300, "1e+300")])
    func numberFormatting(number: Double, text: String) {
        #expect(URLTemplate.formatNumber(number) == text)
    }
}
