/// An address range in CIDR notation (`10.0.0.0/8`, `::1/128`), the unit of the target address
/// policy: both the built-in refused ranges and the `NOTIFY_ALLOW_TARGETS` exceptions are CIDRs.
/// IPv4 ranges are held in IPv4-mapped form, so `127.0.0.1/32` also covers `::ffff:127.0.0.1`.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The network address, with the host bits cleared.
    public let network: IPAddress
    /// Prefix length in the 128-bit space (an IPv4 `/8` is stored as 104).
    public let prefixLength: Int

    /// A range from an address and a prefix length in that address's own family (0–32 for IPv4,
    /// 0–128 for IPv6). Host bits are cleared. Returns `nil` for an out-of-range length.
    public init?(address: IPAddress, prefixLength: Int) {
        let bits = address.isIPv4 ? prefixLength + 96 : prefixLength
        guard prefixLength >= 0, bits <= 128 else { return nil }
        let masked = CIDR.mask(address.bytes, bits: bits)
        guard let network = address.isIPv4 ? IPAddress(bytes: Array(masked.suffix(4))) : IPAddress(bytes: masked)
        else { return nil }
        self.network = network
        self.prefixLength = bits
    }

    /// Parses `address/length`; a bare address means a single host (`/32` or `/128`).
    /// - Throws: `ValidationError` on `field` naming the bad entry.
    public init(parsing text: String, field: String = "cidr") throws(ValidationError) {
        let trimmed = text.trimmingASCIIWhitespace()
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else {
            throw ValidationError(field: field, "'\(trimmed)' is not an IP address or CIDR range")
        }
        let maxLength = address.isIPv4 ? 32 : 128
        var length = maxLength
        if parts.count == 2 {
            guard let value = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                (0...maxLength).contains(value)
            else {
                throw ValidationError(field: field, "'\(trimmed)' has a prefix length outside 0...\(maxLength)")
            }
            length = value
        }
        guard let cidr = CIDR(address: address, prefixLength: length) else {
            throw ValidationError(field: field, "'\(trimmed)' is not a valid CIDR range")
        }
        self = cidr
    }

    /// Whether `address` lies in this range.
    public func contains(_ address: IPAddress) -> Bool {
        CIDR.mask(address.bytes, bits: prefixLength) == network.bytes
    }

    /// `10.0.0.0/8` or `fc00::/7`, in the family the range was written in.
    public var description: String {
        "\(network)/\(network.isIPv4 ? prefixLength - 96 : prefixLength)"
    }

    private static func mask(_ bytes: [UInt8], bits: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let keep = min(max(bits - index * 8, 0), 8)
            let mask: UInt8 = keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
            return byte & mask
        }
    }
}
