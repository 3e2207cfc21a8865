import ArgumentParser
import Foundation
import Machine
import RigModel
import Servicing
import WinFS
import WindowsModel

/// `rig machine`: create and inspect simulated machines.
struct MachineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machine",
        abstract: "Create, inspect and boot simulated machines.",
        discussion: """
            A machine is a directory: drive_c/ (the C: drive), registry.db (the registry) and \
            profile (nt or win9x). Machine images (Rigs/images/*.yaml) describe what one holds.
            Exit status: 0 ok; 2 bad usage, a bad image, or a directory that cannot be used; 1 when \
            creating fails part-way (e.g. the disk is full).
            """,
        subcommands: [MachineCreateCommand.self, MachineShowCommand.self, MachineBootCommand.self]
    )
}

extension MachineProfile: ExpressibleByArgument {}

/// `rig machine create DIR [--image FILE] [--profile nt|win9x]`
struct MachineCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a machine in a new or empty directory.",
        discussion: """
            Without --image the machine is minimal: C:\\Windows\\System32, C:\\Windows\\Temp and an \
            empty registry. DIR must not exist (its parent must) or be an empty directory; anything \
            else is refused with exit status 2 and nothing is changed.
            """)

    @Argument(help: "The machine directory to create.")
    var directory: String

    @Option(help: "A machine image (YAML), e.g. Rigs/images/netfx11.yaml.")
    var image: String?

    @Option(help: "nt or win9x: how in-use files and delayed renames behave.")
    var profile: MachineProfile = .nt

    func validate() throws {
        do { try MachineDirectory.checkCanCreate(at: directory) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        // Everything is checked before anything is written.
        var machineImage = MachineImage.minimal
        if let image {
            do { machineImage = try MachineImageLoader.load(file: image) } catch {
                // `file:line:column: error: ...` lines, as compilers print them.
                printError(error.description)
                throw ExitCode(2)
            }
        }
        let machine: MachineDirectory
        do {
            machine = try MachineDirectory.create(at: directory, image: machineImage, profile: profile)
        } catch {
            throw failure("creating the machine in '\(directory)' failed: \(describe(error))", code: 1)
        }
        let images = machineImage.nativeImages.assemblies.count
        print(
            "created machine \(machine.path) (profile \(profile.rawValue), image \(machineImage.name): "
                + "\(machineImage.files.count) files, \(machineImage.assemblies.count) assemblies, \(images) native images)")
    }
}

/// `rig machine show DIR [--json]`
struct MachineShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a machine: files and versions, native images, pending renames, startup entries, services.",
        discussion: """
            A file whose size or bytes do not match the version in its header (a write cut short) \
            is flagged `DAMAGED: why` (JSON: `damaged`, absent when whole): its size is checked \
            against the sizes the staged packages give that version, its last bytes against that \
            version's bytes.
            """)

    @Argument(help: "The machine directory.")
    var directory: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws { try validateMachine(directory) }

    func run() throws {
        let machine: MachineDirectory
        do { machine = try MachineDirectory(opening: directory) } catch { throw failure(describe(error)) }
        let summary: MachineShowSummary
        do { summary = try MachineShowSummary(machine) } catch {
            throw failure("cannot read machine '\(directory)': \(describe(error))")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(summary)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(summary.text, terminator: "")
        }
    }
}

/// A Win32 error with its context, anything else as it describes itself.
func describe(_ error: any Error) -> String {
    if let win32 = error as? Win32Error { return win32.message }
    return "\(error)"
}

/// What `rig machine show` prints; its JSON form is documented by its field names.
struct MachineShowSummary: Encodable {
    struct File: Encodable {
        var path: String
        var size: Int
        /// Nil for a file without a version header (native images, data files).
        var version: String?
        /// Why its size or bytes do not match its version (a write cut short); nil when they do
        /// (see `FileIntegrity`).
        var damaged: String?
    }
    struct NativeImageEntry: Encodable {
        var assembly: String
        var path: String
        /// `fresh`, `stale` or `missing`.
        var status: String
        /// Why it is stale; empty otherwise.
        var reasons: [String]
        /// The files it was built from, with their versions and hashes then.
        var built_from: [NativeImageInput]
    }
    struct Rename: Encodable {
        var source: String
        /// Nil: delete at boot.
        var destination: String?
        var replace_existing: Bool
    }
    struct Startup: Encodable {
        var key: String
        var name: String
        var command: String
    }

    var machine: String
    var profile: String
    var files: [File]
    var native_images: [NativeImageEntry]
    var pending_renames: [Rename]
    var startup: [Startup]
    var services: [ServiceDefinition]

    init(_ machine: MachineDirectory) throws {
        self.machine = machine.path
        profile = try machine.profile().rawValue
        let integrity = FileIntegrity(root: machine.files)
        files = try machine.fileList().map {
            File(
                path: $0.path.description, size: $0.size, version: $0.version?.description,
                damaged: integrity.damage(of: $0.path, size: $0.size))
        }
        native_images = try machine.nativeImageStatus().map { report in
            var reasons: [String] = []
            if case .stale(let why) = report.status { reasons = why }
            return NativeImageEntry(
                assembly: report.assembly, path: report.path.description, status: report.status.name,
                reasons: reasons, built_from: report.image?.inputs ?? [])
        }
        pending_renames = try machine.pendingRenames().map {
            Rename(source: $0.source.description, destination: $0.destination?.description, replace_existing: $0.replaceExisting)
        }
        startup = try machine.startupEntries().map { Startup(key: $0.key.description, name: $0.name, command: $0.command) }
        services = try machine.services()
    }

    /// The text form.
    var text: String {
        var out = "machine \(machine) (profile \(profile))\n"
        out += "\nfiles (\(files.count)):\n"
        let width = files.map(\.path.count).max() ?? 0
        for file in files {
            out +=
                "  \(file.path.padding(toLength: width, withPad: " ", startingAt: 0))  "
                + "\((file.version ?? "-").padding(toLength: 14, withPad: " ", startingAt: 0)) \(file.size) bytes"
                + (file.damaged.map { "  DAMAGED: \($0)" } ?? "") + "\n"
        }
        out += "\nnative images (\(native_images.count)):\n"
        let nameWidth = native_images.map(\.assembly.count).max() ?? 0
        for image in native_images {
            out += "  \(image.assembly.padding(toLength: nameWidth, withPad: " ", startingAt: 0))  \(image.status)"
            out += image.status == "missing" ? "  (no \(image.path))\n" : "\n"
            for reason in image.reasons { out += "      \(reason)\n" }
        }
        out += "\npending renames (\(pending_renames.count)):\n"
        for rename in pending_renames {
            let destination = rename.destination.map { (rename.replace_existing ? "!" : "") + $0 } ?? "(delete)"
            out += "  \(rename.source) -> \(destination)\n"
        }
        out += "\nstartup entries (\(startup.count)):\n"
        for entry in startup { out += "  \(entry.key)  \(entry.name) = \(entry.command)\n" }
        out += "\nservices (\(services.count)):\n"
        for service in services { out += "  \(service.name)  \(service.start.rawValue)  \(service.command)\n" }
        return out
    }
}
