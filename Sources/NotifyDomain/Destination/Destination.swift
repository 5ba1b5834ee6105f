/// Where deliveries go: one merchant's receivers at one origin (scheme, lower-cased host, port
/// written out), e.g. `https://erp.example.com:443`. All of a merchant's notifications to one
/// origin share a destination, so its health, pause and back-pressure apply to all of them.
public enum Destination {
    /// The statuses a destination can have. `failing` has failures below the breaker threshold;
    /// `open` is the tripped breaker; `paused` and `disabled` send nothing until resumed.
    public enum Status: String, CaseIterable, Sendable {
        case healthy, failing, open, paused, disabled

        /// Whether deliveries to a destination in this status may be attempted at all.
        public var sends: Bool { self == .healthy || self == .failing }
    }

    /// The origin of a delivery URL, the key of its destination.
    public static func origin(of url: TargetURL) -> String {
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        return "\(url.scheme)://\(host):\(url.effectivePort)"
    }
}
