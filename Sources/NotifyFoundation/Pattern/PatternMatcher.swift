/// The simulation of a ``PatternProgram``: a Pike VM without captures. It keeps the set of
/// consuming instructions that are alive before each text scalar and moves them all forward
/// together, so every instruction is visited at most once per scalar: O(text × program) time,
/// O(program) memory, no backtracking and no recursion. The unanchored search adds the first
/// instruction again before every scalar, as if the pattern began with a lazy `.*`.
extension PatternProgram {
    /// Whether the program matches anywhere in `text`.
    func matches(_ text: String) -> Bool {
        matches(text, budget: .max).matched
    }

    /// Whether the program matches anywhere in `text`, giving up (no match) once more than
    /// `budget` steps are spent; a step is one instruction of the program for one scalar of the
    /// text, an upper bound of the work done for it.
    /// - Returns: the outcome and the steps spent (more than `budget` when it gave up).
    func matches(_ text: String, budget: Int) -> (matched: Bool, steps: Int) {
        instructions.withUnsafeBufferPointer { instructions in
            sets.withUnsafeBufferPointer { sets in
                let machine = PatternMachine(instructions: instructions, sets: sets)
                return machine.run(text.unicodeScalars, restart: !anchoredAtStart, budget: budget)
            }
        }
    }
}

/// The state of one match: the alive consuming instructions and the scratch space to find the
/// next ones, allocated once at the program's size and freed in `deinit`. Raw buffers, because
/// this loop runs text length × program size times and arrays (uniqueness and bounds checks, and
/// `Int` stores that may alias the counters) made it three times slower; every entry is an
/// instruction index (below ``Pattern/maximumProgramSize``, so `Int32`), and each buffer's bound
/// is proved where it is allocated.
private struct PatternMachine: ~Copyable {
    /// Valid while the machine lives: `matches(_:)` creates and drops it inside their scope.
    private let instructions: UnsafeBufferPointer<PatternProgram.Instruction>
    private let sets: UnsafeBufferPointer<ScalarSet>
    /// The consuming instructions waiting for the next scalar, `currentCount` of them.
    private var current: UnsafeMutablePointer<Int32>
    private var currentCount = 0
    /// During a step, the instructions consuming the scalar (the last `current`); else storage.
    private var spare: UnsafeMutablePointer<Int32>
    /// `marks[i] == generation` when instruction `i` was reached in this step (one set of states).
    private let marks: UnsafeMutablePointer<UInt32>
    private var generation: UInt32 = 1
    /// Second targets of the splits met in `close`, `stackCount` of them.
    private let stack: UnsafeMutablePointer<Int32>
    private var stackCount = 0

    init(
        instructions: UnsafeBufferPointer<PatternProgram.Instruction>, sets: UnsafeBufferPointer<ScalarSet>
    ) {
        self.instructions = instructions
        self.sets = sets
        // Instructions are marked before they are listed or their split target is stacked, so
        // no list or stack holds more entries than there are instructions.
        let count = instructions.count
        current = .allocate(capacity: count)
        spare = .allocate(capacity: count)
        stack = .allocate(capacity: count)
        marks = .allocate(capacity: count)
        marks.initialize(repeating: 0, count: count)
    }

    deinit {
        current.deallocate()
        spare.deallocate()
        stack.deallocate()
        marks.deallocate()
    }

    /// Runs over `scalars`; `restart` starts a match again before every scalar (unanchored).
    /// Stops without a match once the steps (program size per position) exceed `budget`.
    consuming func run(_ scalars: String.UnicodeScalarView, restart: Bool, budget: Int) -> (
        matched: Bool, steps: Int
    ) {
        let perScalar = instructions.count
        var steps = perScalar
        var iterator = scalars.makeIterator()
        var next = iterator.next()?.value
        if close(0, previous: nil, next: next) { return (true, steps) }
        while let scalar = next {
            steps += perScalar
            if steps > budget { return (false, steps) }
            next = iterator.next()?.value
            if step(consuming: scalar, next: next, restart: restart) { return (true, steps) }
            if !restart, currentCount == 0 { return (false, steps) }
        }
        return (false, steps)
    }

    /// Moves every alive instruction over `scalar`, and starts again after it when `restart`;
    /// `scalar` and `next` (nil at the end) are what the assertions at the new position look at.
    /// - Returns: whether `match` was reached.
    private mutating func step(consuming scalar: UInt32, next: UInt32?, restart: Bool) -> Bool {
        if generation == .max {
            marks.update(repeating: 0, count: instructions.count)
            generation = 0
        }
        generation += 1
        swap(&current, &spare)
        let consuming = currentCount
        currentCount = 0
        for position in 0..<consuming {
            let index = Int(spare[position])
            let accepts: Bool
            switch instructions[index] {
            case .scalar(let value): accepts = value == scalar
            case .set(let set): accepts = sets[set].contains(scalar)
            default: accepts = false
            }
            if accepts, close(index + 1, previous: scalar, next: next) { return true }
        }
        return restart && close(0, previous: scalar, next: next)
    }

    /// Adds to `current` the consuming instructions reachable from `start` through ε-transitions
    /// and the assertions that hold between `previous` and `next`, each once per generation. It
    /// follows first targets in a loop and stacks second ones: no recursion.
    /// - Returns: whether `match` was reached.
    private mutating func close(_ start: Int, previous: UInt32?, next: UInt32?) -> Bool {
        var index = start
        while true {
            if marks[index] != generation {
                marks[index] = generation
                switch instructions[index] {
                case .scalar, .set:
                    current[currentCount] = Int32(truncatingIfNeeded: index)
                    currentCount += 1
                case .match:
                    stackCount = 0
                    return true
                case .jump(let target):
                    index = target
                    continue
                case .split(let first, let second):
                    stack[stackCount] = Int32(truncatingIfNeeded: second)
                    stackCount += 1
                    index = first
                    continue
                case .assertion(let assertion):
                    if Self.holds(assertion, previous: previous, next: next) {
                        index += 1
                        continue
                    }
                }
            }
            guard stackCount > 0 else { return false }
            stackCount -= 1
            index = Int(stack[stackCount])
        }
    }

    private static func holds(_ assertion: PatternAssertion, previous: UInt32?, next: UInt32?) -> Bool {
        switch assertion {
        case .start: return previous == nil
        case .end: return next == nil
        case .wordBoundary: return isWord(previous) != isWord(next)
        case .notWordBoundary: return isWord(previous) == isWord(next)
        }
    }

    /// `[A-Za-z0-9_]`, as `\w`.
    private static func isWord(_ scalar: UInt32?) -> Bool {
        guard let scalar else { return false }
        return (0x30...0x39).contains(scalar) || (0x41...0x5A).contains(scalar) || (0x61...0x7A).contains(scalar)
            || scalar == 0x5F
    }
}
