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
    /// Set on the routes whose statement checks the token itself (`merchantInStatement`); `merchant`
    /// is then the merchant the request names, not yet checked.
    var tokenCheck: TokenVerification?

    /// Timestamps and new ids for this request.
    var ids: Identifiers { Identifiers(now: now) }

    /// What a statement that checks the token itself needs to do so.
    var credentials: TokenCheck? {
        tokenCheck.map { $0.credentials.check(maxFailures: limits.authFailuresPerMinute) }
    }

    /// Judges what the handler's statement said about the token (owner `nil` when unknown): throws
    /// exactly what a separate authentication would have thrown.
    func verifyToken(owner: MerchantStore.TokenOwner?, failures: Int) throws {
        try tokenCheck?.verify(owner: owner, failures: failures)
    }

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

/// The pending check of a `merchantInStatement` route's credentials: done by the handler's
/// statement (``verify(owner:failures:)``) or, when the handler ended without running it, by
/// ``finish()`` with a lookup of its own; either way exactly once per request.
final class TokenVerification {
    let credentials: Authenticator.Credentials
    private let authenticator: Authenticator
    private var done = false
    /// The merchant once the credentials passed.
    private(set) var merchant: String?

    init(_ credentials: Authenticator.Credentials, _ authenticator: Authenticator) {
        self.credentials = credentials
        self.authenticator = authenticator
    }

    func verify(owner: MerchantStore.TokenOwner?, failures: Int) throws {
        done = true
        merchant = try authenticator.verify(credentials, owner: owner, failures: failures)
    }

    /// Checks the credentials on their own unless the handler's statement did.
    func finish() throws {
        guard !done else { return }
        done = true
        merchant = try authenticator.authenticate(credentials)
    }
}
