/// Every statement of the system in one list, so one integration test can prepare them all
/// against the migrated schema (a typo in SQL fails the tests, not a request in production), and
/// tools outside Swift (`notifyctl sql NAME`, the benchmark) read the SQL the code runs instead of
/// a copy of it.
public enum StatementCatalog {
    public static var all: [Statement] {
        ConnectionStatements.all + MigrationStatements.all + MerchantStatements.all + OrderStatements.all
            + ConfigurationStatements.all + DeliveryStatements.all + EventStatements.all + DestinationStatements.all
            + MetricsStatements.all + StatsStatements.all + RateLimitStatements.all + HistoryStatements.all
            + KeptPageStatements.all
    }

    /// The statement called `name` (its prepared-statement name, e.g. `deliveries_claim`).
    public static func named(_ name: String) -> Statement? {
        all.first { $0.name == name }
    }
}
