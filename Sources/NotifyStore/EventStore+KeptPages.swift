import NotifyFoundation

/// The order version and history epoch a page was rendered at (migration 0010): the page is served
/// again only while both are current.
struct KeptAt {
    let version: Int
    let epoch: Int
}

/// One order's events page kept rendered: a client polling an order whose events have not changed
/// is answered by one index lookup (with the token check in the same statement) instead of a
/// render of every event and its attempts. A page is never stale: every change of the order's
/// events gives the order a new version in the transaction that makes it (a trigger on `events`),
/// and a page is served only at the version it was rendered at.
extension EventStore {
    func keptPage(
        merchant: String, orderId: String, filter: EventFilter, offset: Int, limit: Int, credentials: TokenCheck,
        nowMillis: UInt64
    ) throws -> (owner: MerchantStore.TokenOwner?, failures: Int, page: RenderedPage?) {
        let query = Self.keptQuery(filter, offset: offset, limit: limit)
        let rows = try connection.query(KeptPageStatements.read, [merchant, orderId, query] + credentials.parameters)
        guard let row = rows.first else {
            throw StoreError(kind: .failed, message: "no credentials row", statement: rows.statement)
        }
        let (owner, failures, accepted) = try credentials.verdict(row, merchant: merchant)
        guard accepted else { return (owner, failures, nil) }
        if let size = try row.optionalInt("size") {
            var page = RenderedPage(size: size, total: try row.int("total"))
            try row.appendBytes("data", to: &page.data)
            return (owner, failures, page)
        }
        let rendered = try render(
            merchant: merchant, filter: filter, offset: offset, limit: limit, credentials: credentials,
            nowMillis: nowMillis)
        if let page = rendered.verdict.page, let kept = rendered.kept {
            try connection.query(
                KeptPageStatements.keep,
                [
                    merchant, orderId, query, kept.version, kept.epoch, String(decoding: page.data, as: UTF8.self),
                    page.size, page.total,
                ])
        }
        return rendered.verdict
    }

    /// What tells one page of an order's events from another: every filter but the order, the
    /// offset and the limit, as a JSON array (unambiguous whatever the values hold).
    static func keptQuery(_ filter: EventFilter, offset: Int, limit: Int) -> String {
        let filters = [
            filter.scope, filter.status, filter.channel, filter.adapterId, filter.reference, filter.destinationId,
        ]
        return JSON.array(
            filters.map { $0.map(JSON.string) ?? .null } + [.number(Double(offset)), .number(Double(limit))]
        )
        .serialized()
    }
}
