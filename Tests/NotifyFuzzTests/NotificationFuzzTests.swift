import NotifyDomain
import NotifyFoundation
import Testing

/// What a client writes into a notification against generated input: target URLs,
/// headers, URL templates and whole notifications in both forms. No crash, refusals are
/// `ValidationError`s (`TemplateError` when expanding) naming a field, and what is accepted is
/// stored and read back unchanged (`NotificationSpec(json: spec.json(redacted: false)) == spec`).
@Suite("Fuzz: target URLs, headers, templates, notifications")
struct NotificationFuzzTests {
    // MARK: - Target URLs

    static let schemes = ["http", "https", "HTTP", "hTTps"]
    static let hosts = ["127.0.0.1", "example.com", "a-b.c_d", "[::1]", "[2001:db8::1]", "localhost", "X.Y", "h"]
    static let paths = ["", "/", "/a/b", "/%2F%41", "?q=1&r=2", "/x?y=z", "/a#frag", "/~user/a.b-c_d", "/@x"]

    /// A URL by the registration rules, and whether it is valid.
    static func url(_ random: inout FuzzRandom) -> (String, Bool) {
        var valid = true
        var scheme = random.pick(schemes)
        if random.chance(0.05) {
            scheme = random.pick(["ftp", "file", "javascript", "", "http:"])
            valid = false
        }
        var host = random.pick(hosts)
        if random.chance(0.05) {
            host = random.pick(["", "a b", "[::1", "[zz::1]", "user@h", "h^", "é.com"])
            valid = false
        }
        var port = ""
        if random.chance(0.4) {
            if random.chance(0.8) {
                port = ":" + String(random.int(1...65535))
            } else {
                port = ":" + random.pick(["0", "65536", "", "abc", "-1", "123456", "٣"])
                valid = false
            }
        }
        var path = random.pick(paths)
        if random.chance(0.05) {
            path = "/" + random.pick(["a b", "%", "%zz", "{x}", "|", "\\", "\u{1}", "é", "\""])
            valid = false
        }
        return (scheme + "://" + host + port + path, valid)
    }

    @Test func targetURLs() {
        Fuzz.check("TargetURL(parsing:)") { random in
            let text: String
            var expected: Bool?
            switch random.int(0...3) {
            case 0, 1: (text, expected) = Self.url(&random)
            case 2: text = String(decoding: Gen.mutate(Array(Self.url(&random).0.utf8), &random), as: UTF8.self)
            default: text = Gen.string(&random)
            }
            do throws(ValidationError) {
                let url = try TargetURL(parsing: text)
                if expected == false {
                    return "invalid URL \(text.fuzzQuoted) accepted as \(url.description.fuzzQuoted)"
                }
                guard url.scheme == "http" || url.scheme == "https", !url.host.isEmpty,
                    text.utf8.count <= TargetURL.maxLength,
                    text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7F }),
                    (1...65535).contains(url.effectivePort), url.pathAndQuery.hasPrefix("/")
                else { return "accepted \(text.fuzzQuoted) breaks a rule: \(url)" }
                let again = try TargetURL(parsing: url.description)
                return again == url ? nil : "\(text.fuzzQuoted) -> \(url.description.fuzzQuoted) -> \(again)"
            } catch {
                guard error.field == "url", !error.message.isEmpty else { return "untyped refusal: \(error)" }
                return expected == true ? "valid URL \(text.fuzzQuoted) refused: \(error.message)" : nil
            }
        }
    }

    // MARK: - Headers

    static let tokenCharacters = Set("!#$%&'*+-.^_`|~".unicodeScalars)

    /// The registration rules written out independently: a token name that the service does not own,
    /// a value without CR, LF, NUL or other controls (tab allowed), at most 8 KiB.
    static func expectedValid(name: String, value: String) -> Bool {
        let tokenName =
            !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || tokenCharacters.contains($0)
            }
        let owned = [
            "host", "content-length", "transfer-encoding", "connection", "webhook-id", "webhook-timestamp",
            "webhook-signature",
        ].contains(name.lowercased())
        let cleanValue = value.unicodeScalars.allSatisfy { ($0.value >= 0x20 && $0.value != 0x7F) || $0 == "\t" }
        return tokenName && !owned && cleanValue && value.utf8.count <= 8 * 1024
    }

    static func headerName(_ random: inout FuzzRandom) -> String {
        if random.chance(0.1) {
            return random.pick(["Host", "content-LENGTH", "Transfer-Encoding", "connection", "Webhook-Id", "X-Token"])
        }
        let alphabet = ["X", "-", "a", "Auth", "key", "!", "~", "'", " ", ":", "é", "\r", "\n", "(", "0", "_"]
        return Gen.string(&random, maxPieces: 4, from: alphabet)
    }

    static func headerValue(_ random: inout FuzzRandom) -> String {
        random.chance(0.02) ? String(repeating: "v", count: 8 * 1024 + random.int(-1...1)) : Gen.string(&random)
    }

    @Test func headers() {
        Fuzz.check("HeaderRules.validate(name:value:)") { random in
            let name = Self.headerName(&random)
            let value = Self.headerValue(&random)
            let expected = Self.expectedValid(name: name, value: value)
            do throws(ValidationError) {
                try HeaderRules.validate(name: name, value: value)
                return expected ? nil : "header \(name.fuzzQuoted): \(value.fuzzQuoted) accepted"
            } catch {
                guard error.field.hasScalarPrefix("headers"), !error.message.isEmpty else {
                    return "untyped refusal \(error)"
                }
                return expected ? "header \(name.fuzzQuoted): \(value.fuzzQuoted) refused: \(error.message)" : nil
            }
        }
        Fuzz.check("HeaderRules.validate(list)", share: 0.1) { random in
            let count = random.pick([0, 1, 50, 99, 100, 101, 150])
            var headers = (0..<count).map { HTTPHeader(name: "X-H\($0)", value: "v") }
            var expected = count <= HeaderRules.maxHeaders
            if random.chance(0.3), let first = headers.first {
                headers.append(HTTPHeader(name: first.name.uppercased(), value: "again"))
                expected = false
            }
            let accepted = (try? HeaderRules.validate(headers)) != nil
            return accepted == expected ? nil : "\(headers.count) headers: accepted \(accepted), expected \(expected)"
        }
    }

    // MARK: - URL templates

    static let templatePieces = [
        "http://h/", "https://x.example:8443/", "{order.id}", "{order_id}", "{configuration.adapter.url}",
        "{order.payments.0.id}", "{order.}", "{foo}", "{order. a}", "{", "}", "{{order.id}}", "/", "?a=", "&b=",
        "#f", "é", " ", "%2F", "{order.a.b.c}", "{configuration}", "}\u{301}", "{\u{301}",
    ]

    @Test func templates() {
        Fuzz.check("URLTemplate(parsing:) + expand") { random in
            let source = Gen.string(&random, maxPieces: 6, from: Self.templatePieces + ["a", "~", "1"])
            let template: URLTemplate
            do throws(ValidationError) {
                template = try URLTemplate(parsing: source)
            } catch {
                return error.field == "invoke" && !error.message.isEmpty ? nil : "untyped refusal \(error)"
            }
            guard (try? URLTemplate(parsing: template.source)) == template else {
                return "\(source.fuzzQuoted) does not parse back to the same template"
            }
            let order = JSON.object([
                "id": .string(Gen.string(&random)), "payments": .array([.object(["id": Gen.json(&random, depth: 1)])]),
                "a": Gen.json(&random, depth: 3),
            ])
            let configuration = random.chance(0.5) ? JSON.object(["adapter": Gen.json(&random, depth: 2)]) : nil
            do throws(TemplateError) {
                _ = try template.expand(order: order, configuration: configuration)
            } catch {
                let known = template.parts.contains { part in
                    if case .placeholder(let placeholder) = part { return placeholder.description == error.placeholder }
                    return false
                }
                guard known, !error.reason.isEmpty else { return "TemplateError names no placeholder: \(error)" }
            }
            return nil
        }
    }

    @Test func templateValuesCannotChangeTheURLStructure() {
        Fuzz.check("expanded values stay inside their URL component") { random in
            let template: URLTemplate
            do throws(ValidationError) {
                template = try URLTemplate(parsing: "https://h.example/p/{order.v}?q={order_id}")
            } catch {
                return "template refused: \(error)"
            }
            let value = random.chance(0.8) ? JSON.string(Gen.string(&random)) : Gen.json(&random, depth: 1)
            let id = Gen.string(&random, maxPieces: 3)
            let expanded: String
            do throws(TemplateError) {
                expanded = try template.expand(order: .object(["v": value, "id": .string(id)]), configuration: nil)
            } catch {
                switch value {
                case .null, .array, .object: return nil
                default: return "scalar \(value.fuzzQuoted) not expanded: \(error)"
                }
            }
            guard expanded.utf8.count <= TargetURL.maxLength else { return nil }
            do throws(ValidationError) {
                let url = try TargetURL(parsing: expanded)
                guard url.host == "h.example", url.port == nil,
                    url.pathAndQuery.hasPrefix("/p/"), url.pathAndQuery.filter({ $0 == "?" }).count == 1,
                    !url.pathAndQuery.dropFirst(3).contains("/")
                else { return "value \(value.fuzzQuoted) changed the URL: \(expanded.fuzzQuoted)" }
                // A value that expands to a dot segment moves the request: clients (curl too) remove
                // "/p/.." to "/" (RFC 3986 §5.2.4) before sending.
                let segment = url.pathAndQuery.dropFirst(3).prefix { $0 != "?" }
                guard segment != "..", segment != "." else {
                    return "value \(value.fuzzQuoted) expands to the dot segment \(expanded.fuzzQuoted)"
                }
                return nil
            } catch {
                return "expansion with \(value.fuzzQuoted) is not a valid URL: \(expanded.fuzzQuoted) (\(error))"
            }
        }
    }

    // MARK: - Notifications

    static let statuses = ["checkout", "processing", "accepted", "completed", "declined", "removed"]

    static func notification(_ random: inout FuzzRandom) -> JSON {
        var object: [String: JSON] = [:]
        func maybe(_ key: String, _ probability: Double, _ make: (inout FuzzRandom) -> JSON) {
            if random.chance(probability) {
                object[key] = random.chance(0.05) ? Gen.json(&random, depth: 1) : make(&random)
            }
        }
        let template = { (random: inout FuzzRandom) -> JSON in
            random.chance(0.85)
                ? .string(random.pick(["https://h/x", "http://127.0.0.1:9/hook/{order_id}", "{order.u}/x"]))
                : .string(Gen.string(&random, maxPieces: 4, from: templatePieces))
        }
        maybe("method", 0.5) { random in .string(random.pick(["POST", "put", "GET", "patch", "DELETE", ""])) }
        maybe("headers", 0.5) { random in
            var headers: [String: JSON] = [:]
            for _ in 0..<random.int(0...3) { headers[headerName(&random)] = .string(headerValue(&random)) }
            return .object(headers)
        }
        if random.chance(0.5) {
            maybe("url", 0.95, template)
            maybe("scope", 0.95) { random in
                var scope: [String: JSON] = [:]
                if random.chance(0.7) {
                    scope["state"] = .array((0..<random.int(0...3)).map { _ in .string(random.pick(statuses + ["x"])) })
                }
                if random.chance(0.4) { scope["payment"] = .bool(random.chance(0.7)) }
                if random.chance(0.4) { scope["shipping"] = .bool(random.chance(0.7)) }
                if random.chance(0.03) { scope["other"] = .bool(true) }
                return .object(scope)
            }
        } else {
            maybe("invoke", 0.95, template)
            maybe("scope", 0.95) { random in .string("/" + Gen.string(&random, maxPieces: 4)) }
            maybe("schema", 0.4) { random in SchemaFuzzTests.schema(&random, depth: 1) }
            maybe("id", 0.4) { random in
                .string(Gen.string(&random, maxPieces: 3, from: ["n", "-", "1", ":", " ", "é"]))
            }
            maybe("adapterId", 0.3) { random in .string(random.pick(["adyen", "", "a b"])) }
            maybe("reference", 0.3) { random in .string(Gen.string(&random)) }
            maybe("description", 0.3) { random in .string(Gen.string(&random)) }
            maybe("version", 0.3) { random in random.chance(0.5) ? .string("v2") : .number(Gen.number(&random)) }
        }
        if random.chance(0.03) { object[Gen.string(&random, maxPieces: 2)] = .null }
        return .object(object)
    }

    @Test func notificationSpecsRoundTrip() {
        Fuzz.check("NotificationSpec(json:) round trip through storage", share: 2) { random in
            let source = Self.notification(&random)
            let spec: NotificationSpec
            do throws(ValidationError) {
                spec = try NotificationSpec(json: source)
            } catch {
                return error.message.isEmpty ? "refusal without a message for \(source.fuzzQuoted)" : nil
            }
            // Stored as the unredacted JSON text in a jsonb column and read back when the order loads.
            let stored = spec.json(redacted: false).serialized()
            do {
                let again = try NotificationSpec(json: try JSON.parse(stored))
                guard again == spec else {
                    return "\(source.fuzzQuoted) stored as \(stored.fuzzQuoted) reads back as a different notification"
                }
            } catch {
                return
                    "\(source.fuzzQuoted) was accepted, but its stored form \(stored.fuzzQuoted) is refused: \(error)"
            }
            for (name, value) in spec.json(redacted: true)["headers"]?.objectValue ?? [:]
            where HeaderRules.isSecret(name: name) && value != .string(HeaderRules.redaction) {
                return "secret header \(name.fuzzQuoted) shown in the redacted form"
            }
            return nil
        }
    }
}
