/// The libpq conninfo every binary uses unless `NOTIFY_DATABASE_URL` says otherwise: the cluster
/// `scripts/run` keeps under `.state/pg` of the working directory (unix socket only).
public enum DatabaseURL {
    public static func fromEnvironment(_ environment: [String: String], workingDirectory: String) -> String {
        if let url = environment["NOTIFY_DATABASE_URL"], !url.isEmpty { return url }
        return "host=\(workingDirectory)/.state/pg/sock user=notify dbname=notify"
    }
}
