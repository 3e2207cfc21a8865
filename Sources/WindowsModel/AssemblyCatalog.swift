/// The managed assemblies of a machine, by name, and which of them have native images.
public struct AssemblyCatalog: Sendable, Equatable {
    /// In the order they were defined.
    public var assemblies: [AssemblyDefinition]
    public var nativeImages: NativeImageSet

    public init(assemblies: [AssemblyDefinition], nativeImages: NativeImageSet) {
        self.assemblies = assemblies
        self.nativeImages = nativeImages
    }

    /// The assembly called `name`.
    public func assembly(named name: String) -> AssemblyDefinition? {
        assemblies.first { $0.name == name }
    }

    /// `name` followed by every assembly it references directly or indirectly, each once,
    /// depth-first in reference order. Throws when a reference names no assembly of the catalog.
    public func closure(of name: String) throws(MachineError) -> [AssemblyDefinition] {
        guard let root = assembly(named: name) else {
            throw MachineError("assembly '\(name)' is not installed on the machine")
        }
        var result: [AssemblyDefinition] = []
        var seen: Set<String> = []
        var stack: [AssemblyDefinition] = [root]
        while let next = stack.popLast() {
            guard seen.insert(next.name).inserted else { continue }
            result.append(next)
            for reference in next.references.reversed() where !seen.contains(reference) {
                guard let referenced = assembly(named: reference) else {
                    throw MachineError(
                        "\(next.name) references \(reference), which is not installed on the machine")
                }
                stack.append(referenced)
            }
        }
        return result
    }

    /// The files a native image of `name` is built from: the assembly's file, the files of the
    /// assemblies it references directly or indirectly, then the runtime engine.
    public func nativeImageInputs(for name: String) throws(MachineError) -> [WindowsPath] {
        var paths = try closure(of: name).map(\.file)
        if let runtime = nativeImages.runtime, !paths.contains(runtime) { paths.append(runtime) }
        return paths
    }
}
