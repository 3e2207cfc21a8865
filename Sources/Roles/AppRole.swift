import Host
import Machine
import WinFS
import WindowsModel
import Wire

/// The `app` role: a .NET application that loads the runtime and keeps running, or a document
/// editor holding a file. It shows what servicing does to a running process: a DLL it loaded can
/// be renamed aside and replaced (soft lock), and the process goes on running the old bytes.
///
/// Parameters:
/// * `machine` — the machine directory (given by the coordinator).
/// * `load` — comma list of Windows paths loaded as images (LoadLibrary: read, share read|delete,
///   mapped), e.g. `C:\Windows\System32\mscoree.dll,C:\Windows\Microsoft.NET\Framework\v1.1.4322\mscorwks.dll`.
/// * `hold` — comma list of Windows paths opened as a document editor does: access read|write,
///   share read|write, no share-delete (a hard lock: the file cannot be renamed or deleted).
/// * `until` — `actor.event`: keep running until that actor emitted that event.
/// * `run_for` — a duration (`200ms`, `2s`): keep running that long (after `until`, if both).
///
/// Events: `load` (`path`, and `version` read from the mapped bytes' header) — `ok` or the Win32
/// error; `hold` (`path`, `version` read through the handle); `emit loaded` once every load and
/// hold succeeded; `wait` (`for`) when `until` is given; then, when it stops waiting, `check` per
/// loaded image (`path`, `version` from its mapping, `on_disk` = the version now at that path, or
/// the error reading it): after a replacement `version` stays old while `on_disk` is new.
///
/// Exit code: 0; 1 when a load or hold failed (after trying all of them; `loaded` is then not
/// emitted) or the awaited event can never come; 87 (ERROR_INVALID_PARAMETER) for bad parameters.
public enum AppRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        guard let machine = session.parameter("machine") else {
            session.log("app: no machine=DIR parameter")
            return 87
        }
        guard session.isMachine(machine) else { return 87 }
        var runFor: UInt64 = 0
        if let text = session.parameter("run_for") {
            switch DurationText.parse(text, bareNanoseconds: true) {
            case .success(let ns): runFor = ns
            case .failure(let error):
                session.log("app: run_for: \(error)")
                return 87
            }
        }
        var until: (actor: String, event: String)?
        if let text = session.parameter("until") {
            guard let dot = text.lastIndex(of: "."), dot != text.startIndex, text.index(after: dot) != text.endIndex else {
                session.log("app: until='\(text)': expected actor.event")
                return 87
            }
            until = (String(text[..<dot]), String(text[text.index(after: dot)...]))
        }
        let root: MachineRoot
        do { root = try MachineRoot(path: machine) } catch {
            session.log("app: \(error.message)")
            return 1
        }

        var failed = false
        var images: [LoadedImage] = []
        for text in NgenRole.list(session.parameter("load")) {
            let start = session.begin("load")
            var args = [Argument("path", text)]
            var result: OperationResult = .ok
            do {
                let image = try root.loadImage(try NgenRole.windowsPath(text, operation: "LoadLibrary"))
                args.append(Argument("version", NgenRole.version(of: image.bytes)))
                images.append(image)
            } catch {
                result = OperationResult(describing: error)
                failed = true
            }
            session.record(Event(startNs: start, endNs: MonotonicClock.now(), op: "load", args: args, result: result))
        }
        var held: [WinFile] = []
        for text in NgenRole.list(session.parameter("hold")) {
            let start = session.begin("hold")
            var args = [Argument("path", text)]
            var result: OperationResult = .ok
            do {
                // A document editor: read|write, sharing read|write but not delete.
                let file = try root.open(
                    try NgenRole.windowsPath(text, operation: "CreateFile"), access: [.read, .write], share: [.read, .write])
                args.append(Argument("version", NgenRole.version(of: try file.read(upTo: 512))))
                held.append(file)
            } catch {
                result = OperationResult(describing: error)
                failed = true
            }
            session.record(Event(startNs: start, endNs: MonotonicClock.now(), op: "hold", args: args, result: result))
        }
        if failed { return 1 }
        session.emit("loaded")

        var code: Int32 = 0
        if let until {
            session.perform("wait", [Argument("for", "\(until.actor).\(until.event)")]) {
                guard let failure = session.await(actor: until.actor, event: until.event) else { return .ok }
                session.log("app: waiting for \(until.actor).\(until.event): \(failure)")
                code = 1
                return .failed("unreachable: \(failure)")
            }
        }
        if runFor > 0 {
            session.perform("sleep", [Argument("duration_ns", String(runFor))]) {
                session.sleep(nanoseconds: runFor)
                return .ok
            }
        }

        // Still running the bytes it mapped: compare with what is at the path now.
        for image in images {
            var onDisk: String
            do {
                let file = try root.open(image.path, access: .read, share: .all)
                defer { file.close() }
                onDisk = NgenRole.version(of: try file.read(upTo: 512))
            } catch {
                onDisk = NgenRole.describe(error)
            }
            let args = [
                Argument("path", image.path.description), Argument("version", NgenRole.version(of: image.bytes)),
                Argument("on_disk", onDisk),
            ]
            session.perform("check", args) { .ok }
        }
        withExtendedLifetime(images) {}
        for file in held { file.close() }
        return code
    }
}
