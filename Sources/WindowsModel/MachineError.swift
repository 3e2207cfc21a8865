/// A failure of a machine operation, naming what was being done and to what. It lives with the
/// values because the assembly catalog and the GAC layout throw it; Machine and Servicing too.
public struct MachineError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
