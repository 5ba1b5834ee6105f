/// The matching work one order change may spend on the `pattern`s of its notifications' schemas,
/// shared by every pattern the change evaluates. A pattern costs at most its program size per
/// scalar of text (see ``Pattern``), which is linear but can still be large: a 1 MiB string
/// against a 2,000-instruction pattern, times many notifications, would hold a worker for
/// seconds. Past the budget a change is refused (NotifyDomain's `EventPlanner`) instead of a worker being killed.
///
/// A reference type so that every schema and pattern of a change draws from the same count.
public final class MatchBudget {
    /// The default budget: 1.0 s of matching in a debug build on this project's shared 2-core
    /// machine (measured at a load of 12), well under nginx's 30 s.
    public static let defaultSteps = 10_000_000

    /// The steps the change may spend.
    public let limit: Int
    /// The steps spent so far (past `limit` once exhausted).
    public private(set) var spent = 0

    public init(limit: Int = MatchBudget.defaultSteps) {
        self.limit = limit
    }

    /// A budget no change can exhaust, for checks outside an order change.
    public static var unlimited: MatchBudget { MatchBudget(limit: .max) }

    /// Whether a pattern has been cut short; every later pattern then fails at once.
    public var isExhausted: Bool { spent > limit }

    /// What is left for the next pattern.
    var remaining: Int { max(0, limit - spent) }

    func charge(_ steps: Int) {
        spent = steps > .max - spent ? .max : spent + steps
    }
}
