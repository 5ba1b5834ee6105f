import Testing

@testable import FCGIHandler

/// The limits read from the environment at start: the defaults, good values, and bad values that
/// stop the process with a message naming the key.
@Suite struct APILimitsTests {
    @Test func anEmptyEnvironmentGivesTheDefaults() throws {
        let limits = try APILimits.fromEnvironment([:])
        #expect(!limits.requireHTTPS)
        #expect(limits.keepEventPages)
        #expect(limits.orderBytes == 1_048_576)
    }

    @Test func switchesAndNumbersAreRead() throws {
        let limits = try APILimits.fromEnvironment([
            "NOTIFY_REQUIRE_HTTPS": "1", "NOTIFY_KEEP_EVENT_PAGES": "0", "NOTIFY_MAX_ORDER_BYTES": "2048",
        ])
        #expect(limits.requireHTTPS)
        #expect(!limits.keepEventPages)
        #expect(limits.orderBytes == 2048)
    }

    @Test(arguments: [
        ("NOTIFY_REQUIRE_HTTPS", "yes", "NOTIFY_REQUIRE_HTTPS must be 0 or 1, not 'yes'"),
        ("NOTIFY_KEEP_EVENT_PAGES", "2", "NOTIFY_KEEP_EVENT_PAGES must be 0 or 1, not '2'"),
        ("NOTIFY_KEEP_EVENT_PAGES", "true", "NOTIFY_KEEP_EVENT_PAGES must be 0 or 1, not 'true'"),
        ("NOTIFY_MAX_ORDER_BYTES", "10", "NOTIFY_MAX_ORDER_BYTES must be a number from 1024 to 1073741824, not '10'"),
    ])
    func aBadValueStopsTheProcessNamingTheKey(key: String, value: String, message: String) {
        #expect {
            _ = try APILimits.fromEnvironment([key: value])
        } throws: { error in
            "\(error)" == message
        }
    }
}
