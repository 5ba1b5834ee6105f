/// `GET /healthz`: 200 when this worker can reach the database, 503 when it cannot.
enum HealthRoutes {
    static func register(in router: inout Router) {
        router.add("GET", "/healthz", access: .open) { context in
            guard let connection = try? context.database.connection(), connection.ping() else {
                throw APIError.serviceUnavailable("the database is unreachable")
            }
            return .json(200, .object(["status": .string("ok"), "database": .string("ok")]))
        }
    }
}
