import NotifyDomain
import NotifyStore

/// Checks `X-Merchant` and `Authorization: Bearer <token>` (DESIGN §4): a missing merchant is 400,
/// a missing, malformed, unknown or revoked token 401, and a valid token of another merchant 403.
/// Only the token's SHA-256 is looked up.
struct Authenticator {
    let database: Database

    /// Returns the authenticated merchant id.
    func authenticate(_ request: HTTPRequest) throws -> String {
        guard let merchant = request.headers["x-merchant"]?.trimmingASCIIWhitespace(), !merchant.isEmpty else {
            throw APIError.badRequest("the X-Merchant header is required", field: "X-Merchant")
        }
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
        guard let owner = try store.tokenOwner(tokenHash: APIToken.sha256Hex(token)) else {
            throw APIError.unauthorized("the bearer token is unknown")
        }
        guard !owner.revoked else { throw APIError.unauthorized("the bearer token has been revoked") }
        guard owner.merchant == merchant else {
            throw APIError.forbidden("the bearer token does not belong to merchant '\(merchant)'")
        }
        return merchant
    }
}
