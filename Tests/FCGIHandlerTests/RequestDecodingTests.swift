import Testing

@testable import FCGIHandler

/// The request as handlers see it, decoded from nginx's CGI parameters on their bytes.
@Suite struct RequestDecodingTests {
    @Test func queryPairsAreSplitAndDecoded() {
        let pairs = QueryString.parse("orderId=a%2Db&&empty=&flag&=nameless&name=x+y%20z&last=%e2%82%ac")
        #expect(pairs.map(\.name) == ["orderId", "empty", "flag", "name", "last"])
        #expect(pairs.map(\.value) == ["a-b", "", "", "x y z", "€"])
    }

    /// Only two hex digits make an escape; anything else keeps its raw text.
    @Test func anUndecodableEscapeKeepsItsText() {
        #expect(QueryString.decode("%-0%4") == "%-0%4")
        #expect(QueryString.decode("%+f") == "% f")  // not 0x0F: a sign is no hex digit
        #expect(QueryString.decode("%zz%") == "%zz%")
        #expect(QueryString.decode("%4A%4a") == "JJ")
    }

    /// Escapes that decode to bytes which are not UTF-8 (a lone `%ff`, a cut-off sequence) become
    /// U+FFFD, never a crash or a dropped pair.
    @Test func escapesOfMalformedUTF8BecomeReplacementCharacters() {
        #expect(QueryString.decode("%ff") == "\u{FFFD}")
        #expect(QueryString.decode("%e2%82x") == "\u{FFFD}x")
        #expect(QueryString.parse("a=%c3&b=%c3%a9").map(\.value) == ["\u{FFFD}", "é"])
    }

    @Test func headersAndPathComeFromTheParameters() {
        let request = HTTPRequest(
            parameters: [
                "REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/events?orderId=x", "QUERY_STRING": "orderId=x",
                "HTTP_X_MERCHANT": "m", "HTTP_X_REQUEST_ID": "r", "CONTENT_TYPE": "application/json",
                "HTTP_ÄB_C": "v",
            ], body: [])
        #expect(request.path == "/api/v1/events")
        #expect(request.headers["x-merchant"] == "m")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["äb-c"] == "v")
        #expect(request.requestId == "r")
        #expect(request.query.first?.value == "x")
        #expect(HTTPRequest(parameters: ["REQUEST_URI": "?a=1"], body: []).path == "")
        #expect(HTTPRequest(parameters: [:], body: []).path == "/")
    }
}
