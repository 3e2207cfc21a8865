import Testing

@testable import Pictures

@Suite struct ExplanationTests {
    @Test func aStaleImageNamesItsAssembliesAndTheFileThatChanged() {
        let verdict = RunTimeline.Verdict(text: "every native image is fresh", verdict: "fail", detail: SampleRun.staleDetail)
        let subjects = Explanation.subjects(of: verdict, processNames: ["sp1", "app"])
        #expect(subjects == Explanation.Subjects(files: ["mscorwks.dll"], assemblies: ["mscorlib", "system"], processes: []))
    }

    @Test func pathsProcessesAndTheNativeImageOfOneAssembly() {
        let file = RunTimeline.Verdict(
            text: #"C:\Windows\System32\Msvcr71.DLL has version 7.10.3052.4"#, verdict: "fail", detail: "present, version 7.10.3052.0")
        #expect(Explanation.subjects(of: file, processNames: []).files == ["msvcr71.dll"])
        let exit = RunTimeline.Verdict(
            text: "exactly one of a, b exits with 0", verdict: "fail", detail: "a: exited with code 1; b: never started")
        #expect(Explanation.subjects(of: exit, processNames: ["a", "b", "c"]).processes == ["a", "b"])
        let image = RunTimeline.Verdict(text: "the native image of System.Web is fresh", verdict: "fail", detail: "System.Web: missing")
        #expect(Explanation.subjects(of: image, processNames: []).assemblies == ["system.web"])
        // A version number is not a file name.
        let version = RunTimeline.Verdict(text: "x", verdict: "fail", detail: "1.1.4322.2032 -> 1.1.4322.2037")
        #expect(Explanation.subjects(of: version, processNames: []).files.isEmpty)
    }

    /// The failed image expectation picks the image's build (against the old engine), the loads
    /// of the engine and the renames and replacements of it; the failed exit picks the process's
    /// failed operation; the passing one picks nothing.
    @Test func theOperationsThatExplainEachFailure() throws {
        let timeline = RunTimeline(try SampleRun.history())
        func picked(_ index: Int) -> [String] {
            Explanation.operations(explaining: timeline.expectations[index], in: timeline).map {
                "\(timeline.lanes[timeline.operations[$0].lane].name) \(timeline.operations[$0].name)"
            }
        }
        #expect(timeline.expectations.map(\.text) == ["sp1 exits with 0", "every native image is fresh"])
        #expect(picked(0) == ["sp1 replace"])
        #expect(
            picked(1) == [
                "app load", "sp1 replace", "sp1 rename_aside", "sp1 replace", "windowsupdate/hotfix rename_aside",
                "windowsupdate/hotfix replace",
                "reboot1/RunOnce-NetFx/ngen-mscorlib load", "reboot1/RunOnce-NetFx/ngen-mscorlib ngen",
                "reboot1/RunOnce-NetFx/ngen-mscorlib write_image", "reboot1/RunOnce-NetFx/ngen-mscorlib commit_image",
                "reboot1/RunOnce-NetFx/ngen-System load",
            ])
        let held = RunTimeline.Verdict(text: "every native image is fresh", verdict: "pass", detail: "mscorlib: fresh")
        #expect(Explanation.operations(explaining: held, in: timeline).isEmpty)
    }
}
