// swift-tools-version:6.0
// PatchRig: reproduces Windows servicing races with real processes on a sandboxed machine.
// Module arrows point downward (see README.md, "Modules"):
//   rig ─► Coordinator ─► CoordinatorCore ─► Wire, RigModel, Report, Machine
//                     └─► LibUV
//   rig-worker ─► Roles ─► LibUV, Wire, Machine ─► WinFS, Registry
// rig-worker is linked as a fully static executable and must stay free of Foundation and Yams:
// it is spawned thousands of times in a stress run, so its start-up is kept close to a C program's.
import PackageDescription

let package = Package(
    name: "PatchRig",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rig", targets: ["rig"]),
        .executable(name: "rig-worker", targets: ["rig-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries. Both link their static archives (libuv_a.a, libsqlite3.a are in Debian's
        // -dev packages), so rig-worker can be a static executable; see the module maps.
        .systemLibrary(name: "CLibUV", path: "Sources/CLibUV", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Header-only shim for WinFS: openat2, renameat2 flags, F_OFD_* lock commands.
        .systemLibrary(name: "CWinFS", path: "Sources/CWinFS"),

        // The only module that touches libuv: loop, framed pipes (Wire frames), processes, timers, signals.
        .target(name: "LibUV", dependencies: ["CLibUV", "Wire"]),
        // Wire protocol between rig and rig-worker: frames and messages. No dependencies.
        .target(name: "Wire"),
        // Windows file semantics on POSIX: paths, share modes, images, MoveFileEx, Win32 errors.
        .target(name: "WinFS", dependencies: ["CWinFS"]),
        // The machine's registry in SQLite.
        .target(name: "Registry", dependencies: ["CSQLite", "WinFS"]),
        // The machine sandbox: layout, file versions, native images, the boot's rules.
        .target(name: "Machine", dependencies: ["WinFS", "Registry"]),
        // Rig files (and machine images, patches) decoded from YAML and validated. No libuv.
        .target(name: "RigModel", dependencies: ["Machine", .product(name: "Yams", package: "Yams")]),
        // History of a run, checkers, and the outputs: trace, results JSON, JUnit XML. No libuv.
        .target(name: "Report", dependencies: ["RigModel", "Wire"]),
        // The coordinator's logic as a state machine with no I/O: start conditions, events, machine
        // steps, faults, and controlled schedules (virtual time, strategies). No libuv.
        .target(name: "CoordinatorCore", dependencies: ["Wire", "RigModel", "Report", "Machine", "WinFS"]),
        // Runs a rig: the libuv shell that carries out the core's commands with real processes.
        .target(name: "Coordinator", dependencies: ["CoordinatorCore", "LibUV", "Wire", "RigModel", "Report", "Machine", "Registry", "WinFS"]),
        // What a rig-worker plays: script, smss, installer, ngen, app, ...
        .target(name: "Roles", dependencies: ["LibUV", "Wire", "Machine", "WinFS", "Registry"]),

        .executableTarget(
            name: "rig",
            dependencies: [
                "Coordinator", "CoordinatorCore", "RigModel", "Report", "Machine", "WinFS", "Registry", "Roles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "rig-worker",
            dependencies: ["Roles"],
            linkerSettings: [.unsafeFlags(["-static-executable"], .when(platforms: [.linux]))]),

        // Benchmarks (scripts/bench): each figure beside a baseline measured in the same run.
        .executableTarget(name: "rig-bench", dependencies: ["LibUV", "Wire", "WinFS"]),

        // Fuzzing (scripts/fuzz): generated rigs, patches, images and frame streams against the
        // loaders and the frame decoder; `rig-fuzz` runs them, RigFuzzTests a few thousand.
        .target(name: "RigFuzz", dependencies: ["RigModel", "Wire", "Machine", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "rig-fuzz", dependencies: ["RigFuzz", "Machine"]),

        // What test targets share: the built binaries, scratch directories, child processes (holders
        // keep their stderr), /proc readers, and keeping in-process share-mode locks apart from forks.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "LibUVTests", dependencies: ["LibUV", "Wire", "TestSupport"]),
        .testTarget(name: "WinFSTests", dependencies: ["WinFS", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "TestSupport"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine", "RigModel", "TestSupport"]),
        .testTarget(name: "RigModelTests", dependencies: ["RigModel", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report"]),
        .testTarget(name: "RigFuzzTests", dependencies: ["RigFuzz", "RigModel", "Wire", "TestSupport"]),
        // The coordinator's core with no processes: inputs in, commands out.
        .testTarget(name: "CoordinatorCoreTests", dependencies: ["CoordinatorCore", "RigModel", "Report", "Wire", "Machine"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "CoordinatorCore", "Machine", "Registry", "WinFS", "TestSupport"]),
        // Runs the built `rig` and `rig-worker` (scripts/test builds them first; a dependency on the
        // executables would link the test bundle with rig-worker's -static-executable).
        .testTarget(name: "EndToEndTests", dependencies: ["Wire", "RigModel", "LibUV", "TestSupport"]),
    ]
)
