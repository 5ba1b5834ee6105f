/// What a requested status change means for an order: nothing to do, a legal move, or a 409.
public enum TransitionOutcome: Equatable, Sendable {
    /// The order already has the requested status: answer 200 and record no event.
    case unchanged
    /// The state machine allows the move.
    case allowed
    /// The state machine forbids the move (HTTP 409).
    case illegal
}
