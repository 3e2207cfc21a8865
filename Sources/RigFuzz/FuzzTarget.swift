import Foundation
import RigModel
import WindowsModel
import Wire

/// One generated input.
public struct FuzzInput {
    public var kind: FuzzKind
    public var index: UInt64
    /// The file's bytes, or the frame stream's bytes.
    public var bytes: [UInt8]
    /// For frames: the reads the stream arrives in.
    public var reads: [[UInt8]] = []
    /// For frames: the messages before any change.
    public var messages: [Message] = []
    /// For rigs: the directory below the rigs directory the seed rig lives in ("" or a subdirectory),
    /// so its relative `images/...`, `../patches/...` paths still resolve.
    public var directory = ""
    public var mutations: [String]
}

/// What became of an input.
public enum FuzzOutcome: Equatable {
    /// The loader accepted the file, or the decoder produced messages and no error.
    case accepted
    /// The loader or the decoder refused it properly.
    case rejected
    /// Something that must not happen; what.
    case failed(String)
}

/// Generates inputs from the shipped rigs, patches and images, and runs them in-process against
/// the loaders (`RigLoader`, `PatchLoader`, `MachineImageLoader`) and the frame decoder
/// (`FrameDecoder`, `Message(decoding:)`), checking what each answers.
public final class FuzzTarget {
    public let corpus: FuzzCorpus
    public let mutator: YAMLMutator
    /// The rigs directory (absolute).
    public let rigsDirectory: String
    /// Where inputs are written to be loaded: it mirrors the rigs directory (its `images` and
    /// `patches` link to the real ones), so a mutated rig finds the files its seed names.
    public let workDirectory: String

    /// The shipped image patches are checked against (as a rig naming both would).
    let patchImage: MachineImage?

    public init(rigsDirectory: String, workDirectory: String) throws {
        let fm = FileManager.default
        let rigs = URL(fileURLWithPath: rigsDirectory).standardizedFileURL.path
        self.rigsDirectory = rigs
        self.workDirectory = URL(fileURLWithPath: workDirectory).standardizedFileURL.path
        corpus = try FuzzCorpus(rigsDirectory: rigs)
        mutator = YAMLMutator(corpus: corpus)
        patchImage = try? MachineImageLoader.load(file: rigs + "/images/netfx11.yaml")
        try fm.createDirectory(atPath: self.workDirectory, withIntermediateDirectories: true)
        for shared in ["images", "patches"] {
            let link = self.workDirectory + "/" + shared
            if (try? fm.destinationOfSymbolicLink(atPath: link)) == nil {
                try fm.createSymbolicLink(atPath: link, withDestinationPath: rigs + "/" + shared)
            }
        }
        for seed in corpus.rigs {
            let dir = (seed.relativePath as NSString).deletingLastPathComponent
            if !dir.isEmpty { try fm.createDirectory(atPath: self.workDirectory + "/" + dir, withIntermediateDirectories: true) }
        }
    }

    /// Input number `index` of the run seeded with `seed`.
    public func input(seed: UInt64, index: UInt64) -> FuzzInput {
        var g = SplitMix64.forInput(seed: seed, index: index)
        let kind = FuzzKind.of(index: index)
        if kind == .frames {
            let stream = WireFuzz.stream(using: &g)
            return FuzzInput(
                kind: kind, index: index, bytes: stream.bytes, reads: stream.reads, messages: stream.messages,
                mutations: stream.mutations)
        }
        let (bytes, mutations) = mutator.generate(kind, using: &g)
        var input = FuzzInput(kind: kind, index: index, bytes: bytes, mutations: mutations)
        if kind == .rig, let from = mutations.first?.dropFirst("from ".count) {
            input.directory = (String(from) as NSString).deletingLastPathComponent
        }
        return input
    }

    /// An input read back from a file (a failing input written earlier); frames arrive in one read.
    public func input(kind: FuzzKind, bytes: [UInt8], directory: String = "") -> FuzzInput {
        FuzzInput(kind: kind, index: 0, bytes: bytes, reads: [bytes], directory: directory, mutations: ["replayed"])
    }

    /// Where `input` is written before it is loaded.
    public func path(of input: FuzzInput) -> String {
        let dir = input.directory.isEmpty ? workDirectory : workDirectory + "/" + input.directory
        return dir + "/fuzz-\(input.kind.rawValue).yaml"
    }

    /// Runs `input` and checks the answer.
    public func run(_ input: FuzzInput) -> FuzzOutcome {
        if input.kind == .frames { return Self.runFrames(input) }
        let path = path(of: input)
        guard Self.write(input.bytes, to: path) else { return .failed("cannot write \(path)") }
        do throws(RigErrors) {
            switch input.kind {
            case .rig: _ = try RigLoader.load(path: path)
            case .patch:
                let document = try PatchLoader.loadDocument(file: path)
                // The shipped image is what patches are checked against when a rig names both.
                if let image = patchImage {
                    if let problem = Self.check(
                        PatchLoader.check(document, against: image), file: path, bytes: input.bytes, kind: .patch, allowEmpty: true)
                    {
                        return .failed(problem)
                    }
                }
            case .image: _ = try MachineImageLoader.load(file: path)
            case .frames: break
            }
            return .accepted
        } catch {
            if let problem = Self.check(error.errors, file: path, bytes: input.bytes, kind: input.kind) { return .failed(problem) }
            return .rejected
        }
    }

    /// Writes `bytes` to `path` (no fsync: the file is read back at once and thrown away).
    static func write(_ bytes: [UInt8], to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, bytes.count - done) }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// Every error has a `file:line:column` position inside the file it names, and reads
    /// `file:line:column: error: message`.
    static func check(_ errors: [RigError], file: String, bytes: [UInt8], kind: FuzzKind, allowEmpty: Bool = false) -> String? {
        if errors.isEmpty { return allowEmpty ? nil : "refused with no error" }
        var lineCount: Int?  // counted once, when an error is in this file
        for error in errors {
            let p = error.position
            let text = error.description
            guard p.line >= 1, p.column >= 1, !p.file.isEmpty else { return "an error without a position: \(text)" }
            guard text.hasPrefix("\(p.file):\(p.line):\(p.column): error: "), !error.message.isEmpty else {
                return "an error not written file:line:column: error: message: \(text)"
            }
            if p.file == file {
                let lines = lineCount ?? Self.lineCount(bytes)
                lineCount = lines
                if p.line > lines + 1 { return "an error past the end of the file (\(lines) lines): \(text)" }
            } else if kind != .rig || !FileManager.default.fileExists(atPath: p.file) {
                // A rig's errors may be in its image or its patches; nothing else names another file.
                return "an error in another file: \(text)"
            }
        }
        return nil
    }

    /// Lines as a YAML parser counts them: LF, CR LF, CR, NEL, LS and PS end a line.
    static func lineCount(_ bytes: [UInt8]) -> Int {
        let text = String(decoding: bytes, as: UTF8.self)
        var count = 1
        var previousCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": if !previousCR { count += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": count += 1
            default: break
            }
            previousCR = scalar == "\r"
        }
        return count
    }

    /// Frames: the decoder, fed the reads, yields exactly the frames (and the error) a reference
    /// reading of the whole stream yields; each payload decodes to a message that encodes back to
    /// the same bytes, or is refused with a `WireError`; unchanged messages come back equal.
    static func runFrames(_ input: FuzzInput) -> FuzzOutcome {
        let bytes = input.bytes
        var expected: [[UInt8]] = []
        var expectedError: WireError?
        var i = 0
        while bytes.count - i >= Frame.headerSize {
            let n = (0..<4).reduce(0) { $0 | Int(bytes[i + $1]) << (8 * $1) }
            if n > Frame.maxPayload {
                expectedError = .oversizedFrame(length: n, limit: Frame.maxPayload)
                break
            }
            guard bytes.count - i - Frame.headerSize >= n else { break }
            expected.append(Array(bytes[(i + 4)..<(i + 4 + n)]))
            i += 4 + n
        }

        var decoder = FrameDecoder()
        var payloads: [[UInt8]] = []
        var decoderError: WireError?
        reading: for read in input.reads {
            decoder.append(read)
            do throws(WireError) {
                while let payload = try decoder.next() { payloads.append(payload) }
            } catch {
                decoderError = error
                break reading
            }
        }
        if payloads != expected {
            return .failed(
                "the decoder yielded \(payloads.count) frames (sizes \(payloads.map(\.count))), expected \(expected.count) (sizes \(expected.map(\.count)))"
            )
        }
        if decoderError != expectedError {
            return .failed(
                "the decoder's error is \(decoderError.map(String.init(describing:)) ?? "none"), expected \(expectedError.map(String.init(describing:)) ?? "none")"
            )
        }
        if decoderError == nil, decoder.pendingByteCount != bytes.count - i {
            return .failed("the decoder holds \(decoder.pendingByteCount) bytes, expected \(bytes.count - i)")
        }
        var refused = decoderError != nil
        var decoded: [Message] = []
        for payload in payloads {
            do throws(WireError) {
                let message = try Message(decoding: payload)
                if message.encoded() != payload {
                    return .failed("a payload of \(payload.count) bytes decodes to \(message), which encodes to other bytes")
                }
                decoded.append(message)
            } catch {
                // `error` is a WireError (typed throws); its text says what and where.
                if case .malformed(let what, let offset) = error, what.isEmpty || offset < 0 || offset > payload.count {
                    return .failed("a malformed-frame error without a place: \(error)")
                }
                refused = true
            }
        }
        // Unchanged messages come back, up to one too large for a frame (the decoder's error).
        if input.mutations.isEmpty, decoderError == nil ? input.messages != decoded : !input.messages.starts(with: decoded) {
            return .failed("unchanged messages did not come back: \(decoded.count) of \(input.messages.count)")
        }
        return refused ? .rejected : .accepted
    }
}
