/// An IPv4 or IPv6 address as 16 bytes (IPv4 in its IPv4-mapped IPv6 form, `::ffff:a.b.c.d`), so
/// the delivery address policy can compare any address a connect call is about to use against
/// CIDR ranges with one code path, whatever family the resolver returned.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address in network byte order, always 16 bytes.
    public let bytes: [UInt8]
    /// Whether the address was given as IPv4 (text `a.b.c.d` or 4 bytes); only changes `description`.
    public let isIPv4: Bool

    private static let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

    /// An address from raw bytes: 4 bytes for IPv4 (as from `sockaddr_in`), 16 for IPv6.
    /// - Returns: `nil` for any other byte count.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            self.bytes = IPAddress.mappedPrefix + bytes
            self.isIPv4 = true
        case 16:
            self.bytes = bytes
            self.isIPv4 = false
        default:
            return nil
        }
    }

    /// Parses dotted-quad IPv4 (`192.0.2.1`, no leading zeros) or IPv6 text (`::1`, `fe80::1`,
    /// `::ffff:1.2.3.4`). Zones (`%eth0`) and brackets are not accepted.
    /// - Returns: `nil` when the text is not an address.
    public init?(_ text: String) {
        if let v4 = IPAddress.parseIPv4(Substring(text)) {
            self.bytes = IPAddress.mappedPrefix + v4
            self.isIPv4 = true
        } else if let v6 = IPAddress.parseIPv6(text) {
            self.bytes = v6
            self.isIPv4 = false
        } else {
            return nil
        }
    }

    /// The four IPv4 bytes when the address is IPv4 or IPv4-mapped IPv6, else `nil`.
    public var ipv4Bytes: [UInt8]? {
        Array(bytes.prefix(12)) == IPAddress.mappedPrefix ? Array(bytes.suffix(4)) : nil
    }

    /// Dotted-quad for IPv4, RFC 5952 text (lowercase, longest zero run as `::`) for IPv6.
    public var description: String {
        if isIPv4, let v4 = ipv4Bytes { return IPAddress.formatIPv4(v4) }
        if let v4 = ipv4Bytes { return "::ffff:" + IPAddress.formatIPv4(v4) }
        return IPAddress.formatIPv6(bytes)
    }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            guard part == "0" || part.first != "0" else { return nil }
            guard let value = UInt8(part) else { return nil }
            result.append(value)
        }
        return result
    }

    /// The 16 bytes of an IPv6 address in text form (no brackets, no zone), or `nil`: also how a
    /// URL's bracketed host is checked.
    public static func parseIPv6(_ text: String) -> [UInt8]? {
        guard text.contains(":"), text.utf8.count <= 45 else { return nil }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        guard let head = parseGroups(halves[0], allowIPv4Tail: halves.count == 1) else { return nil }
        if halves.count == 1 {
            return head.count == 16 ? head : nil
        }
        guard let tail = parseGroups(halves[1], allowIPv4Tail: true) else { return nil }
        // `::` stands for at least one zero group.
        guard head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Colon-separated hex groups, optionally ending in a dotted IPv4 part; returns their bytes.
    private static func parseGroups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var result: [UInt8] = []
        for (index, group) in groups.enumerated() {
            if index == groups.count - 1, allowIPv4Tail, group.contains(".") {
                guard let v4 = parseIPv4(group) else { return nil }
                result += v4
                continue
            }
            guard (1...4).contains(group.count), group.allSatisfy({ $0.isHexDigit && $0.isASCII }),
                let value = UInt16(group, radix: 16)
            else { return nil }
            result += [UInt8(value >> 8), UInt8(value & 0xff)]
        }
        return result.count <= 16 ? result : nil
    }

    static func formatIPv4(_ bytes: [UInt8]) -> String {
        bytes.map(String.init).joined(separator: ".")
    }

    static func formatIPv6(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        // Longest run of two or more zero groups (first one on a tie) becomes `::`.
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < groups.count, groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
