/// The kind of network an address belongs to, as far as delivery safety is concerned: everything
/// but `.public` can reach the service's own host or network and is refused by default.
public enum AddressClass: String, CaseIterable, Sendable {
    case loopback
    case `private`
    case linkLocal = "link-local"
    case cgnat
    case multicast
    case unspecified
    case reserved
    case broadcast
    case `public`

    /// The phrase used in refusal messages ("a private address").
    public var phrase: String {
        switch self {
        case .loopback: return "a loopback address"
        case .private: return "a private address"
        case .linkLocal: return "a link-local address"
        case .cgnat: return "a carrier-grade NAT (100.64.0.0/10) address"
        case .multicast: return "a multicast address"
        case .unspecified: return "an unspecified address"
        case .reserved: return "a reserved address"
        case .broadcast: return "the broadcast address"
        case .public: return "a public address"
        }
    }
}

extension IPAddress {
    private static func range(_ text: String) -> CIDR {
        // The literals below are constants of this file and parse; a failure is a programming error.
        guard let cidr = try? CIDR(parsing: text) else { preconditionFailure("bad built-in CIDR \(text)") }
        return cidr
    }

    /// Ranges checked in order; the first match decides. IPv4 ranges also match IPv4-mapped IPv6.
    private static let classifiedRanges: [(CIDR, AddressClass)] = [
        (range("255.255.255.255/32"), .broadcast),
        (range("0.0.0.0/8"), .unspecified),
        (range("127.0.0.0/8"), .loopback),
        (range("10.0.0.0/8"), .private),
        (range("172.16.0.0/12"), .private),
        (range("192.168.0.0/16"), .private),
        (range("169.254.0.0/16"), .linkLocal),
        (range("100.64.0.0/10"), .cgnat),
        (range("224.0.0.0/4"), .multicast),
        (range("240.0.0.0/4"), .reserved),
        (range("198.18.0.0/15"), .reserved),
        (range("192.0.0.0/24"), .reserved),
        (range("::/128"), .unspecified),
        (range("::1/128"), .loopback),
        (range("fc00::/7"), .private),
        (range("fec0::/10"), .private),
        (range("fe80::/10"), .linkLocal),
        (range("ff00::/8"), .multicast),
        (range("64:ff9b:1::/48"), .reserved),
    ]

    /// NAT64 well-known prefix: `64:ff9b::a.b.c.d` reaches the IPv4 address `a.b.c.d`.
    private static let nat64 = range("64:ff9b::/96")
    /// IPv4-compatible IPv6 (deprecated): `::a.b.c.d`.
    private static let ipv4Compatible = range("::/96")
    /// 6to4: `2002:AABB:CCDD::/48` tunnels to the IPv4 address `AA.BB.CC.DD`.
    private static let sixToFour = range("2002::/16")
    /// Teredo: `2001:0:SSSS:SSSS:flags:port:CCCC:CCCC`, server `S` in clear, client `C` inverted.
    private static let teredo = range("2001::/32")

    /// The IPv4 addresses an IPv6 address leads to through a translation or tunnel prefix
    /// (NAT64, IPv4-compatible, 6to4, Teredo server and client), empty for any other address.
    /// `::` and `::1` are themselves, not IPv4-compatible forms of `0.0.0.0` and `0.0.0.1`.
    var embeddedIPv4: [IPAddress] {
        let embedded: [[UInt8]]
        if IPAddress.nat64.contains(self) {
            embedded = [Array(bytes[12..<16])]
        } else if IPAddress.ipv4Compatible.contains(self), bytes[12..<16].contains(where: { $0 != 0 }),
            Array(bytes[12..<16]) != [0, 0, 0, 1]
        {
            embedded = [Array(bytes[12..<16])]
        } else if IPAddress.sixToFour.contains(self) {
            embedded = [Array(bytes[2..<6])]
        } else if IPAddress.teredo.contains(self) {
            embedded = [bytes[12..<16].map { $0 ^ 0xff }, Array(bytes[4..<8])]
        } else {
            embedded = []
        }
        return embedded.compactMap { IPAddress(bytes: $0) }
    }

    /// Which kind of network the address is in. IPv4-mapped (`::ffff:a.b.c.d`), NAT64
    /// (`64:ff9b::a.b.c.d`), IPv4-compatible (`::a.b.c.d`), 6to4 and Teredo addresses are
    /// classified as the IPv4 address they carry (for Teredo, the first of client and server that
    /// is not public), so a tunnel cannot reach a network its IPv4 address could not.
    public var classification: AddressClass {
        let embedded = embeddedIPv4
        if !embedded.isEmpty {
            return embedded.map(\.directClassification).first { $0 != .public } ?? .public
        }
        return directClassification
    }

    private var directClassification: AddressClass {
        for (cidr, kind) in IPAddress.classifiedRanges where cidr.contains(self) {
            return kind
        }
        return .public
    }
}
