import Foundation

/// `GET /api/v0/checkout/notifications/openapi.json`: the OpenAPI 3.1 document of the whole API,
/// kept in the repository next to this file and shipped as a resource of the binary. No auth.
enum DocumentationRoutes {
    static let path = "/api/v0/checkout/notifications/openapi.json"

    static func register(in router: inout Router) {
        router.add("GET", path, access: .open) { _ in
            guard let document = document() else {
                throw APIError.notFound("the OpenAPI document is missing from this build")
            }
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: document)
        }
    }

    /// The document, read from the bundle on each request rather than when the worker starts: a
    /// worker would otherwise hold its 120 KB (and have run Foundation's bundle lookup) for a
    /// request that few clients make.
    private static func document() -> [UInt8]? {
        Bundle.module.url(forResource: "openapi", withExtension: "json")
            .flatMap { try? Data(contentsOf: $0) }
            .map { [UInt8]($0) }
    }
}
