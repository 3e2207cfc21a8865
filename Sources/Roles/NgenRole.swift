import Host
import Machine
import Registry
import WinFS
import WindowsModel
import Wire

/// The `ngen` role: the native image generator. It loads the runtime engine (`mscorwks.dll`) as
/// an image first, as the real ngen.exe must, and keeps it loaded while it works (so an installer
/// replacing mscorwks.dll meanwhile finds it in use). If that load fails, every image it was asked
/// for fails with `failed to load mscorwks.dll: <Win32 error>`. Otherwise, per assembly, it reads
/// the assembly, everything it references and the engine through handles (read, share read: a
/// process writing one of them makes the read fail for real) and writes the native image.
///
/// Parameters:
/// * `machine` — the machine directory.
/// * `assemblies` — comma list of assembly names, or `all` (the default): every assembly with a
///   native image in the machine's catalog.
/// * `action` — `install` (default: build every one named) or `update` (only those whose image is
///   stale or missing).
/// * `install_mutex` — `hold`: take Windows Installer's `_MSIExecute` mutex, waiting for it, for
///   the whole run (serializes a post-reboot ngen pass against installs); `none` (default).
///
/// Events: `mutex` (`name`) when holding it; `load` (`path`, `version`) for the engine; one
/// `ngen` (`assembly`) per image with `ok` (compiled: its inputs read) or why it failed, then
/// `write_image`, `write` and `commit_image` as the image is written beside its place and renamed
/// in (`NativeImages.write`).
///
/// Exit code: 0 when every image was built, 1 otherwise (or when the machine or its catalog
/// cannot be read), 87 (ERROR_INVALID_PARAMETER) for bad parameters.
public enum NgenRole {
    /// Where the engine is when the catalog does not say.
    static let defaultRuntime = FrameworkLayout.runtimeEngine

    public static func run(_ session: any WorkerSession) -> Int32 {
        guard let machine = session.parameter("machine") else {
            session.log("ngen: no machine=DIR parameter")
            return 87
        }
        guard session.isMachine(machine) else { return 87 }
        guard let action = NgenAction(rawValue: session.parameter("action") ?? "install") else {
            session.log("ngen: action='\(session.parameter("action") ?? "")': use install or update")
            return 87
        }
        let mutexMode = session.parameter("install_mutex") ?? "none"
        guard mutexMode == "hold" || mutexMode == "none" else {
            session.log("ngen: install_mutex='\(mutexMode)': use hold or none")
            return 87
        }
        let root: MachineRoot
        let catalog: AssemblyCatalog
        do {
            root = try MachineRoot(path: machine)
            catalog = try MachineCatalogKeys.read(from: try Registry(machineDirectory: machine))
        } catch {
            session.log("ngen: cannot read the machine: \(describe(error, detailed: true))")
            return 1
        }

        var mutex: NamedMutex?
        if mutexMode == "hold" {
            var acquired = false
            session.perform("mutex", [Argument("name", NamedMutex.installer)]) {
                do {
                    let named = try NamedMutex(NamedMutex.installer, machine: root)
                    // WaitForSingleObject(INFINITE): the actor's time limit is the only bound.
                    acquired = named.acquire(timeoutNs: .max) { session.sleep(nanoseconds: $0) }
                    mutex = named
                    return acquired ? .ok : .failed("not acquired")
                } catch {
                    return OperationResult(describing: error)
                }
            }
            if !acquired { return 1 }
        }

        // The engine, loaded as an image and kept loaded for the whole run.
        let runtimePath = catalog.nativeImages.runtime ?? defaultRuntime
        var runtime: LoadedImage?
        var loadFailure: OperationResult?
        let start = session.begin("load")
        var args = [Argument("path", runtimePath.description)]
        do {
            let image = try root.loadImage(runtimePath)
            args.append(Argument("version", version(of: image.bytes)))
            runtime = image
        } catch {
            loadFailure = OperationResult(describing: error)
        }
        session.record(Event(startNs: start, endNs: MonotonicClock.now(), op: "load", args: args, result: loadFailure ?? .ok))

        let files = HandleFiles(root: root)
        var names = NgenPlan.requested(session.parameter("assemblies") ?? "all", catalog: catalog)
        if action == .update { names = NgenPlan.needingUpdate(names, catalog: catalog, files: files) }

        var code: Int32 = 0
        for name in names {
            var compiled: NativeImage?
            session.perform("ngen", [Argument("assembly", name)]) {
                if let loadFailure {
                    code = 1
                    return .failed("failed to load \(runtimePath.name ?? "mscorwks.dll"): \(loadFailure)", code: loadFailure.failureCode)
                }
                do {
                    compiled = try NativeImages.compile(name, catalog: catalog, files: files)
                    return .ok
                } catch {
                    code = 1
                    return OperationResult(describing: error, detailed: true)
                }
            }
            guard let compiled else { continue }
            // Written beside its place and renamed in: a kill mid-write never leaves a partial
            // image where the runtime (and the status check) looks.
            let host = SessionInstallerHost(session)
            let failure = NativeImages.write(compiled, to: catalog.nativeImages.imagePath(for: name), root: root) {
                host.attempt($0, $1, $2)
            }
            if let failure {
                session.log("ngen \(name): writing the native image: \(failure.message)")
                code = 1
            }
        }
        withExtendedLifetime(runtime) {}
        mutex?.release()
        return code
    }

    // MARK: Helpers for the servicing roles (app, ngen, netfxupdate, windowsupdate)

    /// The items of a comma list parameter (spaces around items dropped, empty items skipped).
    static func list(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.split(separator: ",").map(\.trimmed).filter { !$0.isEmpty }
    }

    /// Parses a Windows path parameter; a bad one is ERROR_INVALID_NAME (123).
    static func windowsPath(_ text: String, operation: String) throws(Win32Error) -> WindowsPath {
        do { return try WindowsPath(text) } catch { throw Win32Error(error, operation: operation) }
    }

    /// The file version in the header of `bytes`, or `-` when they carry none.
    static func version(of bytes: some Collection<UInt8>) -> String {
        FileContent.stamp(of: bytes)?.version.description ?? "-"
    }

    /// `error` as a log line reads it: a Win32 error by name and number (`ERROR_SHARING_VIOLATION
    /// (32)`), with its operation and path when `detailed`; anything else as it describes itself
    /// (as `OperationResult(describing:detailed:)` reads it).
    static func describe(_ error: any Error, detailed: Bool = false) -> String {
        OperationResult(describing: error, detailed: detailed).description
    }
}
