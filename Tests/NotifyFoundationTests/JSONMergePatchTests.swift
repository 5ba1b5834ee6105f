import NotifyFoundation
import Testing

@Suite("JSON merge patch")
struct JSONMergePatchTests {
    @Test(
        "RFC 7396 appendix A examples",
        arguments: [
            (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
            (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
            (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
            (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
            (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
            (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
            (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
            (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
            (#"{"a":"foo"}"#, #"null"#, #"null"#),
            (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
            (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
            (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
            (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
        ]
    )
    func appendixA(target: String, patch: String, expected: String) throws {
        let result = try JSON.parse(target).mergePatched(with: try JSON.parse(patch))
        #expect(result == (try JSON.parse(expected)))
    }

    @Test("RFC 7396 section 3 example")
    func sectionThree() throws {
        let target = try JSON.parse(
            #"{"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"#
                + #""content":"This will be unchanged"}"#
        )
        let patch = try JSON.parse(
            #"{"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}"#
        )
        let expected = try JSON.parse(
            #"{"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"#
                + #""content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}"#
        )
        #expect(target.mergePatched(with: patch) == expected)
    }

    @Test("an empty object patch changes nothing, and the target is not modified")
    func emptyPatch() throws {
        let target = try JSON.parse(#"{"cart":{"items":[1]},"reference":"r"}"#)
        #expect(target.mergePatched(with: .object([:])) == target)
        _ = target.mergePatched(with: try JSON.parse(#"{"cart":null}"#))
        #expect(target["cart"] != nil)
    }
}
