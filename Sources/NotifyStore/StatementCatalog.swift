/// Every statement of the system in one list, so one integration test can prepare them all
/// against the migrated schema: a typo in SQL fails the tests, not a request in production.
public enum StatementCatalog {
    public static var all: [Statement] {
        MigrationStatements.all + MerchantStatements.all + OrderStatements.all + ConfigurationStatements.all
            + DeliveryStatements.all + EventStatements.all + DestinationStatements.all
            + MetricsStatements.all + StatsStatements.all + RateLimitStatements.all + HistoryStatements.all
    }
}

extension MigrationStatements {
    static var all: [Statement] { [lock, unlock, applied, record] }
}

extension MerchantStatements {
    static var all: [Statement] {
        [insertMerchant, insertToken, addToken, revokeToken, rotateSecret, tokenOwner, tokenOwnerAndFailures]
    }
}
