extension JSON {
    /// This value with an RFC 7396 JSON Merge Patch applied, as `PATCH` on an order does it.
    ///
    /// An object patch is merged member by member: `null` removes a member, an object is merged
    /// recursively (into `{}` when the target member is not an object), anything else replaces it.
    /// Any other patch replaces the whole value.
    /// - Parameter patch: the merge patch document.
    /// - Returns: the patched value; `self` is left unchanged.
    public func mergePatched(with patch: JSON) -> JSON {
        guard case .object(let patchMembers) = patch else { return patch }
        var members = objectValue ?? [:]
        for (key, patchValue) in patchMembers {
            if patchValue == .null {
                members.removeValue(forKey: key)
            } else {
                members[key] = (members[key] ?? .null).mergePatched(with: patchValue)
            }
        }
        return .object(members)
    }
}
