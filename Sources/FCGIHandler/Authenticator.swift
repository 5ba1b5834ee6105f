import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore

/// Checks `X-Merchant` and `Authorization: Bearer <token>`: a missing merchant is 400,
/// a missing, malformed, unknown or revoked token 401, and a valid token of another merchant 403.
/// Only the token's SHA-256 is looked up.
///
/// Each 401 or 403 counts as a failed authentication of the client address (`REMOTE_ADDR`, the
/// peer nginx saw); once an address has `APILimits.authFailuresPerMinute` failures in the current
/// minute, every request from it is a 429 until the minute ends, even with a right token, so
/// guessing tokens gains nothing from speed.
///
/// The check has two halves: ``credentials(_:now:)`` reads the headers (no database unless they
/// are refused), ``verify(_:owner:failures:)`` judges what the database says about the token.
/// ``authenticate(_:now:)`` runs both with a lookup of its own; a route whose statement looks the
/// token up itself (the event list) runs the halves around that statement and saves a round trip.
struct Authenticator {
    let database: Database
    let limits: APILimits

    /// What a request presented: the merchant it names, its token's hash, and where its failed
    /// authentications are counted.
    struct Credentials {
        let merchant: String
        let tokenHash: String
        let bucket: String
        let window: (start: Int, secondsLeft: Int)

        /// The same, as the store's statements take it.
        func check(maxFailures: Int) -> TokenCheck {
            TokenCheck(tokenHash: tokenHash, failureBucket: bucket, window: window.start, maxFailures: maxFailures)
        }
    }

    /// Returns the authenticated merchant id.
    func authenticate(_ request: HTTPRequest, now: Date) throws -> String {
        try authenticate(try credentials(request, now: now))
    }

    /// Looks the token of `credentials` up on its own and judges it (``verify(_:owner:failures:)``).
    func authenticate(_ credentials: Credentials) throws -> String {
        let (owner, failures) = try MerchantStore(connection: try database.connection()).tokenOwner(
            tokenHash: credentials.tokenHash, failureBucket: credentials.bucket, window: credentials.window.start)
        return try verify(credentials, owner: owner, failures: failures)
    }

    /// The merchant and token of the request's headers; a missing merchant is 400, a missing or
    /// malformed token 401 (counted).
    func credentials(_ request: HTTPRequest, now: Date) throws -> Credentials {
        guard let merchant = request.headers["x-merchant"]?.trimmingASCIIWhitespace(), !merchant.isEmpty else {
            throw APIError.badRequest("the X-Merchant header is required", field: "X-Merchant")
        }
        let window = APILimits.minuteWindow(now)
        let bucket = "auth:" + String(request.remoteAddress.prefix(64))
        return try counted(bucket, window) {
            guard let authorization = request.headers["authorization"] else {
                throw APIError.unauthorized("the Authorization header is required")
            }
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'")
            }
            let token = parts[1].trimmingASCIIWhitespace()
            guard APIToken.isWellFormed(token) else {
                throw APIError.unauthorized("the bearer token is malformed")
            }
            return Credentials(merchant: merchant, tokenHash: APIToken.sha256Hex(token), bucket: bucket, window: window)
        }
    }

    /// The merchant when the token (`owner`, `nil` when unknown) is the named merchant's and live,
    /// and the client's `failures` in this window are under the quota: else 429, 401 or 403 (the
    /// 401 and 403 counted).
    func verify(_ credentials: Credentials, owner: MerchantStore.TokenOwner?, failures: Int) throws -> String {
        try counted(credentials.bucket, credentials.window) {
            guard failures < limits.authFailuresPerMinute else { throw tooMany(credentials.window) }
            guard let owner else { throw APIError.unauthorized("the bearer token is unknown") }
            guard !owner.revoked else { throw APIError.unauthorized("the bearer token has been revoked") }
            guard owner.merchant == credentials.merchant else {
                throw APIError.forbidden("the bearer token does not belong to merchant '\(credentials.merchant)'")
            }
            return credentials.merchant
        }
    }

    /// Runs `body`; a 401 or 403 it throws counts one failure of `bucket`, and becomes a 429 once
    /// the failures pass the quota.
    private func counted<T>(_ bucket: String, _ window: (start: Int, secondsLeft: Int), _ body: () throws -> T)
        throws -> T
    {
        do {
            return try body()
        } catch let error as APIError {
            switch error {
            case .unauthorized, .forbidden:
                let failures = try RateLimitStore(connection: try database.connection())
                    .hit(bucket: bucket, window: window.start)
                if failures > limits.authFailuresPerMinute { throw tooMany(window) }
            default: break
            }
            throw error
        }
    }

    private func tooMany(_ window: (start: Int, secondsLeft: Int)) -> APIError {
        .tooManyRequests(
            "too many failed authentications from this address; try again in \(window.secondsLeft) s",
            retryAfter: window.secondsLeft)
    }
}
