/// Strings and numbers: the byte-level part of ``JSONParser``, where UTF-8 validity, escapes,
/// surrogate pairs and the number grammar are checked.
extension JSONParser {
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// Parses the string whose opening quote is at `index`.
    mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Self.quote {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                return text
            }
            if byte == Self.backslash { break }
            try skipStringByte(byte)
        }
        var buffer = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Self.quote {
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            if byte == Self.backslash {
                try parseEscape(into: &buffer)
            } else {
                let from = index
                try skipStringByte(byte)
                buffer.append(contentsOf: bytes[from..<index])
            }
        }
        throw unexpected()
    }

    /// Steps over one unescaped character of a string, refusing control characters and invalid UTF-8.
    private mutating func skipStringByte(_ byte: UInt8) throws(JSONParseError) {
        if byte < 0x20 {
            throw .at(index, "unescaped control character 0x\(hex(byte)) in string")
        }
        if byte < 0x80 {
            index += 1
            return
        }
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch byte {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            upper = 0x9F
        case 0xF0:
            length = 4
            lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            upper = 0x8F
        default: throw .at(index, "invalid UTF-8")
        }
        guard index + length <= bytes.count, (lower...upper).contains(bytes[index + 1]) else {
            throw .at(index, "invalid UTF-8")
        }
        for offset in 2..<max(length, 2) where !(0x80...0xBF).contains(bytes[index + offset]) {
            throw .at(index, "invalid UTF-8")
        }
        index += length
    }

    /// Parses the escape sequence whose backslash is at `index` and appends its UTF-8 to `buffer`.
    private mutating func parseEscape(into buffer: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else { throw unexpected() }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(letter)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try parseUnicodeEscape(escapeStart: escapeStart)
            UTF8.encode(scalar) { buffer.append($0) }
        default:
            index -= 1
            throw .at(escapeStart, "invalid escape sequence")
        }
    }

    /// Parses the hex digits after `\u`, and the low half of a surrogate pair when there is one.
    private mutating func parseUnicodeEscape(escapeStart: Int) throws(JSONParseError) -> Unicode.Scalar {
        let unit = try parseHex4()
        var value = unit
        if (0xD800...0xDBFF).contains(unit) {
            guard index + 1 < bytes.count, bytes[index] == Self.backslash, bytes[index + 1] == UInt8(ascii: "u")
            else {
                throw .at(escapeStart, "lone surrogate in \\u escape")
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw .at(escapeStart, "lone surrogate in \\u escape")
            }
            value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw .at(escapeStart, "lone surrogate in \\u escape")
        }
        return scalar
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw unexpected() }
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .at(index, "invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Parses the number starting at `index` (RFC 8259 grammar: no leading zeros, no bare `.`).
    mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = index
        let negative = consume(UInt8(ascii: "-"))
        guard isDigitAtIndex else { throw unexpected() }
        var mantissa: UInt64 = 0
        var digitCount = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigitAtIndex { throw .at(start, "leading zero in number") }
        } else {
            while isDigitAtIndex {
                if digitCount < 18 { mantissa = mantissa * 10 + UInt64(bytes[index] - UInt8(ascii: "0")) }
                digitCount += 1
                index += 1
            }
        }
        var isPlainInteger = true
        if consume(UInt8(ascii: ".")) {
            isPlainInteger = false
            try skipDigits()
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isPlainInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            try skipDigits()
        }
        if isPlainInteger && digitCount <= 15 {
            return negative ? -Double(mantissa) : Double(mantissa)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw .at(start, "number out of range")
        }
        return value
    }

    /// Steps over one or more digits, the part of a fraction or an exponent that must be there.
    private mutating func skipDigits() throws(JSONParseError) {
        guard isDigitAtIndex else { throw unexpected() }
        while isDigitAtIndex { index += 1 }
    }

    private var isDigitAtIndex: Bool {
        index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")
    }
}
