/// A database failure, typed so the API can answer with the right status: `unavailable` (the server
/// cannot be reached: 503), `invalidData` (the server refused a value: 400) or `failed` (a bug or an
/// unexpected state: 500). It carries SQLSTATE and the name of the statement that failed so a log
/// line points at the one place in the code.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        case unavailable
        case invalidData
        case uniqueViolation
        case failed
        /// `Connection.transaction` was called inside a transaction: a bug in the caller.
        case nestedTransaction
    }

    public let kind: Kind
    public let sqlState: String?
    public let message: String
    public let statement: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, statement: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.statement = statement
    }

    /// Chooses the kind from SQLSTATE: class 08 (connection), 57P0x (shutdown) and 53 (resources)
    /// mean the server is not usable now; class 22 (data exception) is bad input.
    static func from(sqlState: String?, message: String, statement: String?, connectionLost: Bool) -> StoreError {
        let kind: Kind
        if connectionLost || sqlState.map({ $0.hasPrefix("08") || $0.hasPrefix("57P") || $0.hasPrefix("53") }) == true {
            kind = .unavailable
        } else if sqlState == "23505" {
            kind = .uniqueViolation
        } else if sqlState?.hasPrefix("22") == true {
            kind = .invalidData
        } else {
            kind = .failed
        }
        return StoreError(kind: kind, sqlState: sqlState, message: message, statement: statement)
    }

    public var description: String {
        var text = message
        if let statement { text += " (statement \(statement))" }
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        return text
    }
}
