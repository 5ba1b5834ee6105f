/// A state change the order state machine forbids (answered with 409).
public struct IllegalTransition: Error, Equatable, Sendable, CustomStringConvertible {
    public let from: OrderStatus
    public let to: OrderStatus

    public var description: String { "an order in state '\(from.rawValue)' cannot move to '\(to.rawValue)'" }
}
