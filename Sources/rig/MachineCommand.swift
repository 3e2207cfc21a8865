import ArgumentParser

/// `rig machine`: not built yet.
struct MachineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "machine", abstract: "(not built yet)")
}
