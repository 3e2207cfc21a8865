import ArgumentParser

// Placeholder: `rig machine boot` is built on another branch, whose file replaces this one.
/// `rig machine boot`: not built on this branch.
struct MachineBootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "boot", abstract: "(not built yet)")
}
