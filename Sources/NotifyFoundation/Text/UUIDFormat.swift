/// The textual form of a UUID (`8-4-4-4-12` hex digits). Order and event ids are UUIDs; anything
/// else cannot name one, so it is answered as "not found" (or a 400 for a query filter) before it
/// reaches the database's `::uuid` cast.
public enum UUIDFormat {
    public static func isValid(_ text: String) -> Bool {
        var count = 0
        for byte in text.utf8 {
            if count == 8 || count == 13 || count == 18 || count == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard count < 36, hexValue(byte) != nil else { return false }
            }
            count += 1
        }
        return count == 36
    }

    /// The value of one hex digit (either case), `nil` for any other byte.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
