/// The lifecycle status of a checkout order. Kept as a closed set so that a status in a request,
/// a stored row or a notification scope can be checked once, here, rather than compared as text.
public enum OrderStatus: String, CaseIterable, Sendable {
    case checkout
    case processing
    case accepted
    case completed
    case declined
    case removed
}

extension OrderStatus {
    /// The statuses an order in this status may move to.
    public var successors: Set<OrderStatus> {
        switch self {
        case .checkout: return [.processing, .removed]
        case .processing: return [.checkout, .accepted, .declined, .removed]
        case .accepted: return [.completed, .declined]
        case .completed, .declined, .removed: return []
        }
    }

    /// Whether no transition leaves this status.
    public var isFinal: Bool { successors.isEmpty }

    /// Decides whether an order may move from `current` to `requested`.
    /// - Parameters:
    ///   - current: the order's status now.
    ///   - requested: the status the client asks for.
    /// - Returns: `.unchanged` for the same status, `.allowed` or `.illegal` otherwise.
    public static func transition(from current: OrderStatus, to requested: OrderStatus) -> TransitionOutcome {
        if current == requested { return .unchanged }
        return current.successors.contains(requested) ? .allowed : .illegal
    }
}
