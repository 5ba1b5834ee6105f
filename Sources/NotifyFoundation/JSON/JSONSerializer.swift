extension JSON {
    /// The compact, deterministic text of this value: no whitespace, object keys sorted by their
    /// UTF-8 bytes, integral numbers below 2^53 without a fraction. Equal values serialize to equal
    /// text, which scope keys (a value's text in the key) and the document size limit rely on.
    /// Signatures do not: a delivery is signed over its payload's bytes exactly as stored and sent.
    public func serialized() -> String {
        String(decoding: serializedBytes, as: UTF8.self)
    }

    /// The UTF-8 bytes of ``serialized()``.
    public var serializedBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        JSONSerializer.write(self, into: &output)
        return output
    }

    /// Appends the bytes of ``serialized()`` to `output`.
    public func appendSerialized(to output: inout [UInt8]) {
        JSONSerializer.write(self, into: &output)
    }

    /// Appends `text` as a JSON string literal, escaped exactly as ``serialized()`` escapes strings:
    /// lets a response be written as bytes (pieces PostgreSQL rendered, a few values added here)
    /// without building a tree, and still be byte-for-byte what the serializer would write.
    public static func appendString(_ text: String, to output: inout [UInt8]) {
        JSONSerializer.writeString(text, into: &output)
    }

    /// Whether this is a number with an integral value (`3`, `3.0`, `-1e3`), the JSON Schema
    /// meaning of `integer`.
    public var isInteger: Bool {
        guard case .number(let value) = self else { return false }
        return value.isFinite && value.rounded(.towardZero) == value
    }
}

/// Writes ``JSON`` values as compact UTF-8 text.
enum JSONSerializer {
    /// 2^53: below it every integer is exact in a `Double` and printed as an integer.
    private static let exactIntegerLimit: Double = 9_007_199_254_740_992

    static func write(_ value: JSON, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): writeNumber(number, into: &output)
        case .string(let text): writeString(text, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (position, key) in sortedKeys(members).enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                if let member = members[key] {
                    write(member, into: &output)
                }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The keys of an object in the order they are written: sorted by their UTF-8 bytes.
    static func sortedKeys(_ members: [String: JSON]) -> [String] {
        members.keys.sorted(by: precedes)
    }

    /// Whether `key` is written before `other` in an object.
    static func precedes(_ key: String, _ other: String) -> Bool {
        key.utf8.lexicographicallyPrecedes(other.utf8)
    }

    /// Integral values below 2^53 as integers, other finite values as Swift's shortest round-trip
    /// text, and non-finite values (which the parser never produces) as `null`.
    private static func writeNumber(_ number: Double, into output: inout [UInt8]) {
        guard number.isFinite else {
            output.append(contentsOf: "null".utf8)
            return
        }
        if number.rounded(.towardZero) == number && abs(number) < exactIntegerLimit {
            writeInteger(Int64(number), into: &output)
        } else {
            output.append(contentsOf: number.description.utf8)
        }
    }

    /// The decimal digits of `value`, written in place (no `String` made for them).
    private static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var rest = value.magnitude
        let first = output.count
        repeat {
            output.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        output[first...].reverse()
    }

    /// Copies runs of bytes that need no escape in one step; only `"`, `\` and control
    /// characters are escaped (UTF-8 above ASCII is written as it is).
    static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                writeEscaped(byte, into: &output)
                runStart = index + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func writeEscaped(_ byte: UInt8, into output: inout [UInt8]) {
        let letter: UInt8
        switch byte {
        case 0x0A: letter = UInt8(ascii: "n")
        case 0x0D: letter = UInt8(ascii: "r")
        case 0x09: letter = UInt8(ascii: "t")
        case 0x08: letter = UInt8(ascii: "b")
        case 0x0C: letter = UInt8(ascii: "f")
        case 0x00..<0x20:
            output.append(contentsOf: "\\u00".utf8)
            output.append(hexDigit(byte >> 4))
            output.append(hexDigit(byte & 0x0F))
            return
        default: letter = byte
        }
        output.append(UInt8(ascii: "\\"))
        output.append(letter)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
