import NotifyFoundation

/// Decides whether a delivery may connect to an address. Called at connect time with the address
/// the socket is about to use (so DNS rebinding cannot slip past a check made at resolve time).
/// By default only public addresses are permitted; `NOTIFY_ALLOW_TARGETS` lists exceptions.
/// Pure: works on address bytes, opens no socket and resolves no name.
public struct AddressPolicy: Equatable, Sendable {
    /// The outcome of a check; a refusal carries the message recorded on the failed attempt.
    public enum Decision: Equatable, Sendable {
        case permitted
        case refused(reason: String)

        public var isPermitted: Bool { self == .permitted }
    }

    /// What a refused attempt records: the resolved address stays out of what merchants can read
    /// (it would map the service's network for them); the sweep logs the full `reason`.
    public static let refusalMessage = "target address not allowed"

    /// The exception ranges, permitted whatever their class.
    public let allow: [CIDR]

    public init(allow: [CIDR] = []) {
        self.allow = allow
    }

    /// Parses a comma-separated CIDR list (`127.0.0.1/32, ::1/128`); empty entries are ignored,
    /// so an empty string means "no exceptions".
    /// - Throws: `ValidationError` with field `NOTIFY_ALLOW_TARGETS` naming the bad entry.
    public static func parse(allowList: String) throws(ValidationError) -> AddressPolicy {
        var ranges: [CIDR] = []
        for entry in allowList.split(separator: ",") where !entry.trimmingASCIIWhitespace().isEmpty {
            ranges.append(try CIDR(parsing: String(entry), field: "NOTIFY_ALLOW_TARGETS"))
        }
        return AddressPolicy(allow: ranges)
    }

    /// Whether a delivery may connect to `address`.
    public func permits(_ address: IPAddress) -> Decision {
        if allow.contains(where: { $0.contains(address) }) { return .permitted }
        let kind = address.classification
        if kind == .public { return .permitted }
        return .refused(reason: "target \(address) is \(kind.phrase); set NOTIFY_ALLOW_TARGETS to allow it")
    }
}
