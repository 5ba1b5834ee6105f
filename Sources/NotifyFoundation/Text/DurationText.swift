/// Durations as operators write them in settings: seconds, optionally with a unit
/// (`30`, `30s`, `5m`, `2h`, `5d`).
public enum DurationText {
    /// Seconds in `text`, or `nil` when it is not a non-negative number with an optional unit.
    public static func seconds(_ text: some StringProtocol) -> Double? {
        var number = text.trimmingASCIIWhitespace()
        var unit: Double = 1
        switch number.last {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86_400
        default: break
        }
        if number.last.map({ "smhd".contains($0) }) == true { number.removeLast() }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(number), value.isFinite
        else { return nil }
        return value * unit
    }
}
