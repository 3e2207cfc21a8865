import ArgumentParser

/// `rig reg`: not built yet.
struct RegCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reg", abstract: "(not built yet)")
}
