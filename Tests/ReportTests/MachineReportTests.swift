import Foundation
import RigModel
import Testing
import Wire

@testable import Report

private let mscoree = "C:\\Windows\\System32\\mscoree.dll"
private let systemWeb = "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\System.Web.dll"

/// A run on a machine, built by hand: an app that loaded mscoree.dll twice (the later load
/// counts) and failed to load mscorwks.dll, a setup whose msiexec child exited 3010, a process the
/// reboot started, and the machine as it stood at the end.
private func machineHistory(snapshot: MachineSnapshot? = sampleSnapshot()) throws -> RunHistory {
    // setup needs a patch; this repository patch only adds files, so it fits the minimal machine.
    let contosoPatch = "/" + "\(#filePath)".split(separator: "/").dropLast(3).joined(separator: "/") + "/Rigs/patches/contoso-orders.yaml"
    let yaml = """
        rig: servicing
        machine:
          steps:
            - reboot: {after_exit: setup}
        actors:
          - {name: app1, role: app}
          - {name: setup, role: setup, params: {patch: '\(contosoPatch)'}}
        expect:
          exit: {setup: 0, setup/msiexec: 3010}
          files:
            'C:\\Windows\\System32\\mscoree.dll': 2.0.50727.42
            'C:\\Windows\\System32\\mscoree.dll.old': absent
            'C:\\Windows\\Temp\\leftover.tmp': absent
          native_images: {System: fresh, System.Web: fresh, all: fresh, Missing.Assembly: missing}
          pending_renames: 1
          loaded:
            app1: {'C:\\Windows\\System32\\mscoree.dll': 1.1.4322.573, 'C:\\Windows\\mscorwks.dll': 1.1.4322.573}
          services: {NetFxUpdate: absent}
          runonce: {NetFxUpdate_KB886903: present}
          run: {NetFxUpdate_KB886903: absent}
        """
    let rig = try RigLoader.parse(yaml: yaml, file: "Rigs/servicing.yaml")
    let t0: UInt64 = 1_000_000_000
    var app = ActorRecord(name: "app1", role: "app")
    app.pid = 301
    app.spawnNs = t0 + 1_000
    app.endNs = t0 + 9_000_000
    app.termination = .exited(code: 0)
    app.events = [
        Wire.Event(
            startNs: t0 + 10_000, endNs: t0 + 20_000, op: "load", args: [Argument("path", mscoree), Argument("version", "1.0.3705.0")]),
        Wire.Event(
            startNs: t0 + 30_000, endNs: t0 + 40_000, op: "load", args: [Argument("path", mscoree), Argument("version", "1.1.4322.573")]),
        Wire.Event(
            startNs: t0 + 50_000, endNs: t0 + 60_000, op: "load",
            args: [Argument("path", "C:\\Windows\\mscorwks.dll"), Argument("version", "1.1.4322.573")],
            result: .failed(code: 32, name: "ERROR_SHARING_VIOLATION", detail: "")),
    ]
    var setup = ActorRecord(name: "setup", role: "setup")
    setup.pid = 302
    setup.spawnNs = t0 + 2_000
    setup.endNs = t0 + 5_000_000
    setup.termination = .exited(code: 0)
    var msiexec = ActorRecord(name: "setup/msiexec", role: "installer")
    msiexec.pid = 303
    msiexec.spawnNs = t0 + 3_000
    msiexec.endNs = t0 + 4_000_000
    msiexec.termination = .exited(code: 194)
    msiexec.exitReport = ExitReport(code: 3010, ns: t0 + 3_999_000)
    var smss = ActorRecord(name: "reboot1/smss", role: "smss")
    smss.pid = 304
    smss.spawnNs = t0 + 6_000_000
    smss.endNs = t0 + 7_000_000
    smss.termination = .exited(code: 0)
    var history = RunHistory(
        rig: rig, seed: 3, startNs: t0, endNs: t0 + 10_000_000, coordinatorPid: 300,
        actors: [smss, msiexec, app, setup])
    history.machine = snapshot
    return history
}

private func sampleSnapshot() -> MachineSnapshot {
    MachineSnapshot(
        files: [(mscoree, "2.0.50727.42"), (systemWeb, "1.1.4322.2032"), ("C:\\Windows\\Temp\\leftover.tmp", nil)],
        nativeImages: [
            ("mscorlib", "fresh", []), ("System", "fresh", []),
            ("System.Web", "stale", ["System.Web.dll changed", "built against another mscorwks.dll"]),
        ],
        pendingRenames: ["\\??\\C:\\Windows\\System32\\mscoree.dll.old -> (delete)"],
        services: [],
        run: [],
        runOnce: [
            (
                "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce", "NetFxUpdate_KB886903",
                "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\netfxupdate.exe /ngen:System.Web"
            )
        ])
}

private func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite struct MachineChecksTests {
    @Test func machineExpectationsAgainstASnapshot() throws {
        let results = Checks.evaluate(try machineHistory())
        #expect(
            results.map(\.text) == [
                "setup exits with 0",
                "setup/msiexec exits with 3010",
                "\(mscoree) has version 2.0.50727.42",
                "C:\\Windows\\System32\\mscoree.dll.old is absent",
                "C:\\Windows\\Temp\\leftover.tmp is absent",
                "the native image of System is fresh",
                "the native image of System.Web is fresh",
                "every native image is fresh",
                "the native image of Missing.Assembly is missing",
                "1 rename is pending",
                "app1 loaded \(mscoree) version 1.1.4322.573",
                "app1 loaded C:\\Windows\\mscorwks.dll version 1.1.4322.573",
                "service NetFxUpdate is absent",
                "RunOnce entry NetFxUpdate_KB886903 is present",
                "Run entry NetFxUpdate_KB886903 is absent",
            ])
        let why = "System.Web: stale (System.Web.dll changed; built against another mscorwks.dll)"
        #expect(results.map(\.passed) == [true, true, true, true, false, true, false, false, false, true, true, false, true, true, true])
        #expect(
            results.map(\.detail) == [
                "exited with code 0",
                "exited with code 3010 (process status 194)",
                "present, version 2.0.50727.42",
                "absent",
                "present, version no version",
                "System: fresh",
                why,
                why,
                "no native image of Missing.Assembly is known",
                "\\??\\C:\\Windows\\System32\\mscoree.dll.old -> (delete)",
                "loaded version 1.1.4322.573",
                "never loaded C:\\Windows\\mscorwks.dll",
                "absent",
                "present in HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce: C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\netfxupdate.exe /ngen:System.Web",
                "absent",
            ])
    }

    @Test func machineExpectationsFailWithoutASnapshot() throws {
        let results = Checks.evaluate(try machineHistory(snapshot: nil))
        // Exit and loaded expectations read the processes; the others need the machine's state.
        #expect(results.filter { $0.detail == "the rig has no machine" }.count == 11)
        #expect(results.allSatisfy { $0.detail != "the rig has no machine" || !$0.passed })
        #expect(results[10].passed)
    }

    @Test func aFileVersionMismatchIsSeen() throws {
        var history = try machineHistory()
        history.machine?.files[0].version = "1.1.4322.573"
        let result = Checks.evaluate(history)[2]
        #expect(!result.passed)
        #expect(result.detail == "present, version 1.1.4322.573")
    }
}

@Suite struct MachineResultsTests {
    @Test func resultsRecordHasTheMachineAndWhatEachActorLoaded() throws {
        let text = ResultsWriter.json(try machineHistory())
        let root = try jsonObject(text)
        let machine = try #require(root["machine"] as? [String: Any])
        let files = try #require(machine["files"] as? [String: Any])
        #expect(files[mscoree] as? String == "2.0.50727.42")
        #expect(files[systemWeb] as? String == "1.1.4322.2032")
        #expect(files["C:\\Windows\\Temp\\leftover.tmp"] is NSNull)
        let images = try #require(machine["native_images"] as? [String: [String: Any]])
        #expect(Set(images.keys) == ["mscorlib", "System", "System.Web"])
        #expect(images["System"]?["status"] as? String == "fresh")
        #expect(images["System"]?["why"] as? [String] == [])
        #expect(images["System.Web"]?["status"] as? String == "stale")
        #expect(images["System.Web"]?["why"] as? [String] == ["System.Web.dll changed", "built against another mscorwks.dll"])
        #expect(machine["pending_renames"] as? [String] == ["\\??\\C:\\Windows\\System32\\mscoree.dll.old -> (delete)"])
        #expect((machine["services"] as? [Any])?.isEmpty == true)
        #expect((machine["run"] as? [Any])?.isEmpty == true)
        let runOnce = try #require(machine["runonce"] as? [[String: String]])
        #expect(
            runOnce == [
                [
                    "key": "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce", "name": "NetFxUpdate_KB886903",
                    "command_line": "C:\\Windows\\Microsoft.NET\\Framework\\v1.1.4322\\netfxupdate.exe /ngen:System.Web",
                ]
            ])

        let actors = try #require(root["actors"] as? [[String: Any]])
        let app = try #require(actors.first { $0["name"] as? String == "app1" })
        // Only successful loads count, the last load of a path wins.
        #expect(app["loaded"] as? [String: String] == [mscoree: "1.1.4322.573"])
        let msiexec = try #require(actors.first { $0["name"] as? String == "setup/msiexec" })
        #expect(msiexec["exit_code"] as? Int == 3010)
        #expect((msiexec["loaded"] as? [String: String])?.isEmpty == true)
        // `machine` comes right after `actors`, keys in documented order.
        #expect(text.contains("\"machine\": {\n    \"files\": {"))
        #expect(text.range(of: "\"native_images\"")!.lowerBound < text.range(of: "\"pending_renames\": [")!.lowerBound)
    }

    @Test func machineIsNullWithoutOne() throws {
        let root = try jsonObject(ResultsWriter.json(try machineHistory(snapshot: nil)))
        #expect(root["machine"] is NSNull)
        #expect(root.keys.contains("machine"))
    }

    @Test func damagedFilesAreListedWithWhy() {
        let snapshot = MachineSnapshot(damaged: [("C:\\App\\a.dll", "2000 bytes; a.dll 2.0.0.0 has 4000")])
        let text = ResultsWriter.machine(snapshot).rendered()
        #expect(text.hasSuffix(#""damaged":{"C:\\App\\a.dll":"2000 bytes; a.dll 2.0.0.0 has 4000"},"registry":[]}"#), "\(text)")
    }

    @Test func servicesAndRunEntries() {
        let snapshot = MachineSnapshot(
            services: [("NetFxUpdate", "netfxupdate.exe /service")],
            run: [("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "tray", "tray.exe")])
        let text = ResultsWriter.machine(snapshot).rendered()
        #expect(
            text
                == #"{"files":{},"native_images":{},"pending_renames":[],"services":[{"name":"NetFxUpdate","command_line":"netfxupdate.exe /service"}],"run":[{"key":"HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run","name":"tray","command_line":"tray.exe"}],"runonce":[],"damaged":{},"registry":[]}"#
        )
    }
}

@Suite struct MachineTraceAndSummaryTests {
    @Test func childAndBootProcessesReadWellAndSortAfterTheirParents() throws {
        let root = try jsonObject(TraceWriter.json(try machineHistory()))
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        let names = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "process_name" }
            .map { ($0["pid"] as! Int, ($0["args"] as! [String: Any])["name"] as! String) }
        #expect(
            names.map(\.1) == [
                "rig (coordinator)", "app1 (app)", "setup (setup)", "setup/msiexec (installer)", "reboot1/smss",
            ])
        #expect(names.map(\.0) == [300, 301, 302, 303, 304])
    }

    @Test func summaryShowsStaleImagesAndFailedMachineExpectations() throws {
        let text = SummaryWriter.text(try machineHistory())
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("FAIL  C:\\Windows\\Temp\\leftover.tmp is absent: present, version no version"))
        #expect(
            lines.contains(
                "FAIL  every native image is fresh: System.Web: stale (System.Web.dll changed; built against another mscorwks.dll)"))
        #expect(lines.contains("STALE  native image of System.Web: System.Web.dll changed; built against another mscorwks.dll"))
        #expect(!lines.contains { $0.hasPrefix("STALE  native image of System:") })
        #expect(lines.last == "servicing: FAILED (5 of 15 expectations failed), seed 3, 10.000ms")

        let md = SummaryWriter.markdown(try machineHistory())
        #expect(md.contains("| System.Web | stale | System.Web.dll changed; built against another mscorwks.dll |\n"))
        #expect(md.contains("- `\\??\\C:\\Windows\\System32\\mscoree.dll.old -> (delete)`\n"))
    }
}

/// Windows paths are case-insensitive: expectations and the loaded images of a process match
/// every spelling of a path, and the machine's own spelling is what the record shows.
@Suite struct CaseInsensitivePathChecksTests {
    @Test func expectationsMatchEverySpellingOfAPath() throws {
        let rig = try RigLoader.parse(
            yaml: """
                rig: cases
                machine: {profile: nt}
                actors:
                  - {name: app, role: app}
                expect:
                  files:
                    'c:/WINDOWS/system32/ÄRGER.dll': 2.0.0.0
                    '\\??\\C:\\Windows\\Gone.dll': absent
                  loaded:
                    app: {'C:\\WINDOWS\\SYSTEM32\\ärger.dll': 2.0.0.0}
                """, file: "Rigs/cases.yaml")
        var app = ActorRecord(name: "app", role: "app")
        app.pid = 10
        app.termination = .exited(code: 0)
        app.events = [
            Wire.Event(
                startNs: 1, endNs: 2, op: "load",
                args: [Argument("path", "C:\\Windows\\System32\\Ärger.dll"), Argument("version", "1.0.0.0")]),
            Wire.Event(
                startNs: 3, endNs: 4, op: "load",
                args: [Argument("path", "c:\\windows\\system32\\ärger.DLL"), Argument("version", "2.0.0.0")]),
        ]
        #expect(app.loaded.map(\.path) == ["C:\\Windows\\System32\\Ärger.dll"])
        #expect(app.loaded.map(\.version) == ["2.0.0.0"])
        var history = RunHistory(rig: rig, seed: 1, startNs: 0, endNs: 5, coordinatorPid: 9, actors: [app])
        history.machine = MachineSnapshot(files: [("C:\\Windows\\System32\\Ärger.dll", "2.0.0.0")])
        let results = Checks.evaluate(history)
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0.passed }, "\(results)")
    }
}
