import Report
import RigModel
import Wire

/// A race like the SP1/hotfix one, built by hand: an app holds mscorwks.dll, SP1 renames it aside
/// (after a sharing violation) and needs a reboot; at the boot Session Manager runs, a RunOnce
/// command starts two ngen children (one builds mscorlib's image against the old engine, one
/// cannot load it), Windows Update's hotfix replaces mscorwks.dll; an actor never starts and the
/// run has a problem. `every native image is fresh` and `sp1 exits with 0` fail.
enum SampleRun {
    static let t0: UInt64 = 7_000_000_000
    static let mscorwks = #"C:\Windows\Microsoft.NET\Framework\v1.1.4322\mscorwks.dll"#
    static let images = #"C:\Windows\assembly\NativeImages1_v1.1.4322\mscorlib"#
    static let staleDetail =
        "mscorlib: stale (mscorwks.dll changed since the image was built (1.1.4322.2032 -> 1.1.4322.2037)), System: missing"

    static func history() throws -> RunHistory {
        let yaml = """
            rig: race
            machine:
              steps:
                - reboot: {after_exit: sp1, logon: admin}
            actors:
              - {name: app, role: script, steps: [{emit: loaded}]}
              - {name: sp1, role: script, start: {after: app.loaded}}
              - {name: windowsupdate, role: script, start: {after: reboot1.booted}, steps: [{sleep: 1ms}, {emit: never}]}
              - {name: late, role: script, start: {after: windowsupdate.never}}
            expect:
              exit: {sp1: 0}
              native_images: {all: fresh}
            """
        let rig = try RigLoader.parse(yaml: yaml, file: "Rigs/race.yaml")
        func event(
            _ op: String, _ from: UInt64, _ to: UInt64, _ args: [(String, String)] = [], _ result: OperationResult = .ok
        )
            -> Wire.Event
        {
            Wire.Event(startNs: t0 + from, endNs: t0 + to, op: op, args: args.map { Argument($0.0, $0.1) }, result: result)
        }
        func record(
            _ name: String, _ role: String, _ pid: Int32, _ spawn: UInt64, _ end: UInt64, code: Int32 = 0, _ events: [Wire.Event]
        )
            -> ActorRecord
        {
            var r = ActorRecord(name: name, role: role)
            r.pid = pid
            r.spawnNs = t0 + spawn
            r.helloNs = t0 + spawn + 200
            r.endNs = t0 + end
            r.termination = .exited(code: code & 0xff)
            r.exitReport = ExitReport(code: code, ns: t0 + end)
            r.events = events
            return r
        }
        let sharing = OperationResult.failed(code: 32, name: "ERROR_SHARING_VIOLATION", detail: "")
        let app = record(
            "app", "app", 21, 0, 10_600,
            [
                event("load", 1_000, 2_000, [("path", mscorwks), ("version", "1.1.4322.573")]),
                event("emit", 2_000, 2_100, [("event", "loaded")]),
                event("wait", 3_000, 10_500, [("event", "reboot1.down")]),
            ])
        let sp1 = record(
            "sp1", "installer", 22, 2_500, 9_000, code: 3010,
            [
                event("replace", 3_000, 3_500, [("file", mscorwks), ("size", "2093056")], sharing),
                event("rename_aside", 3_600, 3_900, [("file", mscorwks)]),
                event("replace", 4_000, 4_800, [("file", mscorwks), ("size", "2093056")]),
            ])
        let smss = record(
            "reboot1/smss", "smss", 23, 10_600, 11_800,
            [event("PendingRenames", 10_700, 10_900, [("location", "PendingFileRenameOperations")], .ok(note: "queued=1 resume=0"))])
        let runOnce = record("reboot1/RunOnce-NetFx", "netfxupdate", 24, 12_200, 30_000, [])
        let ngenMscorlib = record(
            "reboot1/RunOnce-NetFx/ngen-mscorlib", "ngen", 25, 12_500, 16_000,
            [
                event("load", 12_800, 13_000, [("path", mscorwks), ("version", "1.1.4322.2032")]),
                event("ngen", 13_000, 13_500, [("assembly", "mscorlib")]),
                event("write_image", 13_500, 14_000, [("path", images + #"\mscorlib.ni.dll.~ngen"#), ("size", "4186112")]),
                event(
                    "commit_image", 14_000, 14_500,
                    [("path", images + #"\mscorlib.ni.dll"#), ("from", images + #"\mscorlib.ni.dll.~ngen"#)]),
            ])
        let ngenSystem = record(
            "reboot1/RunOnce-NetFx/ngen-System", "ngen", 28, 16_500, 18_000, code: 1,
            [
                event(
                    "load", 16_800, 17_000, [("path", mscorwks)],
                    .failed(code: 32, name: nil, detail: "failed to load mscorwks.dll: ERROR_SHARING_VIOLATION (32)"))
            ])
        let windowsUpdate = record(
            "windowsupdate", "windowsupdate", 26, 12_000, 25_000,
            [event("sleep", 12_100, 15_000, [("duration_ns", "2900")]), event("hotfix", 15_000, 24_000, [("attempt", "1")])])
        let hotfix = record(
            "windowsupdate/hotfix", "installer", 27, 15_200, 23_900,
            [
                event("rename_aside", 16_000, 16_900, [("file", mscorwks)]),
                event("replace", 17_000, 18_500, [("file", mscorwks), ("size", "2093056")]),
                event("write", 19_000, 20_000, [("file", #"C:\Windows\Microsoft.NET\Framework\v1.1.4322\System.Web.dll"#)]),
            ])
        var late = ActorRecord(name: "late", role: "script")
        late.failure = "never started: windowsupdate exited without emitting never"

        func note(_ op: String, _ at: UInt64, _ args: [(String, String)]) -> Wire.Event { event(op, at, at, args) }
        var history = RunHistory(
            rig: rig, seed: 28, startNs: t0, endNs: t0 + 40_000, coordinatorPid: 20,
            actors: [app, sp1, windowsUpdate, hotfix, late, smss, runOnce, ngenMscorlib, ngenSystem],
            coordinatorEvents: [
                note("run", 0, [("rig", "race")]),
                note("step", 9_000, [("step", "reboot1")]),
                note("event", 10_500, [("step", "reboot1"), ("event", "down")]),
                note("release", 10_500, [("actor", "app"), ("event", "reboot1.down")]),
                note("event", 12_000, [("step", "reboot1"), ("event", "booted")]),
                note("event", 12_100, [("step", "reboot1"), ("event", "logon")]),
                note("event", 12_200, [("step", "reboot1"), ("event", "runonce")]),
                note("start_child", 12_400, [("actor", "reboot1/RunOnce-NetFx"), ("child", "reboot1/RunOnce-NetFx/ngen-mscorlib")]),
                note("start_child", 15_100, [("actor", "windowsupdate"), ("child", "windowsupdate/hotfix")]),
                note("start_child", 16_400, [("actor", "reboot1/RunOnce-NetFx"), ("child", "reboot1/RunOnce-NetFx/ngen-System")]),
                note("event", 30_000, [("step", "reboot1"), ("event", "done")]),
            ],
            problems: ["the run timed out after 60s"])
        history.coordinatorEvents[0].endNs = t0 + 40_000
        history.machine = MachineSnapshot(
            nativeImages: [
                ("mscorlib", "stale", ["mscorwks.dll changed since the image was built (1.1.4322.2032 -> 1.1.4322.2037)"]),
                ("System", "missing", []),
            ])
        return history
    }
}
