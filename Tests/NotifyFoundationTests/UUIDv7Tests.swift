import Testing

@testable import NotifyFoundation

@Suite("UUIDv7")
struct UUIDv7Tests {
    // RFC 9562 Appendix A.6: 2022-02-22 19:22:22 UTC = 0x017F22E279B0 ms.
    @Test func rfc9562Example() {
        let random: [UInt8] = [0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f]
        #expect(UUIDv7.make(unixMillis: 0x017F_22E2_79B0, random: random) == "017f22e2-79b0-7cc3-98c4-dc0c0c07398f")
    }

    @Test(arguments: [
        (UInt64(0), [UInt8](repeating: 0, count: 10), "00000000-0000-7000-8000-000000000000"),
        (UInt64(0xFFFF_FFFF_FFFF), [UInt8](repeating: 0xff, count: 10), "ffffffff-ffff-7fff-bfff-ffffffffffff"),
        (UInt64(1_700_000_000_123), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "018bcfe5-687b-7102-8304-05060708090a"),
    ])
    func layout(millis: UInt64, random: [UInt8], expected: String) {
        let id = UUIDv7.make(unixMillis: millis, random: random)
        #expect(id == expected)
        #expect(UUIDv7.isValid(id))
        #expect(UUIDv7.unixMillis(of: id) == millis)
    }

    @Test func sortsByTime() {
        let random = [UInt8](repeating: 0xff, count: 10)
        let earlier = UUIDv7.make(unixMillis: 1_700_000_000_000, random: random)
        let later = UUIDv7.make(unixMillis: 1_700_000_000_001, random: [UInt8](repeating: 0, count: 10))
        #expect(earlier < later)
    }

    @Test(arguments: [
        "017f22e2-79b0-4cc3-98c4-dc0c0c07398f", "017f22e2-79b0-7cc3-c8c4-dc0c0c07398f",
        "017f22e279b0-7cc3-98c4-dc0c0c07398f", "017f22e2-79b0-7cc3-98c4-dc0c0c07398g", "",
    ])
    func refusesOthers(text: String) {
        #expect(!UUIDv7.isValid(text))
        #expect(UUIDv7.unixMillis(of: text) == nil)
    }
}

@Suite struct UUIDv7GeneratorTests {
    /// Counts up from a seed: deterministic draws for the test.
    struct CountingGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 1
            return state
        }
    }

    @Test func drawsTwoWordsIntoTheRandomBits() {
        var generator = CountingGenerator(state: 0x0102_0304_0506_0707)
        let id = UUIDv7.make(unixMillis: 1_614_265_330_000, using: &generator)
        #expect(UUIDv7.isValid(id))
        #expect(UUIDv7.unixMillis(of: id) == 1_614_265_330_000)
        let expected = UUIDv7.make(
            unixMillis: 1_614_265_330_000, random: [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x09, 0x07])
        #expect(id == expected)
        #expect(generator.state == 0x0102_0304_0506_0709)
    }
}
