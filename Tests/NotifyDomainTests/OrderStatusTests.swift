import Testing

@testable import NotifyDomain

@Suite("Order state machine")
struct OrderStatusTests {
    static let allowed: Set<String> = [
        "checkout>processing", "checkout>removed",
        "processing>checkout", "processing>accepted", "processing>declined", "processing>removed",
        "accepted>completed", "accepted>declined",
    ]

    static let allPairs: [(OrderStatus, OrderStatus)] = OrderStatus.allCases.flatMap { from in
        OrderStatus.allCases.map { (from, $0) }
    }

    @Test("every pair of statuses gets the outcome of the transition table", arguments: allPairs)
    func transitionTable(from: OrderStatus, to: OrderStatus) {
        let expected: TransitionOutcome
        if from == to {
            expected = .unchanged
        } else if Self.allowed.contains("\(from.rawValue)>\(to.rawValue)") {
            expected = .allowed
        } else {
            expected = .illegal
        }
        #expect(OrderStatus.transition(from: from, to: to) == expected)
    }

    @Test func allowedCountMatchesTable() {
        let count = Self.allPairs.filter { OrderStatus.transition(from: $0.0, to: $0.1) == .allowed }.count
        #expect(count == 8)
    }

    @Test(arguments: [
        (OrderStatus.completed, true), (.declined, true), (.removed, true),
        (.checkout, false), (.processing, false), (.accepted, false),
    ])
    func finalStatuses(status: OrderStatus, isFinal: Bool) {
        #expect(status.isFinal == isFinal)
    }

    @Test func rawValuesAreTheAPIStrings() {
        #expect(
            OrderStatus.allCases.map(\.rawValue) == [
                "checkout", "processing", "accepted", "completed", "declined", "removed",
            ])
        #expect(OrderStatus(rawValue: "Checkout") == nil)
    }
}
