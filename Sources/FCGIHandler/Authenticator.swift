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
struct Authenticator {
    let database: Database
    let limits: APILimits

    /// Returns the authenticated merchant id.
    func authenticate(_ request: HTTPRequest, now: Date) throws -> String {
        guard let merchant = request.headers["x-merchant"]?.trimmingASCIIWhitespace(), !merchant.isEmpty else {
            throw APIError.badRequest("the X-Merchant header is required", field: "X-Merchant")
        }
        let window = APILimits.minuteWindow(now)
        let bucket = "auth:" + String(request.remoteAddress.prefix(64))
        do {
            return try check(request, merchant: merchant, bucket: bucket, window: window)
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

    private func check(
        _ request: HTTPRequest, merchant: String, bucket: String, window: (start: Int, secondsLeft: Int)
    ) throws -> String {
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
        let store = MerchantStore(connection: try database.connection())
        let (owner, failures) = try store.tokenOwner(
            tokenHash: APIToken.sha256Hex(token), failureBucket: bucket, window: window.start)
        guard failures < limits.authFailuresPerMinute else { throw tooMany(window) }
        guard let owner else { throw APIError.unauthorized("the bearer token is unknown") }
        guard !owner.revoked else { throw APIError.unauthorized("the bearer token has been revoked") }
        guard owner.merchant == merchant else {
            throw APIError.forbidden("the bearer token does not belong to merchant '\(merchant)'")
        }
        return merchant
    }

    private func tooMany(_ window: (start: Int, secondsLeft: Int)) -> APIError {
        .tooManyRequests(
            "too many failed authentications from this address; try again in \(window.secondsLeft) s",
            retryAfter: window.secondsLeft)
    }
}
