import Synchronization

/// Statements numbered by a small integer (the event pages and counts, one per combination of
/// filters), each built the first time it is asked for and kept for the life of the process.
/// Building them all up front cost every API worker about a megabyte of SQL text it never sends:
/// a worker serves a handful of filter combinations, not all of them.
final class StatementFamily: Sendable {
    let count: Int
    private let make: @Sendable (Int) -> Statement
    private let built: Mutex<[Int: Statement]>

    /// `make(n)` builds statement `n` of `0..<count`.
    init(count: Int, _ make: @escaping @Sendable (Int) -> Statement) {
        self.count = count
        self.make = make
        self.built = Mutex([:])
    }

    subscript(number: Int) -> Statement {
        precondition((0..<count).contains(number), "statement \(number) of a family of \(count)")
        if let statement = built.withLock({ $0[number] }) { return statement }
        let statement = make(number)
        built.withLock { $0[number] = statement }
        return statement
    }
}
