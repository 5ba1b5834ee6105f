/// The whole API surface in one list: the place to look for what a path does.
enum Routes {
    static func build() -> Router {
        var router = Router()
        HealthRoutes.register(in: &router)
        OrderRoutes.register(in: &router)
        OrderItemRoutes.register(in: &router)
        NotificationRoutes.register(in: &router)
        ConfigurationRoutes.register(in: &router)
        EventRoutes.register(in: &router)
        StatsRoutes.register(in: &router)
        DestinationRoutes.register(in: &router)
        MetricsRoutes.register(in: &router)
        DocumentationRoutes.register(in: &router)
        return router
    }
}
