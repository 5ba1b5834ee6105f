/// One HTTP call the sweep wants made: the already expanded URL, the method, the final header list
/// (signature headers included) and the body bytes. A plain value, so the claim loop can build
/// requests without knowing anything about libcurl.
struct DeliveryRequest: Sendable {
    /// Echoed in the matching `DeliveryOutcome` (the delivery or attempt id).
    let id: String
    /// `POST`, `PUT`, `PATCH` send `body`; `GET` sends none.
    let method: String
    /// An `http` or `https` URL; other schemes fail without a connection.
    let url: String
    /// Sent in this order, exactly as given. A header that curl would add itself (`User-Agent`,
    /// `Content-Type`) is replaced by one given here.
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    /// The scheduling key of the receiver (a destination id); the URL's scheme and authority when empty.
    let destination: String
    /// The merchant the request is sent for (the per-merchant cap of `DeliveryQueue`).
    let merchant: String

    init(
        id: String, method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        destination: String = "", merchant: String = ""
    ) {
        self.id = id
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.destination = destination
        self.merchant = merchant
    }
}
