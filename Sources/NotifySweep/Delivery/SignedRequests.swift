import Foundation
import NotifyDomain
import NotifyStore

/// Turns a claimed delivery into the signed HTTP request the deliverer sends (Standard Webhooks
/// headers over the stored payload), keeping one signer per signing secret: decoding a secret costs
/// more than signing, and a merchant has only a few.
final class SignedRequests {
    /// The `User-Agent` of every webhook unless its notification sets its own.
    static let userAgent = "notify/0.1.0"

    private var signers: [String: WebhookSignature] = [:]

    /// The request of one attempt of `delivery`, named `id`, signed at `time`. A delivery whose
    /// secret is not `whsec_` base64 gets a request without a URL, which the deliverer refuses.
    func request(for delivery: ClaimedDelivery, id: String, at time: Date) -> DeliveryRequest {
        guard let signature = signer(delivery.signingSecret) else {
            return DeliveryRequest(id: id, method: delivery.method.rawValue, url: "", headers: [], body: [])
        }
        let message = WebhookMessage(
            eventId: delivery.eventId, method: delivery.method, headers: delivery.headers, payload: delivery.payload,
            signature: signature, timestamp: Int64(time.timeIntervalSince1970), userAgent: Self.userAgent,
            previousSignature: delivery.previousSigningSecret.flatMap { signer($0) })
        return DeliveryRequest(
            id: id, method: delivery.method.rawValue, url: delivery.url,
            headers: message.headers.map { (name: $0.name, value: $0.value) }, body: message.body,
            destination: delivery.destinationKey, merchant: delivery.merchant)
    }

    /// The signer of a secret, decoded once per secret; `nil` for a secret that is not `whsec_` base64.
    private func signer(_ secret: String) -> WebhookSignature? {
        if let known = signers[secret] { return known }
        guard let signature = try? WebhookSignature(secret: secret) else { return nil }
        if signers.count >= 1024 { signers.removeAll() }
        signers[secret] = signature
        return signature
    }
}
