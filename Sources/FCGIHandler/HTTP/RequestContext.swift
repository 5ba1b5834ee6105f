import Foundation
import Logging
import NotifyStore

/// What a handler gets: the request, its path parameters, the authenticated merchant, the
/// worker's database access and the time the request arrived (handlers never read the clock).
struct RequestContext {
    let request: HTTPRequest
    let parameters: [String: String]
    let merchant: String
    let database: Database
    let now: Date
    let logger: Logger
    let limits: APILimits

    /// Timestamps and new ids for this request.
    var ids: Identifiers { Identifiers(now: now) }

    /// A path parameter the route pattern guarantees.
    func parameter(_ name: String) -> String {
        parameters[name] ?? ""
    }

    /// The query value of `names` (first one present wins; aliases such as `orderId`/`order_id`).
    func queryValue(_ names: String...) -> String? {
        for name in names {
            if let pair = request.query.last(where: { $0.name == name }) { return pair.value }
        }
        return nil
    }
}
