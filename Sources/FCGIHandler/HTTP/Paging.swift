import NotifyFoundation

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
