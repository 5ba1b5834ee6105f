import NotifyFoundation
import Testing

@testable import NotifyDomain

@Suite("Target address policy")
struct AddressPolicyTests {
    @Test(arguments: [
        ("127.0.0.1", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1] as [UInt8], "127.0.0.1"),
        ("::", [UInt8](repeating: 0, count: 16), "::"),
        ("::1", [UInt8](repeating: 0, count: 15) + [1], "::1"),
        (
            "2001:db8::8:800:200c:417a",
            [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a],
            "2001:db8::8:800:200c:417a"
        ),
        ("::ffff:10.1.2.3", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3], "::ffff:10.1.2.3"),
        ("FE80:0:0:0:0:0:0:1", [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1], "fe80::1"),
        ("1:0:0:2:0:0:0:3", [0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3], "1:0:0:2::3"),
        ("1:2:3:4:5:6:7::", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0], "1:2:3:4:5:6:7:0"),
    ])
    func parsesAddresses(text: String, bytes: [UInt8], description: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.bytes == bytes)
        #expect(address.description == description)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "1:2:3:4:5:6:7:8:9", "1::2::3",
        ":::1", "12345::", "fe80::1%eth0", "[::1]", "::ffff:1.2.3.256", "g::1", "1:2:3:4:5:6:7:8::", "example.com",
    ])
    func refusesNonAddresses(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func rawBytes() throws {
        #expect(try #require(IPAddress(bytes: [10, 0, 0, 1])).description == "10.0.0.1")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [10, 0, 0, 1])?.bytes == IPAddress("::ffff:10.0.0.1")?.bytes)
    }

    @Test(arguments: [
        ("127.0.0.1", AddressClass.loopback), ("127.255.1.2", .loopback), ("::1", .loopback),
        ("::ffff:127.0.0.1", .loopback),
        ("10.1.2.3", .private), ("172.16.0.1", .private), ("172.31.255.255", .private), ("192.168.1.1", .private),
        ("fc00::1", .private), ("fd12:3456::1", .private), ("::ffff:192.168.0.10", .private),
        ("169.254.169.254", .linkLocal), ("fe80::1", .linkLocal), ("febf::1", .linkLocal),
        ("::ffff:169.254.1.1", .linkLocal),
        ("100.64.0.1", .cgnat), ("100.127.255.255", .cgnat),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast), ("ff02::1", .multicast),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("::", .unspecified), ("::ffff:0.0.0.0", .unspecified),
        ("240.0.0.1", .reserved), ("255.255.255.255", .broadcast),
        ("64:ff9b::10.0.0.1", .private), ("64:ff9b::8.8.8.8", .public),
        ("8.8.8.8", .public), ("1.1.1.1", .public), ("172.32.0.1", .public), ("100.128.0.1", .public),
        ("172.15.255.255", .public), ("2606:4700:4700::1111", .public), ("::ffff:93.184.216.34", .public),
        ("fec0::1", .private), ("2001:db8::1", .public),
    ])
    func classification(text: String, expected: AddressClass) throws {
        #expect(try #require(IPAddress(text)).classification == expected)
    }

    /// Address classes that reach a refused network through a prefix or a tunnel. Pure: nothing is
    /// sent to any of these addresses.
    @Test(arguments: [
        // IPv4-compatible ::/96 carries its IPv4 address in the last 32 bits.
        ("::127.0.0.1", AddressClass.loopback), ("::10.0.0.1", .private), ("::169.254.169.254", .linkLocal),
        ("::8.8.8.8", .public),
        // 6to4 2002:AABB:CCDD::/48 tunnels to AA.BB.CC.DD.
        ("2002:7f00:1::", .loopback), ("2002:a9fe:a9fe::1", .linkLocal), ("2002:c0a8:101::5", .private),
        ("2002:808:808::1", .public),
        // Teredo 2001:0:server:flags:port:client, the client address inverted.
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", .loopback), ("2001:0:4136:e378:8000:63bf:f5ff:fffe", .private),
        ("2001:0:7f00:1:8000:63bf:f7f7:f7f7", .loopback), ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", .public),
        // Local-use NAT64 (the IPv4 position depends on the prefix length): refused as a whole.
        ("64:ff9b:1::a00:1", .reserved), ("64:ff9b:1:ffff::1", .reserved),
        // Benchmarking, IETF protocol assignments, reserved, broadcast.
        ("198.18.0.1", .reserved), ("198.19.255.255", .reserved), ("198.20.0.1", .public),
        ("192.0.0.1", .reserved), ("192.0.0.170", .reserved), ("192.0.1.1", .public),
        ("240.0.0.1", .reserved), ("255.255.255.254", .reserved), ("255.255.255.255", .broadcast),
        ("::ffff:198.18.0.1", .reserved), ("64:ff9b::c000:1", .reserved),
        // Not tunnels: :: and ::1 are themselves, 2001:db8 is outside Teredo's /32.
        ("::", .unspecified), ("::1", .loopback), ("2001:db8::7f00:1", .public),
    ])
    func tunnelledAndReservedClasses(text: String, expected: AddressClass) throws {
        let address = try #require(IPAddress(text))
        #expect(address.classification == expected)
        #expect(AddressPolicy().permits(address).isPermitted == (expected == .public))
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.255.0.1", true), ("10.0.0.0/8", "11.0.0.1", false),
        ("127.0.0.1/32", "127.0.0.1", true), ("127.0.0.1/32", "127.0.0.2", false),
        ("127.0.0.1/32", "::ffff:127.0.0.1", true), ("127.0.0.1", "127.0.0.1", true),
        ("::1/128", "::1", true), ("::1/128", "::2", false), ("fe80::/10", "fe80::abcd", true),
        ("0.0.0.0/0", "203.0.113.9", true), ("0.0.0.0/0", "2001:db8::1", false), ("::/0", "2001:db8::1", true),
        ("192.168.1.77/24", "192.168.1.1", true),
    ])
    func cidrContains(cidr: String, address: String, contained: Bool) throws {
        let range = try CIDR(parsing: cidr)
        #expect(range.contains(try #require(IPAddress(address))) == contained)
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"), ("192.168.1.77/24", "192.168.1.0/24"), ("::1", "::1/128"),
        ("fe80::1/10", "fe80::/10"), (" 127.0.0.1/32 ", "127.0.0.1/32"),
    ])
    func cidrDescription(text: String, description: String) throws {
        #expect(try CIDR(parsing: text).description == description)
    }

    @Test(arguments: [
        ("10.0.0.0/33", "'10.0.0.0/33' has a prefix length outside 0...32"),
        ("::/129", "'::/129' has a prefix length outside 0...128"),
        ("10.0.0.0/", "'10.0.0.0/' has a prefix length outside 0...32"),
        ("10.0.0.0/+8", "'10.0.0.0/+8' has a prefix length outside 0...32"),
        ("localhost/8", "'localhost/8' is not an IP address or CIDR range"),
        ("1.2.3.4/8/8", "'1.2.3.4/8/8' is not an IP address or CIDR range"),
    ])
    func refusesBadCIDRs(text: String, message: String) {
        #expect(throws: ValidationError(field: "cidr", message)) { try CIDR(parsing: text) }
    }

    @Test(arguments: [
        ("10.1.2.3", "target 10.1.2.3 is a private address; set NOTIFY_ALLOW_TARGETS to allow it"),
        ("127.0.0.1", "target 127.0.0.1 is a loopback address; set NOTIFY_ALLOW_TARGETS to allow it"),
        ("::ffff:127.0.0.1", "target ::ffff:127.0.0.1 is a loopback address; set NOTIFY_ALLOW_TARGETS to allow it"),
        ("fe80::1", "target fe80::1 is a link-local address; set NOTIFY_ALLOW_TARGETS to allow it"),
        (
            "100.64.1.1",
            "target 100.64.1.1 is a carrier-grade NAT (100.64.0.0/10) address; set NOTIFY_ALLOW_TARGETS to allow it"
        ),
        ("ff02::1", "target ff02::1 is a multicast address; set NOTIFY_ALLOW_TARGETS to allow it"),
        ("0.0.0.0", "target 0.0.0.0 is an unspecified address; set NOTIFY_ALLOW_TARGETS to allow it"),
        ("::", "target :: is an unspecified address; set NOTIFY_ALLOW_TARGETS to allow it"),
    ])
    func defaultPolicyRefuses(text: String, reason: String) throws {
        let address = try #require(IPAddress(text))
        #expect(AddressPolicy().permits(address) == .refused(reason: reason))
    }

    @Test(arguments: ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.4.4"])
    func defaultPolicyPermitsPublic(text: String) throws {
        #expect(AddressPolicy().permits(try #require(IPAddress(text))).isPermitted)
    }

    @Test func allowListMakesExceptions() throws {
        let policy = try AddressPolicy.parse(allowList: "127.0.0.1/32, ::1/128,,10.20.0.0/16")
        #expect(policy.allow.map(\.description) == ["127.0.0.1/32", "::1/128", "10.20.0.0/16"])
        #expect(policy.permits(try #require(IPAddress("127.0.0.1"))).isPermitted)
        #expect(policy.permits(try #require(IPAddress("::ffff:127.0.0.1"))).isPermitted)
        #expect(policy.permits(try #require(IPAddress("::1"))).isPermitted)
        #expect(policy.permits(try #require(IPAddress("10.20.3.4"))).isPermitted)
        #expect(!policy.permits(try #require(IPAddress("127.0.0.2"))).isPermitted)
        #expect(!policy.permits(try #require(IPAddress("10.21.0.1"))).isPermitted)
    }

    @Test func emptyAllowListHasNoExceptions() throws {
        #expect(try AddressPolicy.parse(allowList: "").allow.isEmpty)
        #expect(try AddressPolicy.parse(allowList: " , ").allow.isEmpty)
    }

    @Test func badAllowListNamesTheVariable() {
        let error = ValidationError(field: "NOTIFY_ALLOW_TARGETS", "'10.0.0.0/99' has a prefix length outside 0...32")
        #expect(throws: error) { try AddressPolicy.parse(allowList: "127.0.0.1/32,10.0.0.0/99") }
    }
}
