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
                guard count < 36, Hex.value(byte) != nil else { return false }
            }
            count += 1
        }
        return count == 36
    }
}
