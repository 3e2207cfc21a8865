import Foundation
import TestSupport
import Testing

/// The module rules of README.md ("Modules") and Package.swift's header, checked against
/// Package.swift and the sources, so that a dependency or an import that breaks one fails here
/// by name instead of quietly growing the rig model or the static worker.
struct ModuleRulesTests {
    /// The rig model reaches Windows values and Yams only: no SQLite, no file system layer, no
    /// machine, no libuv, no host layer. Windows values, the wire protocol and the host layer
    /// depend on nothing; the first two import nothing either.
    @Test func rigModelReachesOnlyWindowsValuesAndYAML() throws {
        let manifest = try PackageManifest.read()
        #expect(manifest.dependencies["RigModel"]?.sorted() == ["WindowsModel", "product:Yams"])
        for module in ["WindowsModel", "Wire", "Host"] {
            #expect(manifest.dependencies[module] == [], "\(module) must depend on nothing")
        }
        for module in ["WindowsModel", "Wire"] {
            #expect(try SourceImports.of(module).isEmpty, "\(module) must import nothing (not even Glibc)")
        }
        let reached = manifest.closure(of: "RigModel")
        for forbidden in ["Registry", "CSQLite", "WinFS", "CWinFS", "Machine", "Servicing", "LibUV", "CLibUV", "Host"] {
            #expect(!reached.contains(forbidden), "RigModel reaches \(forbidden)")
        }
    }

    /// `rig-worker` is a static executable without Foundation or Yams: nothing it links may
    /// import them.
    @Test func rigWorkerLinksNeitherFoundationNorYams() throws {
        let manifest = try PackageManifest.read()
        let reached = manifest.closure(of: "rig-worker")
        #expect(!reached.contains("product:Yams"))
        #expect(!reached.contains("RigModel"))
        for module in reached where !module.hasPrefix("product:") {
            for (file, imports) in try SourceImports.byFile(module) {
                let heavy = imports.filter { $0 == "Yams" || $0.hasPrefix("Foundation") }
                #expect(heavy.isEmpty, "\(file) imports \(heavy.joined(separator: ", ")), and rig-worker links \(module)")
            }
        }
    }

    /// The pictures of a run are drawn from what the run recorded: Pictures reaches the report,
    /// the rig model and plain values only (no libuv, no SQLite, no machine, no host layer),
    /// imports no Foundation (a page is text), and nothing `rig-worker` links reaches it.
    @Test func picturesDrawFromTheRecordAlone() throws {
        let manifest = try PackageManifest.read()
        let reached = manifest.closure(of: "Pictures")
        #expect(
            reached.isSubset(of: ["Report", "RigModel", "Wire", "WindowsModel", "product:Yams"]), "Pictures reaches \(reached.sorted())")
        for (file, imports) in try SourceImports.byFile("Pictures") {
            #expect(!imports.contains { $0.hasPrefix("Foundation") || $0 == "Glibc" }, "\(file) imports \(imports.sorted())")
        }
        #expect(!manifest.closure(of: "rig-worker").contains("Pictures"))
    }

    /// Raw Glibc is WinFS's, LibUV's and Host's; the benchmarks and the fuzzer's crash handlers
    /// use it on purpose, and so does `rig fs open --hold` (a signal handler that exits).
    @Test func glibcOnlyInTheHostLayers() throws {
        let modules: Set = ["WinFS", "LibUV", "Host", "rig-bench", "rig-fuzz"]
        let files: Set = ["Sources/rig/FsOpenCommand.swift"]
        for module in try FileManager.default.contentsOfDirectory(atPath: Repository.file("Sources")) where !modules.contains(module) {
            for (file, imports) in try SourceImports.byFile(module) where imports.contains("Glibc") {
                #expect(files.contains(file), "\(file) imports Glibc; put the call behind a Host function")
            }
        }
    }
}

/// The targets of Package.swift and what each depends on, read from its text: every
/// `.target(`, `.executableTarget(`, `.testTarget(` and `.systemLibrary(` with its `name:` and the
/// names in its `dependencies: [...]` (a product as `product:<name>`).
struct PackageManifest {
    var dependencies: [String: [String]] = [:]

    static func read() throws -> PackageManifest {
        let text = try String(contentsOfFile: Repository.file("Package.swift"), encoding: .utf8)
        var manifest = PackageManifest()
        for kind in [".target(", ".executableTarget(", ".testTarget(", ".systemLibrary("] {
            var rest = text[...]
            while let start = rest.range(of: kind) {
                let body = balanced(rest[start.upperBound...], open: "(", close: ")")
                rest = rest[start.upperBound...]
                guard let name = strings(in: after("name:", in: body)).first else { continue }
                var dependencies: [String] = []
                if let list = body.range(of: "dependencies:") {
                    var items = balanced(body[list.upperBound...].drop { $0 != "[" }.dropFirst(), open: "[", close: "]")
                    while let product = items.range(of: ".product(") {
                        let call = balanced(items[product.upperBound...], open: "(", close: ")")
                        dependencies += strings(in: after("name:", in: call)).prefix(1).map { "product:" + $0 }
                        items = items[..<product.lowerBound] + items[call.endIndex...]
                    }
                    dependencies += strings(in: items)
                }
                manifest.dependencies[name] = dependencies
            }
        }
        return manifest
    }

    /// `target` and every target and product it depends on, directly or not.
    func closure(of target: String) -> Set<String> {
        var seen: Set<String> = []
        var stack = [target]
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            stack += dependencies[next] ?? []
        }
        seen.remove(target)
        return seen
    }

    /// The text after `opening` up to its matching `close` (nesting counted).
    private static func balanced(_ text: Substring, open: Character, close: Character) -> Substring {
        var depth = 1
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == open { depth += 1 }
            if text[index] == close {
                depth -= 1
                if depth == 0 { return text[..<index] }
            }
            index = text.index(after: index)
        }
        return text
    }

    private static func after(_ label: String, in text: Substring) -> Substring {
        text.range(of: label).map { text[$0.upperBound...] } ?? ""
    }

    /// The string literals of `text`, in order.
    private static func strings(in text: Substring) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}

/// The modules a target's sources import (`import X`, `@testable import X`, at the start of a line).
enum SourceImports {
    static func byFile(_ module: String) throws -> [(file: String, imports: Set<String>)] {
        let directory = "Sources/" + module
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: Repository.file(directory)) else { return [] }
        return try names.filter { $0.hasSuffix(".swift") }.sorted().map { name in
            let text = try String(contentsOfFile: Repository.file(directory + "/" + name), encoding: .utf8)
            let imports = text.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(separator: " ")
                guard let index = words.firstIndex(of: "import"), words[..<index].allSatisfy({ $0.hasPrefix("@") }),
                    index + 1 < words.count
                else { return nil }
                return String(words[index + 1])
            }
            return (directory + "/" + name, Set(imports))
        }
    }

    static func of(_ module: String) throws -> Set<String> {
        try byFile(module).reduce(into: []) { $0.formUnion($1.imports) }
    }
}
