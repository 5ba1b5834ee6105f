import NotifyFoundation
import Testing

@Suite("JSON schema")
struct JSONSchemaTests {
    @Test(
        "each keyword accepts and refuses",
        arguments: [
            (#"true"#, #"{"any":"thing"}"#, true),
            (#"false"#, #"null"#, false),
            (#"{}"#, #"[1]"#, true),
            (#"{"const":{"a":[1,2]}}"#, #"{"a":[1,2]}"#, true),
            (#"{"const":{"a":[1,2]}}"#, #"{"a":[2,1]}"#, false),
            (#"{"const":1}"#, #"1.0"#, true),
            (#"{"const":null}"#, #"false"#, false),
            (#"{"enum":["completed","declined"]}"#, #""declined""#, true),
            (#"{"enum":["completed","declined"]}"#, #""accepted""#, false),
            (#"{"enum":[]}"#, #""x""#, false),
            (#"{"type":"string"}"#, #""x""#, true),
            (#"{"type":"string"}"#, #"1"#, false),
            (#"{"type":"integer"}"#, #"3.0"#, true),
            (#"{"type":"integer"}"#, #"3.5"#, false),
            (#"{"type":"number"}"#, #"3"#, true),
            (#"{"type":"boolean"}"#, #"true"#, true),
            (#"{"type":"boolean"}"#, #"0"#, false),
            (#"{"type":"null"}"#, #"null"#, true),
            (#"{"type":"object"}"#, #"[]"#, false),
            (#"{"type":"array"}"#, #"[]"#, true),
            (#"{"type":["string","null"]}"#, #"null"#, true),
            (#"{"type":["string","null"]}"#, #"{}"#, false),
            (#"{"minimum":100}"#, #"100"#, true),
            (#"{"minimum":100}"#, #"99.99"#, false),
            (#"{"minimum":100}"#, #""1""#, true),
            (#"{"maximum":10}"#, #"10"#, true),
            (#"{"maximum":10}"#, #"10.5"#, false),
            (#"{"exclusiveMinimum":0}"#, #"0.001"#, true),
            (#"{"exclusiveMinimum":0}"#, #"0"#, false),
            (#"{"exclusiveMaximum":5}"#, #"4"#, true),
            (#"{"exclusiveMaximum":5}"#, #"5"#, false),
            (#"{"minLength":2}"#, #""é😀""#, true),
            (#"{"minLength":2}"#, #""a""#, false),
            (#"{"minLength":2}"#, #"1"#, true),
            (#"{"maxLength":1}"#, #""😀""#, true),
            (#"{"maxLength":1}"#, #""ab""#, false),
            (#"{"pattern":"^ord-[0-9]+$"}"#, #""ord-42""#, true),
            (#"{"pattern":"^ord-[0-9]+$"}"#, #""ord-4x""#, false),
            (#"{"pattern":"[0-9]{3}"}"#, #""abc123def""#, true),
            (#"{"pattern":"\\d"}"#, #""٣""#, false),
            (#"{"pattern":"^a"}"#, #"17"#, true),
            (#"{"pattern":"^(a+)+$"}"#, #""aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!""#, false),
            (#"{"pattern":"^(a+)+$"}"#, #""aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa""#, true),
            (#"{"required":["id","amount"]}"#, #"{"id":1,"amount":null}"#, true),
            (#"{"required":["id","amount"]}"#, #"{"id":1}"#, false),
            (#"{"required":["id"]}"#, #"["id"]"#, true),
            (#"{"properties":{"amount":{"minimum":0}}}"#, #"{"amount":5}"#, true),
            (#"{"properties":{"amount":{"minimum":0}}}"#, #"{"amount":-5}"#, false),
            (#"{"properties":{"amount":{"minimum":0}}}"#, #"{"other":-5}"#, true),
            (#"{"properties":{"a":false}}"#, #"{"a":1}"#, false),
            (#"{"items":{"type":"integer"}}"#, #"[1,2,3]"#, true),
            (#"{"items":{"type":"integer"}}"#, #"[1,"2"]"#, false),
            (#"{"items":{"type":"integer"}}"#, #"[]"#, true),
            (#"{"minItems":1}"#, #"[0]"#, true),
            (#"{"minItems":1}"#, #"[]"#, false),
            (#"{"maxItems":1}"#, #"[0]"#, true),
            (#"{"maxItems":1}"#, #"[0,1]"#, false),
            (#"{"not":{"type":"string"}}"#, #"1"#, true),
            (#"{"not":{"type":"string"}}"#, #""x""#, false),
            (#"{"allOf":[{"minimum":1},{"maximum":3}]}"#, #"2"#, true),
            (#"{"allOf":[{"minimum":1},{"maximum":3}]}"#, #"4"#, false),
            (#"{"anyOf":[{"const":"a"},{"const":"b"}]}"#, #""b""#, true),
            (#"{"anyOf":[{"const":"a"},{"const":"b"}]}"#, #""c""#, false),
            (#"{"oneOf":[{"minimum":0},{"maximum":10}]}"#, #"-1"#, true),
            (#"{"oneOf":[{"minimum":0},{"maximum":10}]}"#, #"5"#, false),
            (#"{"oneOf":[{"minimum":0},{"maximum":10}]}"#, #"20"#, true),
            (#"{"oneOf":[{"const":1},{"const":2}]}"#, #"3"#, false),
        ]
    )
    func keyword(schema: String, instance: String, valid: Bool) throws {
        let compiled = try JSONSchema(JSON.parse(schema))
        #expect(compiled.validates(try JSON.parse(instance)) == valid)
    }

    @Test("nested properties and items")
    func nested() throws {
        let schema = try JSONSchema(
            JSON.parse(
                #"{"type":"array","minItems":1,"items":{"type":"object","required":["state"],"#
                    + #""properties":{"state":{"enum":["completed"]},"amount":{"type":"number","exclusiveMinimum":0},"#
                    + #""tags":{"items":{"type":"string","maxLength":3}}}}}"#
            )
        )
        let cases: [(String, Bool)] = [
            (#"[{"state":"completed","amount":10,"tags":["a","bc"]}]"#, true),
            (#"[{"state":"completed"},{"state":"completed","amount":0.5}]"#, true),
            (#"[]"#, false),
            (#"[{"state":"pending"}]"#, false),
            (#"[{"amount":10}]"#, false),
            (#"[{"state":"completed","amount":0}]"#, false),
            (#"[{"state":"completed","tags":["long"]}]"#, false),
            (#"[{"state":"completed"},"x"]"#, false),
        ]
        for (instance, valid) in cases {
            #expect(schema.validates(try JSON.parse(instance)) == valid, "\(instance)")
        }
    }

    @Test(
        "unsupported keywords and wrong-typed values are refused with the keyword's path",
        arguments: [
            (##"{"$ref":"#/x"}"##, "schema.$ref", "unsupported keyword '$ref'"),
            (#"{"$defs":{}}"#, "schema.$defs", "unsupported keyword '$defs'"),
            (
                #"{"contentMediaType":"text/plain"}"#, "schema.contentMediaType",
                "unsupported keyword 'contentMediaType'"
            ),
            (#"{"format":5}"#, "schema.format", "must be a string"),
            (#"{"$schema":null}"#, "schema.$schema", "must be a string"),
            (#"{"examples":"x"}"#, "schema.examples", "must be an array"),
            (#"{"readOnly":"yes"}"#, "schema.readOnly", "must be a boolean"),
            (
                #"{"additionalProperties":false}"#, "schema.additionalProperties",
                "unsupported keyword 'additionalProperties'"
            ),
            (#"{"title":{"en":"t"}}"#, "schema.title", "must be a string"),
            (
                #"{"properties":{"amount":{"description":1}}}"#, "schema.properties.amount.description",
                "must be a string"
            ),
            (
                #"{"title":"t","properties":{"a":{"format":"x","if":{}}}}"#, "schema.properties.a.if",
                "unsupported keyword 'if'"
            ),
            (#"{"properties":{"amount":{"minimum":"3"}}}"#, "schema.properties.amount.minimum", "must be a number"),
            (
                #"{"items":{"items":{"maxLength":-1}}}"#, "schema.items.items.maxLength",
                "must be a non-negative integer"
            ),
            (#"{"allOf":[{},{"not":{"const":1,"foo":2}}]}"#, "schema.allOf[1].not.foo", "unsupported keyword 'foo'"),
            (
                #"{"anyOf":[{"type":"decimal"}]}"#, "schema.anyOf[0].type",
                "unknown type 'decimal', expected one of null, boolean, object, array, number, integer, string"
            ),
            (#"{"minimum":"3"}"#, "schema.minimum", "must be a number"),
            (#"{"maximum":null}"#, "schema.maximum", "must be a number"),
            (#"{"exclusiveMinimum":true}"#, "schema.exclusiveMinimum", "must be a number"),
            (#"{"exclusiveMaximum":[1]}"#, "schema.exclusiveMaximum", "must be a number"),
            (#"{"minLength":-1}"#, "schema.minLength", "must be a non-negative integer"),
            (#"{"maxLength":1.5}"#, "schema.maxLength", "must be a non-negative integer"),
            (#"{"minItems":"1"}"#, "schema.minItems", "must be a non-negative integer"),
            (#"{"maxItems":1e300}"#, "schema.maxItems", "must be a non-negative integer"),
            (#"{"required":[1]}"#, "schema.required[0]", "must be a string"),
            (#"{"required":["a","a"]}"#, "schema.required[1]", "duplicate 'a'"),
            (#"{"required":"a"}"#, "schema.required", "must be an array of strings"),
            (#"{"enum":"a"}"#, "schema.enum", "must be an array"),
            (#"{"type":[]}"#, "schema.type", "must be a type name or a non-empty array of type names"),
            (
                #"{"type":["string",1]}"#, "schema.type[1]",
                "must be one of null, boolean, object, array, number, integer, string"
            ),
            (#"{"type":["string","string"]}"#, "schema.type[1]", "duplicate type 'string'"),
            (#"{"pattern":"("}"#, "schema.pattern", "missing ')' for the group opened at position 0"),
            (
                #"{"pattern":"(a)\\1"}"#, "schema.pattern",
                #"unsupported in pattern: backreference '\1' at position 3 (groups capture nothing)"#
            ),
            (
                #"{"pattern":"a{1001}"}"#, "schema.pattern",
                "pattern too large: repetition '{1001}' at position 1 has a bound above 1000"
            ),
            (#"{"pattern":1}"#, "schema.pattern", "must be a string"),
            (#"{"properties":[]}"#, "schema.properties", "must be an object of schemas"),
            (#"{"properties":{"a":1}}"#, "schema.properties.a", "a schema must be an object or a boolean"),
            (#"{"items":[{}]}"#, "schema.items", "a schema must be an object or a boolean"),
            (#"{"not":"x"}"#, "schema.not", "a schema must be an object or a boolean"),
            (#"{"allOf":[]}"#, "schema.allOf", "must be a non-empty array of schemas"),
            (#"{"oneOf":{}}"#, "schema.oneOf", "must be a non-empty array of schemas"),
            (#""string""#, "schema", "a schema must be an object or a boolean"),
            (#"null"#, "schema", "a schema must be an object or a boolean"),
        ]
    )
    func refused(schema: String, field: String, message: String) throws {
        let json = try JSON.parse(schema)
        let error = #expect(throws: ValidationError.self) { try JSONSchema(json) }
        #expect(error == ValidationError(field: field, message))
    }

    @Test("the first problem reported is deterministic: keywords are checked in sorted order")
    func deterministicError() throws {
        let json = try JSON.parse(#"{"zzz":1,"maximum":"x","format":"y","if":{}}"#)
        let error = #expect(throws: ValidationError.self) { try JSONSchema(json) }
        #expect(error?.field == "schema.if")
    }

    @Test("annotations are accepted and change nothing about what validates")
    func annotationsIgnored() throws {
        let plain = try JSONSchema(JSON.parse(#"{"enum":["completed"]}"#))
        let annotated = try JSONSchema(
            JSON.parse(
                #"""
                {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://example.com/s",
                 "$comment":"c","title":"Completed","description":"the order is done","examples":["completed"],
                 "default":"completed","deprecated":false,"readOnly":true,"writeOnly":false,"format":"email",
                 "enum":["completed"]}
                """#))
        let formatOnly = try JSONSchema(JSON.parse(#"{"type":"string","format":"date-time"}"#))
        let nested = try JSONSchema(
            JSON.parse(#"{"properties":{"at":{"format":"date","title":"t","minLength":3}},"description":"d"}"#))
        for instance in [#""completed""#, #""accepted""#, "1", "null", #"{"at":"x"}"#, #"{"at":"2026-01-01"}"#] {
            let value = try JSON.parse(instance)
            #expect(annotated.validates(value) == plain.validates(value), "\(instance)")
        }
        #expect(formatOnly.validates(.string("not a date")))
        #expect(!formatOnly.validates(.number(1)))
        #expect(nested.validates(try JSON.parse(#"{"at":"abc"}"#)))
        #expect(!nested.validates(try JSON.parse(#"{"at":"ab"}"#)))
        #expect(try JSONSchema(JSON.parse(#"{"title":"anything goes"}"#)).validates(.null))
    }

    @Test("schemas are equal when their sources are")
    func equality() throws {
        let first = try JSONSchema(JSON.parse(#"{"pattern":"^a","minLength":1}"#))
        let second = try JSONSchema(JSON.parse(#"{"minLength":1,"pattern":"^a"}"#))
        let third = try JSONSchema(JSON.parse(#"{"pattern":"^b","minLength":1}"#))
        #expect(first == second)
        #expect(first != third)
        #expect(first.source == (try JSON.parse(#"{"minLength":1,"pattern":"^a"}"#)))
    }
}
