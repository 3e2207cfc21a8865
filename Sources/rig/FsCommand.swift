import ArgumentParser

/// `rig fs`: not built yet.
struct FsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fs", abstract: "(not built yet)")
}
