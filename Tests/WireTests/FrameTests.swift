import Testing
@testable import Wire

@Suite struct FrameTests {
    let messages: [Message] = [
        .hello(Hello(role: "script", pid: 4242, mainNs: 123_456_789)),
        .task(WorkerTask(actor: "a", parameters: [Argument("k", "v")], steps: [TaskStep(op: "wait", args: [Argument("actor", "b"), Argument("event", "ready")])])),
        .event(Event(startNs: 1, endNs: 2, op: "open", args: [Argument("path", "C:\\Windows\\System32\\mscoree.dll")], result: "ERROR_SHARING_VIOLATION (32)")),
        .await(actor: "b", event: "ready"),
        .release(actor: "b", event: "ready", ns: 99),
        .unreachable(actor: "b", event: "ready", reason: "b exited without emitting ready"),
        .stop,
        .ping(1 << 40),
        .pong(7),
        .startChild(ChildRequest(label: "msiexec", role: "installer", parameters: [Argument("patch", "p.yaml")])),
        .childExited(label: "msiexec", pid: 77, code: 3010, detail: ""),
        .exit(ExitReport(code: 3010, ns: 7, detail: "reboot required ✓")),
    ]

    @Test func everyMessageRoundTrips() throws {
        for message in messages {
            #expect(try Message(decoding: message.encoded()) == message)
        }
    }

    @Test func framesSplitAcrossReadsAreReassembled() throws {
        let stream = try messages.flatMap { try $0.frame() }
        for chunk in [1, 2, 3, 7, 64, stream.count] {
            var decoder = FrameDecoder()
            var decoded: [Message] = []
            var i = 0
            while i < stream.count {
                decoder.append(stream[i..<min(i + chunk, stream.count)])
                i += chunk
                while let payload = try decoder.next() { decoded.append(try Message(decoding: payload)) }
            }
            #expect(decoded == messages, "chunk size \(chunk)")
            #expect(decoder.pendingByteCount == 0)
        }
    }

    @Test func framesMergedInOneReadAreAllDelivered() throws {
        var decoder = FrameDecoder()
        decoder.append(try messages.flatMap { try $0.frame() })
        var count = 0
        while try decoder.next() != nil { count += 1 }
        #expect(count == messages.count)
    }

    @Test func anOversizedFrameIsRefusedFromItsHeader() throws {
        var decoder = FrameDecoder()
        let n = UInt32(Frame.maxPayload + 1)
        decoder.append([UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)])
        #expect(throws: WireError.oversizedFrame(length: Frame.maxPayload + 1, limit: Frame.maxPayload)) { try decoder.next() }
        #expect(throws: WireError.self) { try Frame.encode([UInt8](repeating: 0, count: Frame.maxPayload + 1)) }
        // Exactly the limit is fine.
        #expect(try Frame.encode([UInt8](repeating: 0, count: Frame.maxPayload)).count == Frame.maxPayload + 4)
    }

    @Test func malformedPayloadsAreRefusedWithWhereTheyBroke() {
        #expect(throws: WireError.self) { try Message(decoding: []) }
        #expect(throws: WireError.malformed("unknown message tag 200", offset: 0)) { try Message(decoding: [200]) }
        // A hello whose role string claims more bytes than there are.
        #expect(throws: WireError.self) { try Message(decoding: [1, 50, 0, 0, 0, 65]) }
        // Trailing bytes after a whole message.
        #expect(throws: WireError.self) { try Message(decoding: Message.stop.encoded() + [0]) }
        // A string that is not UTF-8.
        #expect(throws: WireError.self) { try Message(decoding: [4, 1, 0, 0, 0, 0xff, 0, 0, 0, 0]) }
    }
}
