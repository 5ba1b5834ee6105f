import NotifyFoundation

/// Decodes `application/x-www-form-urlencoded` query strings (`a=1&b=x%20y`). An undecodable
/// percent escape keeps its raw text; handlers validate the values they use. Works on the UTF-8
/// bytes: every delimiter is ASCII.
enum QueryString {
    static func parse(_ text: String) -> [(name: String, value: String)] {
        text.utf8.split(separator: UInt8(ascii: "&")).compactMap { pair in
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = pair[..<(equals ?? pair.endIndex)]
            guard !rawName.isEmpty else { return nil }
            let rawValue = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            return (decode(rawName), decode(rawValue))
        }
    }

    static func decode(_ text: Substring) -> String {
        decode(text.utf8)
    }

    private static func decode<Bytes: Collection<UInt8>>(_ utf8: Bytes) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex),
                let low = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), low < utf8.endIndex,
                let highValue = Hex.value(utf8[high]), let lowValue = Hex.value(utf8[low])
            {
                bytes.append(highValue << 4 | lowValue)
                index = low
            } else {
                bytes.append(byte)
            }
            index = utf8.index(after: index)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
