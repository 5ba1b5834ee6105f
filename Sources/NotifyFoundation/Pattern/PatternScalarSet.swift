/// A set of Unicode scalar values: what one step of a ``Pattern`` consumes (a literal, `.`, a class
/// or a class escape). Kept as sorted, disjoint, non-adjacent ranges so that negation and union are
/// exact, with a bitmap of the ASCII members because almost every text scalar is ASCII.
struct ScalarSet: Equatable, Sendable {
    /// The largest Unicode scalar value.
    static let maximum: UInt32 = 0x10_FFFF

    /// Sorted, disjoint and non-adjacent.
    let ranges: [ClosedRange<UInt32>]
    /// Bit `n` of `asciiLow` (`n` < 64) or of `asciiHigh` (`n` ≥ 64) says whether scalar `n` is in.
    private let asciiLow: UInt64
    private let asciiHigh: UInt64

    /// The union of `ranges`, which may overlap and come in any order.
    init(_ ranges: [ClosedRange<UInt32>]) {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
        var low: UInt64 = 0
        var high: UInt64 = 0
        for range in merged where range.lowerBound < 128 {
            for value in range.lowerBound...min(range.upperBound, 127) {
                if value < 64 { low |= 1 << UInt64(value) } else { high |= 1 << UInt64(value - 64) }
            }
        }
        self.asciiLow = low
        self.asciiHigh = high
    }

    /// The set of one scalar value.
    init(_ value: UInt32) {
        self.init([value...value])
    }

    /// Every scalar value not in this set.
    var inverted: ScalarSet {
        var gaps: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { gaps.append(next...(range.lowerBound - 1)) }
            next = range.upperBound &+ 1
        }
        if next <= Self.maximum { gaps.append(next...Self.maximum) }
        return ScalarSet(gaps)
    }

    /// The only member, when there is exactly one (a literal, compiled to a cheaper instruction).
    var single: UInt32? {
        ranges.count == 1 && ranges[0].lowerBound == ranges[0].upperBound ? ranges[0].lowerBound : nil
    }

    func contains(_ value: UInt32) -> Bool {
        if value < 64 { return asciiLow & (1 << UInt64(value)) != 0 }
        if value < 128 { return asciiHigh & (1 << UInt64(value - 64)) != 0 }
        var lower = 0
        var upper = ranges.count
        while lower < upper {
            let middle = (lower + upper) / 2
            if ranges[middle].upperBound < value {
                lower = middle + 1
            } else if ranges[middle].lowerBound > value {
                upper = middle
            } else {
                return true
            }
        }
        return false
    }
}

extension ScalarSet {
    static let digits = ScalarSet([0x30...0x39])
    /// `\w` of ECMA-262 without the `i` and `u` flags: `[A-Za-z0-9_]`.
    static let wordCharacters = ScalarSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// `\s` of ECMA-262: WhiteSpace and LineTerminator (tab, LF, VT, FF, CR, space, NBSP, the
    /// space separators, LS, PS and the BOM).
    static let whiteSpace = ScalarSet([
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
        0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ])
    /// The line terminators, which `.` does not match.
    static let lineTerminators = ScalarSet([0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029])
    static let any = ScalarSet([0...maximum])
    static let none = ScalarSet([])
}
