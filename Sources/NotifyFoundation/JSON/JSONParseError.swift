/// Why a byte sequence is not a JSON document the service accepts. The API turns it into a 400
/// whose detail is `message`, so the message names the problem and the byte offset where it is.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A human message that ends with the position, e.g. `unexpected character 'x' at byte 12`.
    public let message: String
    /// The zero-based byte offset of the problem in the input.
    public let offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// An error whose message is `problem` followed by ` at byte <offset>`.
    static func at(_ offset: Int, _ problem: String) -> JSONParseError {
        JSONParseError(message: "\(problem) at byte \(offset)", offset: offset)
    }

    public var description: String { message }
}
