import NotifyFoundation

/// An event to record for one change and one notification whose scope fired: what the store
/// writes in the same transaction as the change (the outbox), with its request frozen.
public struct PlannedEvent: Equatable, Sendable {
    public let id: String
    public let notificationId: String
    public let adapterId: String?
    public let reference: String?
    /// The event scope key: `state.completed`, `payment`, `shipping` or the pointer.
    public let scope: String
    /// The key queries find the event by besides `scope` (``Scope/queryKey(after:)``).
    public let scopeKey: String?
    public let method: DeliveryMethod
    /// The expanded URL; empty when expansion failed (`error` says why).
    public let url: String
    /// The origin of `url`, the key of the event's destination; `nil` when expansion failed.
    public let origin: String?
    /// Headers as registered (secrets included: they are needed to deliver; redact to show).
    public let headers: [HTTPHeader]
    /// The delivery body: the event, the notification (redacted) and the order.
    public let payload: JSON
    /// Set when the event cannot be delivered (unknown placeholder value, invalid URL): it is
    /// recorded as `failed` at once instead of being queued.
    public let error: String?
}
