/// A JSON object serialized once, with where each member lies in the text, so that the same object
/// with a few members added or replaced is written by copying bytes instead of serializing every
/// member again. An order change writes its order three times (stored, in each delivery body, in
/// the response); with this it is serialized once. The text is always the serializer's: a copy with
/// members added is byte for byte what ``JSON/serializedBytes`` gives for the merged object.
public struct SerializedObject: Equatable, Sendable {
    /// One member: its key and the range of its `"key":value` text in `bytes`.
    private struct Member: Equatable, Sendable {
        let key: String
        let text: Range<Int>
    }

    /// A member to add: a value to serialize, or text already serialized.
    private enum Addition {
        case value(JSON)
        case text([UInt8])
    }

    /// The serializer's text of the whole object.
    public let bytes: [UInt8]
    private let members: [Member]

    public init(_ object: [String: JSON]) {
        var text: [UInt8] = [UInt8(ascii: "{")]
        text.reserveCapacity(256)
        var members: [Member] = []
        members.reserveCapacity(object.count)
        for key in JSONSerializer.sortedKeys(object) {
            if text.count > 1 { text.append(UInt8(ascii: ",")) }
            let start = text.count
            JSONSerializer.writeString(key, into: &text)
            text.append(UInt8(ascii: ":"))
            if let value = object[key] { JSONSerializer.write(value, into: &text) }
            members.append(Member(key: key, text: start..<text.count))
        }
        text.append(UInt8(ascii: "}"))
        self.bytes = text
        self.members = members
    }

    /// The object's text, or `nil` when `value` is not an object.
    public init?(_ value: JSON) {
        guard case .object(let object) = value else { return nil }
        self.init(object)
    }

    /// Whether the object has a member named `key`.
    public func contains(_ key: String) -> Bool {
        members.contains { $0.key == key }
    }

    /// The text of the object with `values` added; a key it already has gets the new value.
    public func bytes(adding values: [String: JSON]) -> [UInt8] {
        merged(values.map { ($0.key, Addition.value($0.value)) }, extraBytes: 16 * values.count)
    }

    /// The text of the object with the member `key` added (or replaced) whose value is `text`,
    /// already serialized JSON (copied as it is, so it must be the serializer's text of a value).
    public func bytes(adding key: String, serialized text: [UInt8]) -> [UInt8] {
        merged([(key, .text(text))], extraBytes: text.count + key.utf8.count + 4)
    }

    /// The object's members and `additions` written in the serializer's key order (both lists are
    /// sorted, so one pass merges them); an addition takes the place of a member with its key.
    private func merged(_ additions: [(key: String, addition: Addition)], extraBytes: Int) -> [UInt8] {
        let additions = additions.sorted { JSONSerializer.precedes($0.key, $1.key) }
        var output: [UInt8] = [UInt8(ascii: "{")]
        output.reserveCapacity(bytes.count + extraBytes)
        var member = 0
        var addition = 0
        while member < members.count || addition < additions.count {
            if output.count > 1 { output.append(UInt8(ascii: ",")) }
            let takeAddition: Bool
            if addition == additions.count {
                takeAddition = false
            } else if member == members.count {
                takeAddition = true
            } else {
                let key = additions[addition].key
                if key == members[member].key {
                    member += 1  // replaced by the addition
                    takeAddition = true
                } else {
                    takeAddition = JSONSerializer.precedes(key, members[member].key)
                }
            }
            if takeAddition {
                let (key, value) = additions[addition]
                JSONSerializer.writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                switch value {
                case .value(let json): JSONSerializer.write(json, into: &output)
                case .text(let text): output.append(contentsOf: text)
                }
                addition += 1
            } else {
                output.append(contentsOf: bytes[members[member].text])
                member += 1
            }
        }
        output.append(UInt8(ascii: "}"))
        return output
    }
}
