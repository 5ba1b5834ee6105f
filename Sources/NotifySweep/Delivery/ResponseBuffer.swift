/// Collects a response body up to a byte limit (64 KiB for deliveries). A receiver that
/// sends more is cut off rather than read to the end, so an endless body cannot hold a sweep slot
/// or its memory. Pure, so the cap and the text it keeps are unit-tested without a socket.
struct ResponseBuffer {
    /// The most bytes kept.
    let limit: Int
    /// The bytes received, at most `limit`.
    private(set) var bytes: [UInt8] = []
    /// Set once more than `limit` bytes arrived; the extra bytes were dropped.
    private(set) var exceeded = false

    init(limit: Int) {
        self.limit = limit
    }

    /// Adds a chunk of the body. - Returns: `false` when the body now exceeds the limit, meaning
    /// the transfer should stop (only the bytes up to the limit are kept).
    mutating func append(_ chunk: UnsafeRawBufferPointer) -> Bool {
        let room = limit - bytes.count
        if chunk.count <= room {
            bytes.append(contentsOf: chunk)
            return true
        }
        bytes.append(contentsOf: chunk.prefix(room))
        exceeded = true
        return false
    }

    /// The kept bytes as text. Invalid UTF-8 becomes U+FFFD, except a multi-byte character the cut
    /// split in two at the end, which is dropped instead of stored as a replacement character.
    var text: String {
        guard exceeded else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: bytes.prefix(ResponseBuffer.completeLength(bytes)), as: UTF8.self)
    }

    /// The length of `bytes` without a trailing, incomplete UTF-8 sequence.
    static func completeLength(_ bytes: [UInt8]) -> Int {
        // A sequence is at most 4 bytes: look back at most 3 bytes for its lead byte.
        var start = bytes.count
        while start > 0, bytes.count - start < 3, bytes[start - 1] & 0xC0 == 0x80 {
            start -= 1
        }
        guard start > 0 else { return bytes.count }
        let lead = bytes[start - 1]
        let needed: Int
        switch lead {
        case 0xC0...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF7: needed = 4
        default: return bytes.count
        }
        let present = bytes.count - (start - 1)
        return present < needed ? start - 1 : bytes.count
    }
}
