import Testing

@testable import NotifyDomain

@Suite("API tokens")
struct TokensTests {
    @Test func tokenShape() {
        let token = APIToken.make(randomBytes: [UInt8](repeating: 0xfb, count: 32))
        #expect(token == "ntf_" + String(repeating: "-_v7", count: 10) + "-_s")
        #expect(token.count == 4 + 43)
        #expect(APIToken.isWellFormed(token))
    }

    @Test(arguments: [
        "", "ntf_", "ntf_abc", "xyz_" + String(repeating: "a", count: 43),
        "ntf_" + String(repeating: "a", count: 42) + "=", "ntf_" + String(repeating: "a", count: 44),
    ])
    func malformedTokens(text: String) {
        #expect(!APIToken.isWellFormed(text))
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ])
    func sha256Hex(text: String, hex: String) {
        #expect(APIToken.sha256Hex(text) == hex)
    }
}
