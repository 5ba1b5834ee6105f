import Crypto
import NotifyFoundation

/// API bearer tokens: generated from the caller's random bytes, shown once, stored only as a
/// SHA-256 hash, so a leaked database does not leak usable tokens.
public enum APIToken {
    /// The prefix of every token; makes tokens recognisable to secret scanners and in logs.
    public static let prefix = "ntf_"
    /// Length of the base64url part for 32 random bytes, without padding.
    public static let encodedLength = 43

    /// A token `ntf_<base64url of the bytes, no padding>`.
    /// - Precondition: exactly 32 random bytes (the caller controls the count; it is not input).
    public static func make(randomBytes: [UInt8]) -> String {
        precondition(randomBytes.count == 32, "an API token needs 32 random bytes")
        return prefix + Base64.encodeURLSafe(randomBytes)
    }

    /// Whether `text` has the shape of a token, to answer a malformed one with 401 before any lookup.
    public static func isWellFormed(_ text: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let body = text.utf8.dropFirst(prefix.utf8.count)
        return body.count == encodedLength
            && body.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    return true
                default:
                    return false
                }
            }
    }

    /// The lowercase hex SHA-256 of the token text: the form stored and looked up.
    public static func sha256Hex(_ token: String) -> String {
        let digest = SHA256.hash(data: Array(token.utf8))
        var hex: [UInt8] = []
        hex.reserveCapacity(2 * SHA256.byteCount)
        for byte in digest {
            hex.append(Hex.lowercaseDigits[Int(byte >> 4)])
            hex.append(Hex.lowercaseDigits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
