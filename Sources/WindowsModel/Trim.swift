extension StringProtocol {
    /// The text without leading and trailing whitespace (`Character.isWhitespace`: spaces, tabs,
    /// CR, LF, CRLF and Unicode's other blanks), without Foundation: PatchRig's one trim, for
    /// parameter lists, work items, command lines and the lines of `wininit.ini`.
    public var trimmed: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
            let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
