/// The SQL of merchants, their signing secrets and API tokens.
enum MerchantStatements {
    static let insertMerchant = Statement(
        "merchant_insert", "INSERT INTO merchants (merchant, signing_secret) VALUES ($1, $2)")
    static let insertToken = Statement(
        "token_insert", "INSERT INTO api_tokens (merchant, token_hash) VALUES ($1, $2)")
    static let addToken = Statement(
        "token_add",
        "INSERT INTO api_tokens (merchant, token_hash) SELECT merchant, $2 FROM merchants WHERE merchant = $1")
    static let revokeToken = Statement(
        "token_revoke", "UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL")
    static let rotateSecret = Statement(
        "merchant_rotate_secret",
        """
        UPDATE merchants
        SET previous_signing_secret = signing_secret, previous_secret_expires_at = $3::timestamptz,
            signing_secret = $2
        WHERE merchant = $1
        """)
    static let tokenOwner = Statement(
        "token_owner", "SELECT merchant, revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE token_hash = $1",
        safeToRepeat: true)
    static let tokenOwnerAndFailures = Statement("token_owner_and_failures", tokenCheck(from: 1), safeToRepeat: true)

    /// Whose token `$check` (its SHA-256) is (`token_merchant`), whether it is revoked, and how many
    /// failed authentications the client's bucket `$check + 1` has in window `$check + 2`: one row.
    /// The token's lookup, and the statements that check the token in the round trip of their own
    /// work (an events page, a kept page, an order change), all use this one text
    /// (`TokenCheck.owner(in:)` reads its row).
    static func tokenCheck(from check: Int) -> String {
        """
        SELECT t.merchant AS token_merchant, t.revoked_at IS NOT NULL AS revoked, f.hits AS failures
        FROM (SELECT 1) AS one
        LEFT JOIN api_tokens AS t ON t.token_hash = $\(check)
        LEFT JOIN rate_limits AS f ON f.bucket = $\(check + 1) AND f.window_start = $\(check + 2)::bigint
        """
    }

    /// The condition a statement reads its data under, on `auth` (`tokenCheck`'s row): the token is
    /// merchant `merchant`'s, live, and the client has fewer failures than `quota`.
    static func tokenAccepted(merchant: String, quota: String) -> String {
        "auth.token_merchant = \(merchant) AND NOT auth.revoked AND coalesce(auth.failures, 0) < \(quota)::integer"
    }

    static var all: [Statement] {
        [insertMerchant, insertToken, addToken, revokeToken, rotateSecret, tokenOwner, tokenOwnerAndFailures]
    }
}
