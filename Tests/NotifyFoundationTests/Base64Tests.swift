import Testing

@testable import NotifyFoundation

@Suite("Base64")
struct Base64Tests {
    // RFC 4648 §10 test vectors.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func urlSafeHasNoPaddingAndNoPlusOrSlash() {
        #expect(Base64.encodeURLSafe([0xfb, 0xff]) == "-_8")
        #expect(Base64.encode([0xfb, 0xff]) == "+/8=")
        #expect(Base64.decode("-_8") == [0xfb, 0xff])
        #expect(Base64.decode("Zm8") == Array("fo".utf8))
    }

    @Test(arguments: ["Z", "Zm9v=", "Zg===", "Zh==", "Zm 9v", "Zm9v!"])
    func refusesInvalid(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
