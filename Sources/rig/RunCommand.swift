import ArgumentParser

/// `rig run RIG`: not built yet.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "(not built yet)")
}
