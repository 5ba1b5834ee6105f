/// Hexadecimal digits as bytes: one table and one reader for every byte-level encoder and decoder
/// (UUIDs, token hashes, percent escapes), so they agree on what a hex digit is.
public enum Hex {
    /// The lower-case digits, indexed by their value.
    public static let lowercaseDigits = Array("0123456789abcdef".utf8)

    /// The value of one hex digit (either case), `nil` for any other byte.
    public static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
