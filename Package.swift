// swift-tools-version:6.0
// PatchRig: reproduces Windows servicing races with real processes on a sandboxed machine.
// Module arrows point downward (see README.md, "Modules"):
//   rig-worker ─► Roles ─► Servicing, Machine, WinFS, Registry, LibUV, Wire, Host, WindowsModel
//   rig ─► Coordinator ─► CoordinatorCore, LibUV, Host, Machine, Registry, WinFS
//   CoordinatorCore ─► Report, RigModel, Machine, WinFS, Wire (no libuv)
//   Pictures ─► Report, RigModel, Wire, WindowsModel (no libuv, no Foundation)
//   Report ─► RigModel, Wire;  RigModel ─► WindowsModel, Yams;  RigFuzz ─► RigModel, Wire
//   Servicing ─► Machine ─► WinFS, Registry, Host;  WinFS ─► WindowsModel;  Registry ─► WindowsModel, Host
//   LibUV ─► Wire;  WindowsModel, Wire, Host: no dependencies
// Raw Glibc lives in WinFS, LibUV and Host. The rig model reaches no SQLite, WinFS or machine.
// ModuleRulesTests checks these rules.
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

        // Windows as plain values, no system calls: paths, file versions and contents, registry keys
        // and values, the well-known keys and command lines, what a machine image and a patch
        // describe, the assembly catalog and the GAC layout; durations, trim, the seeded generator.
        .target(name: "WindowsModel"),
        // The host process and its plain files, over Glibc: monotonic clock, pid, environment, exit,
        // signals, sleep, spawning, whole-file reads and writes, directory listing.
        .target(name: "Host"),
        // The only module that touches libuv: loop, framed pipes (Wire frames), processes, timers, signals.
        .target(name: "LibUV", dependencies: ["CLibUV", "Wire"]),
        // Wire protocol between rig and rig-worker: frames and messages. No dependencies.
        .target(name: "Wire"),
        // Windows file semantics on POSIX: share modes, images, MoveFileEx (also at boot), Win32
        // errors, named mutexes, what a power loss loses.
        .target(name: "WinFS", dependencies: ["CWinFS", "WindowsModel"]),
        // The machine's registry in SQLite.
        .target(name: "Registry", dependencies: ["CSQLite", "WindowsModel", "Host"]),
        // The machine sandbox: layout, files and their versions, native images, pending renames, the boot.
        .target(name: "Machine", dependencies: ["WindowsModel", "Host", "WinFS", "Registry"]),
        // Servicing a machine: the Windows Installer transaction and its recovery, patch packages,
        // .NET 2.0 setup's reboot reduction, NetFxUpdate's work and Windows Update's schedule.
        .target(name: "Servicing", dependencies: ["WindowsModel", "WinFS", "Registry", "Machine"]),
        // Rig files (and machine images, patches) decoded from YAML and validated. No libuv, no
        // SQLite, no machine: only Windows values.
        .target(name: "RigModel", dependencies: ["WindowsModel", .product(name: "Yams", package: "Yams")]),
        // History of a run, checkers, and the outputs: trace, results JSON, JUnit XML. No libuv.
        .target(name: "Report", dependencies: ["RigModel", "Wire", "WindowsModel"]),
        // Pictures of a run: the HTML timeline of a run (from its history or its trace read back)
        // and the campaign page. No libuv, no Foundation: pages are text.
        .target(name: "Pictures", dependencies: ["Report", "RigModel", "Wire", "WindowsModel"]),
        // The coordinator's logic as a state machine with no I/O: start conditions, events, machine
        // steps, faults, and controlled schedules (virtual time, strategies). No libuv.
        .target(name: "CoordinatorCore", dependencies: ["Wire", "RigModel", "Report", "Machine", "WinFS", "WindowsModel"]),
        // Runs a rig: the libuv shell that carries out the core's commands with real processes.
        .target(
            name: "Coordinator",
            dependencies: [
                "CoordinatorCore", "LibUV", "Wire", "Host", "RigModel", "Report", "Machine", "Servicing", "Registry", "WinFS",
                "WindowsModel",
            ]),
        // What a rig-worker plays: script, smss, installer, ngen, app, ...
        .target(
            name: "Roles",
            dependencies: ["LibUV", "Wire", "Host", "Machine", "Servicing", "WinFS", "Registry", "WindowsModel"]),

        .executableTarget(
            name: "rig",
            dependencies: [
                "Coordinator", "CoordinatorCore", "RigModel", "Report", "Pictures", "Machine", "Servicing", "WinFS", "Registry",
                "WindowsModel", "Roles", "Host", "LibUV",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "rig-worker",
            dependencies: ["Roles"],
            linkerSettings: [.unsafeFlags(["-static-executable"], .when(platforms: [.linux]))]),

        // Benchmarks (scripts/bench): each figure beside a baseline measured in the same run.
        .executableTarget(
            name: "rig-bench",
            dependencies: [
                "LibUV", "Wire", "Host", "WinFS", "WindowsModel", "Coordinator", "CoordinatorCore", "RigModel", "Report", "Machine",
                "Pictures",
            ]),

        // Fuzzing (scripts/fuzz): generated rigs, patches, images and frame streams against the
        // loaders and the frame decoder; `rig-fuzz` runs them, RigFuzzTests a few thousand.
        .target(name: "RigFuzz", dependencies: ["RigModel", "Wire", "WindowsModel", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "rig-fuzz", dependencies: ["RigFuzz"]),

        // What test targets share: the built binaries, scratch directories, child processes (holders
        // keep their stderr), /proc readers, and keeping in-process share-mode locks apart from forks.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "LibUVTests", dependencies: ["LibUV", "Wire", "Host", "TestSupport"]),
        .testTarget(name: "WinFSTests", dependencies: ["WinFS", "WindowsModel", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "WindowsModel", "TestSupport"]),
        // Machine and Servicing (the installer, packages, NetFxUpdate, Windows Update) share machine-building helpers.
        .testTarget(
            name: "MachineTests",
            dependencies: ["Machine", "Servicing", "WindowsModel", "WinFS", "Registry", "RigModel", "TestSupport"]),
        .testTarget(name: "RigModelTests", dependencies: ["RigModel", "WindowsModel", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "RigModel", "Wire", "WindowsModel"]),
        .testTarget(name: "PicturesTests", dependencies: ["Pictures", "Report", "RigModel", "Wire", "WindowsModel"]),
        .testTarget(name: "RigFuzzTests", dependencies: ["RigFuzz", "RigModel", "Wire", "WindowsModel", "TestSupport"]),
        // The coordinator's core with no processes: inputs in, commands out.
        .testTarget(
            name: "CoordinatorCoreTests", dependencies: ["CoordinatorCore", "RigModel", "Report", "Wire", "Machine", "WindowsModel"]),
        .testTarget(
            name: "CoordinatorTests",
            dependencies: [
                "Coordinator", "CoordinatorCore", "Report", "RigModel", "Machine", "Registry", "WinFS", "WindowsModel", "LibUV",
                "TestSupport",
            ]),
        // The module rules (README.md, "Modules"), read from Package.swift and the sources' imports.
        .testTarget(name: "ModuleRulesTests", dependencies: ["TestSupport"]),
        // Runs the built `rig` and `rig-worker` (scripts/test builds them first; a dependency on the
        // executables would link the test bundle with rig-worker's -static-executable).
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Wire", "RigModel", "LibUV", "Machine", "Servicing", "Registry", "WinFS", "WindowsModel", "TestSupport",
            ]),
    ]
)
