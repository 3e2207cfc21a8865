import ArgumentParser
import Machine
import WinFS
import WindowsModel

/// `rig fs move DIR SRC [DST] [--replace] [--delay-until-reboot] [--write-through]`.
struct FsMoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "MoveFileEx: rename SRC to DST, or delete SRC when DST is omitted.",
        discussion: "With --delay-until-reboot the move is only queued for the next boot (see `rig fs pending`)."
    )

    @Argument(help: "The machine directory.") var directory: String
    @Argument(help: "The Windows path to move.") var source: String
    @Argument(help: "The new Windows path; omitted: delete the source.") var destination: String?
    @Flag(help: "MOVEFILE_REPLACE_EXISTING.") var replace = false
    @Flag(help: "MOVEFILE_DELAY_UNTIL_REBOOT: queue it for the next boot.") var delayUntilReboot = false
    @Flag(help: "MOVEFILE_WRITE_THROUGH.") var writeThrough = false

    func validate() throws { try validateMachine(directory) }

    func run() throws {
        let from = try windowsPath(source)
        let to = try destination.map { try windowsPath($0) }
        let root = try openMachine(directory)
        var flags: MoveFlags = []
        if replace { flags.insert(.replaceExisting) }
        if delayUntilReboot { flags.insert(.delayUntilReboot) }
        if writeThrough { flags.insert(.writeThrough) }
        var store: (any PendingRenameStore)?
        if delayUntilReboot {
            do {
                store = try pendingRenameStore(for: root)
            } catch {
                throw failure("pending renames of '\(directory)': \(error)", code: 2)
            }
        }
        do {
            try root.moveFile(from, to: to, flags: flags, store: store)
        } catch {
            throw win32Failure(error)
        }
    }
}

/// `rig fs delete DIR PATH`: DeleteFile. A file other processes hold (sharing delete) becomes
/// delete-pending: exit 0, but the name stays and opens of it fail with 5 until no handle is
/// left (see WinFS `DeletePending`).
struct FsDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "DeleteFile.",
        discussion: """
            A file that other handles hold (all sharing delete) becomes delete-pending: the name \
            stays and every open of it fails with ERROR_ACCESS_DENIED (5) until the last handle is \
            gone; then the next operation that meets the name removes it.
            """)

    @Argument(help: "The machine directory.") var directory: String
    @Argument(help: "The Windows path to delete.") var path: String

    func validate() throws { try validateMachine(directory) }

    func run() throws {
        let target = try windowsPath(path)
        let root = try openMachine(directory)
        do {
            try root.deleteFile(target)
        } catch {
            throw win32Failure(error)
        }
    }
}

/// `rig fs pending DIR`: the renames queued for the next boot, in order.
struct FsPendingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending",
        abstract: "List the renames queued for the next boot, in order.",
        discussion: "One per line: `SRC -> DST`, `SRC -> !DST` (replace existing), `SRC -> (delete)`."
    )

    @Argument(help: "The machine directory.") var directory: String

    func validate() throws { try validateMachine(directory) }

    func run() throws {
        let root = try openMachine(directory)
        do {
            for rename in try pendingRenameStore(for: root).pending() { print(rename.description) }
        } catch let error as Win32Error {
            throw win32Failure(error)
        } catch {
            throw failure("pending renames of '\(directory)': \(error)", code: 2)
        }
    }
}
