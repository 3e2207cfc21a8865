import Foundation
import WindowsModel

/// What a fuzz input is: a rig file, a patch file, a machine image file, or a stream of frames.
public enum FuzzKind: String, CaseIterable, Sendable {
    case rig, patch, image, frames

    /// The extension a failing input is written with.
    public var fileExtension: String { self == .frames ? "bin" : "yaml" }

    /// The kind of input number `index`: two rigs, a patch, an image and a frame stream in every
    /// five inputs.
    public static func of(index: UInt64) -> FuzzKind {
        switch index % 5 {
        case 0, 1: return .rig
        case 2: return .patch
        case 3: return .image
        default: return .frames
        }
    }
}

/// One shipped file the mutations start from.
public struct FuzzSeed: Sendable {
    public var kind: FuzzKind
    /// The path below the rigs directory (`reboot-reduction/msi-direct.yaml`).
    public var relativePath: String
    public var text: String
}

/// The shipped rigs, patches and machine images: `*.yaml` and `*/*.yaml` of the rigs directory,
/// `patches/*.yaml`, `images/*.yaml`.
public struct FuzzCorpus: Sendable {
    public var rigs: [FuzzSeed] = []
    public var patches: [FuzzSeed] = []
    public var images: [FuzzSeed] = []

    /// Reads the corpus under `rigsDirectory`; throws when a kind has no file.
    public init(rigsDirectory: String) throws {
        let fm = FileManager.default
        let top = try fm.contentsOfDirectory(atPath: rigsDirectory).sorted()
        func read(_ relative: String) throws -> String {
            try String(contentsOfFile: rigsDirectory + "/" + relative, encoding: .utf8)
        }
        for name in top {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: rigsDirectory + "/" + name, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                if name.hasSuffix(".yaml") { rigs.append(FuzzSeed(kind: .rig, relativePath: name, text: try read(name))) }
                continue
            }
            for inner in try fm.contentsOfDirectory(atPath: rigsDirectory + "/" + name).sorted() where inner.hasSuffix(".yaml") {
                let relative = name + "/" + inner
                switch name {
                case "patches": patches.append(FuzzSeed(kind: .patch, relativePath: relative, text: try read(relative)))
                case "images": images.append(FuzzSeed(kind: .image, relativePath: relative, text: try read(relative)))
                default: rigs.append(FuzzSeed(kind: .rig, relativePath: relative, text: try read(relative)))
                }
            }
        }
        guard !rigs.isEmpty, !patches.isEmpty, !images.isEmpty else {
            throw FuzzSetupError("no rigs, patches or images under \(rigsDirectory)")
        }
    }

    public func seeds(of kind: FuzzKind) -> [FuzzSeed] {
        switch kind {
        case .rig: return rigs
        case .patch: return patches
        case .image: return images
        case .frames: return []
        }
    }

    /// Every seed, for splicing parts of one file into another.
    public var all: [FuzzSeed] { rigs + patches + images }
}

public struct FuzzSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SplitMix64 {
    /// The generator of input `index` of a run seeded with `seed`: each input can be made again
    /// on its own from the two numbers.
    public static func forInput(seed: UInt64, index: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (index &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }

    /// A value in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(upTo(UInt64(bound - 1))) }

    /// True with probability 1/`n`.
    mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
