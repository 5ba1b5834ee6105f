/// Time-ordered identifiers (RFC 9562 version 7) for events and attempts: ids sort by creation
/// time, so the newest-first listing and the B-tree index on ids stay cheap. The clock reading
/// and the random bytes are parameters, keeping the domain free of clocks and randomness.
public enum UUIDv7 {
    /// A UUIDv7 in canonical lowercase `8-4-4-4-12` form.
    /// - Parameters:
    ///   - unixMillis: milliseconds since the Unix epoch (the low 48 bits are used).
    ///   - random: at least 10 random bytes; the first 10 are used (74 of their bits survive).
    /// - Precondition: `random.count >= 10` (the caller controls it; it is not input).
    public static func make(unixMillis: UInt64, random: [UInt8]) -> String {
        precondition(random.count >= 10, "UUIDv7 needs 10 random bytes")
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: unixMillis >> UInt64(40 - index * 8))
        }
        bytes[6] = 0x70 | (random[0] & 0x0f)
        bytes[7] = random[1]
        bytes[8] = 0x80 | (random[2] & 0x3f)
        for index in 9..<16 { bytes[index] = random[index - 6] }
        return format(bytes)
    }

    /// A UUIDv7 with its random bits drawn from `generator` (two 64-bit draws: one system call
    /// with `SystemRandomNumberGenerator`, not one per byte).
    public static func make(unixMillis: UInt64, using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next()
        let low = generator.next()
        let random =
            (0..<8).map { UInt8(truncatingIfNeeded: high >> UInt64($0 * 8)) }
            + (0..<2).map { UInt8(truncatingIfNeeded: low >> UInt64($0 * 8)) }
        return make(unixMillis: unixMillis, random: random)
    }

    /// The smallest UUIDv7 of millisecond `unixMillis`: ids of that millisecond and later sort at or
    /// after it, so a time window is a range of ids.
    public static func first(unixMillis: UInt64) -> String {
        make(unixMillis: unixMillis, random: [UInt8](repeating: 0, count: 10))
    }

    /// The millisecond timestamp of a canonical UUIDv7, or `nil` when `text` is not one.
    public static func unixMillis(of text: String) -> UInt64? {
        guard isValid(text) else { return nil }
        var millis: UInt64 = 0
        for byte in text.utf8.prefix(13) where byte != UInt8(ascii: "-") {
            millis = millis << 4 | UInt64(Hex.value(byte) ?? 0)
        }
        return millis
    }

    /// Whether `text` is a UUIDv7 in canonical form (hyphens at 8-4-4-4-12, version 7, RFC variant).
    /// Upper-case hex digits are accepted.
    public static func isValid(_ text: String) -> Bool {
        guard UUIDFormat.isValid(text) else { return false }
        var version: UInt8 = 0
        var variant: UInt8 = 0
        for (index, byte) in text.utf8.enumerated() where index == 14 || index == 19 {
            if index == 14 { version = byte } else { variant = byte }
        }
        return version == UInt8(ascii: "7") && "89abAB".utf8.contains(variant)
    }

    private static func format(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: 2 * bytes.count + 4) { text in
            var at = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    text[at] = UInt8(ascii: "-")
                    at += 1
                }
                text[at] = Hex.lowercaseDigits[Int(byte >> 4)]
                text[at + 1] = Hex.lowercaseDigits[Int(byte & 0x0F)]
                at += 2
            }
            return at
        }
    }
}
