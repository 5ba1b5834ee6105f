/// Merchants, their signing secrets and their API tokens. Tokens arrive here already hashed:
/// the plain token exists only in the response that created it.
public struct MerchantStore {
    /// Who a presented token belongs to.
    public struct TokenOwner: Equatable, Sendable {
        public let merchant: String
        public let revoked: Bool
    }

    private let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Creates a merchant with its first token. Returns `false` when the merchant already exists.
    public func create(merchant: String, tokenHash: String, signingSecret: String) throws -> Bool {
        do {
            try connection.transaction {
                try connection.query(MerchantStatements.insertMerchant, [merchant, signingSecret])
                try connection.query(MerchantStatements.insertToken, [merchant, tokenHash])
            }
            return true
        } catch let error as StoreError where error.kind == .uniqueViolation {
            return false
        }
    }

    /// Adds a token to an existing merchant. Returns `false` when there is no such merchant.
    public func addToken(merchant: String, tokenHash: String) throws -> Bool {
        try connection.query(MerchantStatements.addToken, [merchant, tokenHash]).affected == 1
    }

    /// Revokes a token. Returns `false` when no live token has that hash.
    public func revokeToken(tokenHash: String) throws -> Bool {
        try connection.query(MerchantStatements.revokeToken, [tokenHash]).affected == 1
    }

    /// Replaces the merchant's signing secret; the one it replaces stays valid (deliveries carry both
    /// signatures) until `previousValidUntil` (RFC 3339). Returns `false` when there is no such merchant.
    public func rotateSecret(merchant: String, signingSecret: String, previousValidUntil: String) throws -> Bool {
        try connection.query(MerchantStatements.rotateSecret, [merchant, signingSecret, previousValidUntil])
            .affected == 1
    }

    public func tokenOwner(tokenHash: String) throws -> TokenOwner? {
        guard let row = try connection.query(MerchantStatements.tokenOwner, [tokenHash]).first else { return nil }
        return TokenOwner(merchant: try row.string("merchant"), revoked: try row.bool("revoked"))
    }

    /// The token's owner (`nil` when unknown) and the failed authentications counted for
    /// `failureBucket` in the window starting at `window`, in one round trip: the check of a
    /// client address's failures costs an authenticated request nothing extra.
    public func tokenOwner(tokenHash: String, failureBucket: String, window: Int) throws -> (
        owner: TokenOwner?, failures: Int
    ) {
        guard
            let row = try connection.query(
                MerchantStatements.tokenOwnerAndFailures, [tokenHash, failureBucket, window]
            )
            .first
        else { return (nil, 0) }
        return try TokenCheck.owner(in: row)
    }
}
