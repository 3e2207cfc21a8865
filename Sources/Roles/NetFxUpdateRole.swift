import Host
import Machine
import Registry
import Servicing
import WinFS
import WindowsModel
import Wire

/// The `netfxupdate` role: NetFxUpdate.exe, which finishes a .NET Framework patch after the
/// reboot (regenerates native images, and on Windows 9x installs files into the GAC), in both of
/// its eras (keys and formats in `NetFxUpdateKeys`).
///
/// * RunOnce era — `netfxupdate.exe /ngen:A,B [/gac:P,Q]`, started at an administrator's logon:
///   installs the GAC files, then runs `ngen` as a child process for the assemblies and everything
///   that depends on them, and exits with ngen's exit code (1 if a GAC install failed).
/// * Service era — `netfxupdate.exe /service`, started at boot with nobody logged on: first takes
///   over older RunOnce-style entries (HKLM RunOnce values whose command runs netfxupdate.exe:
///   their work is added to `Work` and the values deleted, in one registry transaction), then runs
///   each `Work` item as a child process (`ngen` for `ngen A`, `netfxupdate /gac:P` for `gac P`),
///   removes the items that succeeded, goes round again while items were added meanwhile, and
///   finally, in one transaction, deletes its whole service key when no work is left (the
///   service exists only while needed). Failed items stay for the next boot.
///
/// Parameters: `machine`; `command` (the whole command line, as the boot gives it) or `arg1`,
/// `arg2`... (its arguments); `mode` — `runonce` (default) or `service` (the same as
/// `/service`); `work` (RunOnce era only) — comma list of work items in the `Work` syntax
/// (`ngen System.Web, gac C:\Lib.dll`), added to the command line's.
///
/// Events: `gac` (`path`, `destination`); `takeover` (`name`, `command`, `work`); `work`
/// (`item`) with `ok` or why it failed; `service` (`name`, `action` remove|keep, `reason` when kept).
///
/// Exit code: RunOnce era, ngen's; service era, 0 when all work is done, 1 when some failed;
/// 87 (ERROR_INVALID_PARAMETER) for a command line it cannot read or that asks for nothing.
public enum NetFxUpdateRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        guard let machine = session.parameter("machine") else {
            session.log("netfxupdate: no machine=DIR parameter")
            return 87
        }
        guard session.isMachine(machine) else { return 87 }
        var arguments: [String]
        if let line = session.parameter("command") {
            arguments = BootCommand(line).arguments
        } else {
            arguments = []
            var index = 1
            while let argument = session.parameter("arg\(index)") {
                arguments.append(argument)
                index += 1
            }
        }
        switch session.parameter("mode") {
        case nil, "runonce": break
        case "service": arguments.append("/service")
        case let other?:
            session.log("netfxupdate: mode='\(other)': use runonce or service")
            return 87
        }
        var command: NetFxUpdateCommand
        do {
            command = try NetFxUpdateCommand(arguments: arguments)
            for text in NgenRole.list(session.parameter("work")) {
                let item = try NetFxUpdateWorkItem(parsing: text)
                if !command.work.contains(item) { command.work.append(item) }
            }
        } catch {
            session.log("netfxupdate: \(error)")
            return 87
        }
        if command.service && session.parameter("work") != nil {
            session.log("netfxupdate: the service reads its work from the registry; work= is for mode=runonce")
            return 87
        }
        if !command.ignored.isEmpty {
            session.log("netfxupdate: ignoring \(command.ignored.joined(separator: " "))")
        }
        let root: MachineRoot
        let registry: Registry
        let catalog: AssemblyCatalog
        do {
            root = try MachineRoot(path: machine)
            registry = try Registry(machineDirectory: machine)
            catalog = try MachineCatalogKeys.read(from: registry)
        } catch {
            session.log("netfxupdate: cannot read the machine: \(NgenRole.describe(error, detailed: true))")
            return 1
        }
        let context = Context(session: session, machine: machine, root: root, registry: registry, catalog: catalog)
        if command.service { return context.runService() }
        guard !command.work.isEmpty else {
            session.log("netfxupdate: nothing to do (expected /ngen:A,B, /gac:P or /service)")
            return 87
        }
        return context.runOnce(command)
    }

    /// What one run works with.
    struct Context {
        let session: any WorkerSession
        let machine: String
        let root: MachineRoot
        let registry: Registry
        let catalog: AssemblyCatalog

        // MARK: RunOnce era

        func runOnce(_ command: NetFxUpdateCommand) -> Int32 {
            var mutex: NamedMutex?
            if command.lock {
                // The fixed design: no installation may run while this pass works.
                do { mutex = try NamedMutex(NamedMutex.installer, machine: root) } catch {
                    session.log("netfxupdate: the install mutex: \(error)")
                    return 1
                }
                session.perform("mutex", [Argument("name", NamedMutex.installer), Argument("action", "acquire")]) {
                    mutex!.acquire(timeoutNs: .max) { session.sleep(nanoseconds: $0) } ? .ok : .failed("timed out")
                }
            }
            defer {
                if let mutex {
                    session.perform("mutex", [Argument("name", NamedMutex.installer), Argument("action", "release")]) {
                        mutex.release()
                        return .ok
                    }
                }
            }
            var gacFailed = false
            for path in command.gacFiles where installInGAC(path) != nil { gacFailed = true }
            var code: Int32 = gacFailed ? 1 : 0
            // NetFxUpdate ran ngen.exe once per assembly: each run loads the runtime engine anew.
            for assembly in NgenPlan.withDependents(command.assemblies, catalog: catalog) {
                switch runNgen(label: "ngen-\(assembly)", [assembly]) {
                case .success(.exited(0)): break
                case .success(.exited(let ngenCode)): if code == 0 { code = ngenCode }
                case .success(.signaled), .failure: code = 1
                }
            }
            return code
        }

        /// Copies `source` into the GAC through handles (Fusion's install). Returns why it failed.
        @discardableResult
        func installInGAC(_ source: WindowsPath) -> OperationResult? {
            var failure: OperationResult?
            let start = session.begin("gac")
            var args = [Argument("path", source.description)]
            do {
                // Fusion reads the identity (name, version, culture, token) that names the folder.
                let destination = try GlobalAssemblyCache.destination(of: source, catalog: catalog)
                args.append(Argument("destination", destination.description))
                let input = try root.open(source, access: .read, share: .read)
                defer { input.close() }
                if let parent = destination.parent { try root.createDirectories(parent) }
                let output = try root.open(destination, access: .write, share: .read, disposition: .createAlways)
                defer { output.close() }
                try output.writeContents(of: input)
            } catch {
                failure = OperationResult(describing: error, detailed: true)
            }
            session.record(Event(startNs: start, endNs: MonotonicClock.now(), op: "gac", args: args, result: failure ?? .ok))
            return failure
        }

        /// Runs `ngen action=install` for `assemblies` as a child process.
        func runNgen(label: String, _ assemblies: [String]) -> Result<TerminationStatus, ChildFailure> {
            session.runChild(
                label, role: "ngen",
                parameters: [
                    Argument("machine", machine), Argument("assemblies", assemblies.joined(separator: ",")),
                    Argument("action", NgenAction.install.rawValue),
                ])
        }

        // MARK: Service era

        func runService() -> Int32 {
            takeOverRunOnceEntries()
            var attempted: [String] = []
            var failed = false
            var built: Set<String> = []
            var children = 0
            while true {
                let current: [String]
                do { current = try registry.value(NetFxUpdateKeys.work, NetFxUpdateKeys.workValue)?.strings ?? [] } catch {
                    session.log("netfxupdate: reading the work list: \(error)")
                    return 1
                }
                let pending = NetFxUpdateWork.pending(current, attempted: attempted)
                if pending.isEmpty { break }
                var finished: [String] = []
                for item in pending {
                    attempted.append(item)
                    let result = session.perform("work", [Argument("item", item)]) {
                        run(item, built: &built, children: &children)
                    }
                    if result.isOK { finished.append(item) } else { failed = true }
                }
                do {
                    try registry.update(NetFxUpdateKeys.work, NetFxUpdateKeys.workValue) { value in
                        let left = NetFxUpdateWork.removing(finished, from: value?.strings ?? [])
                        return .multiString(left)
                    }
                } catch {
                    session.log("netfxupdate: removing finished work: \(error)")
                    return 1
                }
            }
            removeRegistrationIfDone()
            return failed ? 1 : 0
        }

        /// One `Work` item, run as a child process. Returns `ok` or why it failed.
        func run(_ text: String, built: inout Set<String>, children: inout Int) -> OperationResult {
            let item: NetFxUpdateWorkItem
            do { item = try NetFxUpdateWorkItem(parsing: text) } catch { return .failed("\(error)") }
            children += 1
            switch item {
            case .ngen(let assembly):
                // The assembly and what depends on it, less what this pass already rebuilt.
                // One ngen.exe run per assembly, as NetFxUpdate did.
                var failures: [String] = []
                for name in NgenPlan.withDependents([assembly], catalog: catalog) where !built.contains(name) {
                    switch runNgen(label: "ngen-\(name)", [name]) {
                    case .success(.exited(0)): built.insert(name)
                    case .success(.exited(let code)): failures.append("ngen \(name) exited \(code)")
                    case .success(let status): failures.append("ngen \(name) did not run: \(status)")
                    case .failure(let why): failures.append("ngen \(name) did not run: \(why)")
                    }
                }
                return failures.isEmpty ? .ok : .failed(failures.joined(separator: "; "))
            case .gac(let path):
                let command = NetFxUpdateKeys.runOnceCommand(ngen: [], gac: [path])
                let outcome = session.runChild(
                    "gac\(children)", role: "netfxupdate",
                    parameters: [Argument("machine", machine), Argument("command", command)])
                switch outcome {
                case .success(.exited(0)): return .ok
                case .success(.exited(let code)): return .failed("GAC install exited \(code)", code: code)
                case .success(let status): return .failed("GAC install did not run: \(status)")
                case .failure(let why): return .failed("GAC install did not run: \(why)")
                }
            }
        }

        /// Moves the work of older RunOnce-style entries into `Work` and deletes those entries, in
        /// one transaction (an administrator logging on meanwhile cannot run them too).
        func takeOverRunOnceEntries() {
            let start = session.begin("takeover")
            let taken: [NetFxUpdateTakeover]
            do {
                taken = try registry.transaction { registry in
                    let values = try runOnceValues(registry)
                    let takeovers = NetFxUpdateWork.takeovers(runOnce: values)
                    guard !takeovers.isEmpty else { return takeovers }
                    let current = try registry.value(NetFxUpdateKeys.work, NetFxUpdateKeys.workValue)?.strings ?? []
                    let merged = NetFxUpdateWork.merging(takeovers.flatMap(\.work), into: current)
                    try registry.setValue(NetFxUpdateKeys.work, NetFxUpdateKeys.workValue, .multiString(merged))
                    for takeover in takeovers { try registry.deleteValue(NetFxUpdateKeys.runOnce, takeover.name) }
                    return takeovers
                }
            } catch {
                session.perform("takeover", []) { .failed("cannot read RunOnce: \(error)") }
                return
            }
            let end = MonotonicClock.now()
            for takeover in taken {
                let args = [
                    Argument("name", takeover.name), Argument("command", takeover.command),
                    Argument("work", takeover.work.map(\.description).joined(separator: "; ")),
                ]
                session.record(Event(startNs: start, endNs: end, op: "takeover", args: args, result: .ok))
            }
        }

        /// Deletes the service's key when no work is left, deciding and deleting in one
        /// transaction so work an install adds meanwhile keeps the service.
        func removeRegistrationIfDone() {
            let start = session.begin("service")
            var args = [Argument("name", NetFxUpdateKeys.serviceName)]
            var result: OperationResult = .ok
            do {
                let decision = try registry.transaction { registry -> NetFxUpdateServiceDecision in
                    let remaining = try registry.value(NetFxUpdateKeys.work, NetFxUpdateKeys.workValue)?.strings ?? []
                    let decision = NetFxUpdateWork.serviceDecision(
                        remainingWork: remaining, runOnce: try runOnceValues(registry))
                    if decision == .remove {
                        try registry.deleteValue(NetFxUpdateKeys.work, NetFxUpdateKeys.workValue)
                        try registry.deleteKey(NetFxUpdateKeys.service)
                    }
                    return decision
                }
                switch decision {
                case .remove: args.append(Argument("action", "remove"))
                case .keep(let why): args += [Argument("action", "keep"), Argument("reason", why)]
                }
            } catch {
                result = .failed("cannot update the registration: \(error)")
            }
            session.record(Event(startNs: start, endNs: MonotonicClock.now(), op: "service", args: args, result: result))
        }

        func runOnceValues(_ registry: Registry) throws -> [(name: String, command: String)] {
            (try registry.values(of: NetFxUpdateKeys.runOnce) ?? []).compactMap { entry in
                entry.value.stringValue.map { (entry.name, $0) }
            }
        }
    }
}
