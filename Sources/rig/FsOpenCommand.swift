import ArgumentParser
import Glibc
import WinFS
import WindowsModel

/// `rig fs open DIR PATH --access LIST --share LIST [--image] [--hold]`.
struct FsOpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open a file (CreateFile) or load it as an image, optionally holding it.",
        discussion: """
            LIST is a comma list of read, write, delete, or none. With --hold, prints `held` once \
            open and keeps the handle until standard input closes or SIGTERM arrives.
            """
    )

    @Argument(help: "The machine directory.") var directory: String
    @Argument(help: "The Windows path, e.g. 'C:\\Windows\\System32\\x.dll'.") var path: String
    @Option(help: "Data access: comma list of read, write, delete, none.") var access: String?
    @Option(help: "Share mode: comma list of read, write, delete, none.") var share: String?
    @Option(help: "create-new, create-always, open-existing (default), open-always, truncate-existing.")
    var disposition: String = "open-existing"
    @Flag(help: "Load it the way the loader does (read, share read|delete, mapped as an image).")
    var image = false
    @Flag(help: "Keep it open until standard input closes or SIGTERM.") var hold = false

    static let dispositions: [String: CreationDisposition] = [
        "create-new": .createNew, "create-always": .createAlways, "open-existing": .openExisting,
        "open-always": .openAlways, "truncate-existing": .truncateExisting,
    ]

    func validate() throws {
        try validateMachine(directory)
        if image {
            guard access == nil, share == nil, disposition == "open-existing" else {
                throw ValidationError("--image opens the way the loader does: no --access, --share or --disposition")
            }
            return
        }
        guard let access, let share else { throw ValidationError("--access and --share are needed (or --image)") }
        guard Access(list: access) != nil else {
            throw ValidationError("--access '\(access)': use a comma list of read, write, delete, none")
        }
        guard ShareMode(list: share) != nil else {
            throw ValidationError("--share '\(share)': use a comma list of read, write, delete, none")
        }
        guard Self.dispositions[disposition] != nil else {
            throw ValidationError("--disposition '\(disposition)': use one of \(Self.dispositions.keys.sorted().joined(separator: ", "))")
        }
    }

    func run() throws {
        let target = try windowsPath(path)
        let root = try openMachine(directory)
        var file: WinFile?
        var loaded: LoadedImage?
        do {
            if image {
                loaded = try root.loadImage(target)
            } else {
                file = try root.open(
                    target, access: Access(list: access!)!, share: ShareMode(list: share!)!,
                    disposition: Self.dispositions[disposition]!)
            }
        } catch {
            throw win32Failure(error)
        }
        if hold { holdUntilReleased() }
        file?.close()
        loaded?.unload()
    }
}

/// Prints `held`, then waits until standard input reaches end of file or SIGTERM arrives. On
/// SIGTERM the process exits 0 at once; the kernel closes the handle (and drops its locks).
func holdUntilReleased() {
    signal(SIGTERM) { _ in _exit(0) }
    // A parent may have spawned us with SIGTERM blocked (the mask is inherited through exec).
    var unblock = sigset_t()
    sigemptyset(&unblock)
    sigaddset(&unblock, SIGTERM)
    sigprocmask(SIG_UNBLOCK, &unblock, nil)
    let line = "held\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
    var buffer = [UInt8](repeating: 0, count: 512)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
        if count > 0 || (count < 0 && errno == EINTR) { continue }
        return
    }
}
