import Foundation
import RigFuzz
import RigModel
import TestSupport
import Testing
import WindowsModel
import Wire

/// A few thousand generated inputs with a fixed seed (`scripts/fuzz` runs 100,000 and more):
/// the loaders refuse every broken rig, patch and image with `file:line:column` errors, and the
/// frame decoder yields what a reference reading of the stream yields or a `WireError`.
@Suite(.serialized) struct FuzzTests {
    static func target() throws -> FuzzTarget {
        try FuzzTarget(rigsDirectory: Repository.file("Rigs"), workDirectory: NSTemporaryDirectory() + "rig-fuzz-tests-\(getpid())")
    }

    func run(_ target: FuzzTarget, seed: UInt64, indices: Range<UInt64>, kinds: Set<FuzzKind>) -> [FuzzKind: Int] {
        var counts: [FuzzKind: Int] = [:]
        for index in indices where kinds.contains(FuzzKind.of(index: index)) {
            let input = target.input(seed: seed, index: index)
            let outcome = target.run(input)
            if case .failed(let reason) = outcome {
                Issue.record(
                    "\(input.kind.rawValue) input \(index) (seed \(seed)): \(reason); mutations: \(input.mutations.joined(separator: "; "))"
                )
            }
            counts[input.kind, default: 0] += 1
        }
        return counts
    }

    @Test func generatedRigsPatchesAndImages() throws {
        let target = try Self.target()
        defer { try? FileManager.default.removeItem(atPath: target.workDirectory) }
        let counts = run(target, seed: 20_240_601, indices: 0..<750, kinds: [.rig, .patch, .image])
        #expect(counts[.rig] == 300 && counts[.patch] == 150 && counts[.image] == 150)
    }

    @Test func generatedFrameStreams() throws {
        let target = try Self.target()
        defer { try? FileManager.default.removeItem(atPath: target.workDirectory) }
        let counts = run(target, seed: 7, indices: 0..<10_000, kinds: [.frames])
        #expect(counts[.frames] == 2_000)
    }

    @Test func theSameSeedMakesTheSameInputs() throws {
        let target = try Self.target()
        defer { try? FileManager.default.removeItem(atPath: target.workDirectory) }
        for index: UInt64 in 0..<20 {
            #expect(target.input(seed: 3, index: index).bytes == target.input(seed: 3, index: index).bytes)
        }
        #expect(target.input(seed: 3, index: 0).bytes != target.input(seed: 4, index: 0).bytes)
    }

    @Test func theGeneratorEncodesLikeTheCodec() {
        var g = SplitMix64(seed: 11)
        for _ in 0..<200 {
            let message = WireFuzz.message(&g)
            #expect(WireFuzz.fieldsMatchCodec(message), "\(message)")
        }
    }

    @Test func unchangedSeedsLoad() throws {
        // Every shipped file loads as it is, so mutations start from valid files.
        let target = try Self.target()
        defer { try? FileManager.default.removeItem(atPath: target.workDirectory) }
        for seed in target.corpus.rigs {
            let input = target.input(
                kind: .rig, bytes: Array(seed.text.utf8), directory: (seed.relativePath as NSString).deletingLastPathComponent)
            #expect(target.run(input) == .accepted, "\(seed.relativePath)")
        }
        for seed in target.corpus.patches + target.corpus.images {
            #expect(target.run(target.input(kind: seed.kind, bytes: Array(seed.text.utf8))) == .accepted, "\(seed.relativePath)")
        }
    }
}
