import Foundation
import Logging
import NotifyStore

/// Turns one request into one response: routing, authentication, the handler, and the mapping of
/// every error to problem+json. It never throws, so a bad request cannot take a worker down.
struct Application {
    let router: Router
    let database: Database
    let logger: Logger
    let limits: APILimits

    init(database: Database, logger: Logger, limits: APILimits = APILimits()) {
        self.router = Routes.build()
        self.database = database
        self.logger = logger
        self.limits = limits
    }

    /// The response and, when authenticated, the merchant (for the access log).
    func respond(to request: HTTPRequest, now: Date) -> (HTTPResponse, merchant: String?) {
        var merchant: String?
        do {
            switch router.match(method: request.method, path: request.path) {
            case .notFound:
                throw APIError.notFound("no resource at \(request.path)")
            case .methodNotAllowed(let allowed):
                throw APIError.methodNotAllowed(allowed: allowed)
            case .found(let route, let parameters):
                let authenticator = Authenticator(database: database, limits: limits)
                var tokenCheck: TokenVerification?
                switch route.access {
                case .merchant: merchant = try authenticator.authenticate(request, now: now)
                case .merchantInStatement:
                    tokenCheck = TokenVerification(try authenticator.credentials(request, now: now), authenticator)
                case .open: break
                }
                var requestLogger = logger
                requestLogger[metadataKey: "request.id"] = "\(request.requestId)"
                var context = RequestContext(
                    request: request, parameters: parameters,
                    merchant: merchant ?? tokenCheck?.credentials.merchant ?? "",
                    database: database, now: now, logger: requestLogger, limits: limits)
                context.tokenCheck = tokenCheck
                let handled = Result { try route.handler(context) }
                // Refused credentials answer first, whatever the handler did, as when they are
                // checked before the handler.
                try tokenCheck?.finish()
                if let tokenCheck { merchant = tokenCheck.merchant }
                return (try handled.get(), merchant)
            }
        } catch {
            let apiError = APIError.from(error)
            if apiError.status >= 500 {
                logger.error(
                    "request failed",
                    metadata: [
                        "request.id": "\(request.requestId)", "error": "\(error)", "http.path": "\(request.path)",
                    ])
            }
            return (apiError.problemResponse(requestId: request.requestId), merchant)
        }
    }
}
