/// What `rig --version` prints and the replay line of a failed run names: PatchRig's version and
/// the commit this binary was built from.
enum BuildInfo: BuildCommitDefault {
    static let version = "0.1.0"

    /// `rig 0.1.0 commit 1a2b3c4d5e6f` (`-dirty` when the tree had changes; `unknown` when the
    /// build did not record it).
    static var line: String { "rig \(version) commit \(commit)" }
}

/// The commit of a build that did not record one, such as a plain `swift build`: `unknown`.
///
/// `scripts/rig` and `scripts/test` record it: before they build, `scripts/build-commit write`
/// writes `BuildCommit.generated.swift` beside this file, an `extension BuildInfo` whose own
/// `commit` hides this default; after the build `scripts/build-commit remove` deletes it, so a
/// later plain build says `unknown` rather than a commit it was not built from. The commit comes
/// from the build, never from git in the user's directory at run time.
protocol BuildCommitDefault {}

extension BuildCommitDefault {
    static var commit: String { "unknown" }
}
