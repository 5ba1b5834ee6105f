import NotifyFoundation
import NotifyStore

/// `offset` and `limit` of a list request (limit 10 by default, at most 100), and the
/// `pagination` object of its answer: one rule for every list of the API.
struct Paging {
    let offset: Int
    let limit: Int

    init(_ context: RequestContext) throws {
        offset = try Self.integer(context.queryValue("offset"), name: "offset", default: 0, range: 0...1_000_000)
        limit = try Self.integer(context.queryValue("limit"), name: "limit", default: 10, range: 1...100)
    }

    /// `{"data": [...], "pagination": {"offset", "limit", "size", "totalSize"}}`.
    func page(_ items: [JSON], total: Int) -> JSON {
        .object([
            "data": .array(items),
            "pagination": .object([
                "offset": .number(Double(offset)), "limit": .number(Double(limit)),
                "size": .number(Double(items.count)), "totalSize": .number(Double(total)),
            ]),
        ])
    }

    /// The same page as ``page(_:total:)`` from items PostgreSQL already rendered (`page.data`, a JSON
    /// array): the bytes are those the serializer would write, without building a tree.
    func response(_ page: RenderedPage) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(page.data.count + 96)
        body.append(contentsOf: #"{"data":"#.utf8)
        body.append(contentsOf: page.data)
        body.append(contentsOf: #","pagination":{"limit":\#(limit),"offset":\#(offset),"size":\#(page.size),"#.utf8)
        body.append(contentsOf: #""totalSize":\#(page.total)}}"#.utf8)
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
    }

    /// An integer query value within `range`, `value` when absent; anything else is a 400 naming it.
    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws
        -> Int
    {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return number
    }
}
