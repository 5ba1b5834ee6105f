extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks (no Foundation needed):
    /// for header values, configuration entries and server messages.
    public func trimmingASCIIWhitespace() -> String {
        let isSpaceByte: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        // Nothing to trim (the usual case): no walk over the characters.
        let text = String(self)
        if let head = text.utf8.first, let tail = text.utf8.last, !isSpaceByte(head), !isSpaceByte(tail) {
            return text
        }
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
