/// A ``Pattern`` compiled to a Thompson NFA: a list of instructions in which the consuming ones
/// are the states and `split` / `jump` the ε-transitions. ``matches(_:)`` (in PatternMatcher.swift)
/// runs it on every state at once, so its size bounds the work per text scalar.
struct PatternProgram: Sendable {
    enum Instruction: Equatable, Sendable {
        /// Consume this scalar value, then go on to the next instruction.
        case scalar(UInt32)
        /// Consume a scalar of `sets[index]`, then go on to the next instruction.
        case set(Int)
        /// Go on at both targets.
        case split(Int, Int)
        case jump(Int)
        /// Go on to the next instruction when the assertion holds here.
        case assertion(PatternAssertion)
        case match
    }

    private(set) var instructions: [Instruction] = []
    private(set) var sets: [ScalarSet] = []
    /// Whether every match starts at the start of the text (every path from the first instruction
    /// passes `^` before consuming): then no match is attempted anywhere else.
    private(set) var anchoredAtStart = false

    /// Compiles `node`, after checking that the program stays within ``Pattern/maximumProgramSize``.
    init(compiling node: PatternNode) throws(ValidationError) {
        let size = Self.size(of: node) + 1
        guard size <= Pattern.maximumProgramSize else {
            throw ValidationError(
                field: "pattern", "pattern too large: it compiles to more than \(Pattern.maximumProgramSize) states")
        }
        instructions.reserveCapacity(size)
        emit(node)
        instructions.append(.match)
        threadJumps()
        anchoredAtStart = !reachesConsumerOrMatch(from: 0, passing: { $0 != .start })
    }

    /// The number of instructions `node` compiles to, at most `maximumProgramSize + 1` (so that
    /// nested counted repetitions are refused before they are expanded, without overflow).
    private static func size(of node: PatternNode) -> Int {
        let cap = Pattern.maximumProgramSize + 1
        switch node {
        case .empty: return 0
        case .scalars, .assertion: return 1
        case .sequence(let items): return min(cap, items.reduce(0) { min(cap, $0 + size(of: $1)) })
        case .alternation(let branches):
            return min(cap, branches.reduce(2 * (branches.count - 1)) { min(cap, $0 + size(of: $1)) })
        case .repetition(let body, let lower, let upper):
            let one = size(of: body)
            let optional = upper.map { ($0 - lower) * (one + 1) } ?? (one + 2)
            return min(cap, lower * one + optional)
        }
    }

    @discardableResult
    private mutating func append(_ instruction: Instruction) -> Int {
        instructions.append(instruction)
        return instructions.count - 1
    }

    /// Sets the second target of the `split` at `index` (first-come targets are known when emitted).
    private mutating func patch(_ index: Int, to target: Int) {
        switch instructions[index] {
        case .split(let first, _): instructions[index] = .split(first, target)
        case .jump: instructions[index] = .jump(target)
        default: preconditionFailure("patching instruction \(index), which has no target")
        }
    }

    private mutating func emit(_ node: PatternNode) {
        switch node {
        case .empty: break
        case .scalars(let set):
            if let single = set.single {
                append(.scalar(single))
            } else {
                sets.append(set)
                append(.set(sets.count - 1))
            }
        case .assertion(let assertion): append(.assertion(assertion))
        case .sequence(let items): for item in items { emit(item) }
        case .alternation(let branches):
            // split → first, (split → second, (… last)); every branch but the last jumps to the end.
            var exits: [Int] = []
            for branch in branches.dropLast() {
                let split = append(.split(instructions.count + 1, -1))
                emit(branch)
                exits.append(append(.jump(-1)))
                patch(split, to: instructions.count)
            }
            if let last = branches.last { emit(last) }
            for exit in exits { patch(exit, to: instructions.count) }
        case .repetition(let body, let lower, let upper):
            for _ in 0..<lower { emit(body) }
            if let upper {
                // x{0,k} as (x(x(x)?)?)?: every split skips to the common end.
                var skips: [Int] = []
                for _ in lower..<upper {
                    skips.append(append(.split(instructions.count + 1, -1)))
                    emit(body)
                }
                for skip in skips { patch(skip, to: instructions.count) }
            } else {
                let loop = append(.split(instructions.count + 1, -1))
                emit(body)
                append(.jump(loop))
                patch(loop, to: instructions.count)
            }
        }
    }

    /// Points every `split` and `jump` past the jumps it would land on: fewer ε-steps per scalar.
    /// Chains end: jumps out of alternations go forward, and a loop's jump back lands on a split.
    private mutating func threadJumps() {
        func landing(_ target: Int) -> Int {
            var target = target
            while case .jump(let next) = instructions[target] { target = next }
            return target
        }
        for index in instructions.indices {
            switch instructions[index] {
            case .jump(let target): instructions[index] = .jump(landing(target))
            case .split(let first, let second): instructions[index] = .split(landing(first), landing(second))
            default: break
            }
        }
    }

    /// Whether a consuming instruction or `match` can be reached from `start` through ε-transitions
    /// and the assertions for which `passing` is true.
    private func reachesConsumerOrMatch(from start: Int, passing: (PatternAssertion) -> Bool) -> Bool {
        var seen = [Bool](repeating: false, count: instructions.count)
        var stack = [start]
        while let index = stack.popLast() {
            guard !seen[index] else { continue }
            seen[index] = true
            switch instructions[index] {
            case .scalar, .set, .match: return true
            case .split(let first, let second): stack += [second, first]
            case .jump(let target): stack.append(target)
            case .assertion(let assertion): if passing(assertion) { stack.append(index + 1) }
            }
        }
        return false
    }
}
