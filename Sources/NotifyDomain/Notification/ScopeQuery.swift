/// The `scope` filter of an event query, read by its syntax: a JSON pointer (empty or starting
/// with `/`) matches the scope the event shows, anything else (`state.completed`, `payment`,
/// `shipping`) matches the event's query key (``Scope/queryKey(after:)``), which simple-form and
/// pointer-form events share.
public enum ScopeQuery: Equatable, Sendable {
    case pointer(String)
    case key(String)

    public init(_ text: String) {
        self = text.isEmpty || text.hasPrefix("/") ? .pointer(text) : .key(text)
    }
}
