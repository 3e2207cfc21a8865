import Testing

@testable import Wire

@Suite struct FrameTests {
    let messages: [Message] = [
        .hello(Hello(role: "script", pid: 4242, mainNs: 123_456_789)),
        .task(WorkerTask(actor: "a", parameters: [Argument("k", "v")], steps: [.wait(actor: "b", event: "ready")])),
        .task(
            WorkerTask(
                actor: "script",
                steps: [.sleep(ns: 20_000_000), .emit(event: "ready"), .wait(actor: "b", event: "done"), .exit(code: 3010)],
                faultPoint: FaultPoint(op: "emit", nth: 2))),
        .event(
            Event(
                startNs: 1, endNs: 2, op: "open", args: [Argument("path", "C:\\Windows\\System32\\mscoree.dll")],
                result: .failed(code: 32, name: "ERROR_SHARING_VIOLATION", detail: ""))),
        .event(Event(startNs: 3, endNs: 4, op: "emit", args: [Argument("event", "ready")])),
        .event(Event(startNs: 5, endNs: 6, op: "rollback", result: .ok(note: "(not queued)"))),
        .event(Event(startNs: 7, endNs: 8, op: "run", result: .failed("exited 3010", code: 3010))),
        .event(Event(startNs: 9, endNs: 10, op: "wait", result: .failed("unreachable: b exited without emitting ready"))),
        .event(Event(startNs: 11, endNs: 12, op: "replace", result: .unknown(reason: "killed by signal 9"))),
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

@Suite struct OperationResultTests {
    /// The results every shipped rig's outputs carry read exactly as the strings workers sent
    /// before results had a type.
    @Test func resultsReadAsTheirText() {
        #expect(OperationResult.ok.description == "ok")
        #expect(OperationResult.ok(note: "(not queued)").description == "ok (not queued)")
        #expect(OperationResult.ok(note: "queued=2 resume=0").description == "ok queued=2 resume=0")
        #expect(
            OperationResult.failed(code: 32, name: "ERROR_SHARING_VIOLATION", detail: "").description
                == "ERROR_SHARING_VIOLATION (32)")
        #expect(
            OperationResult.failed(code: 31, name: "ERROR_GEN_FAILURE", detail: "disk I/O error").description
                == "ERROR_GEN_FAILURE (31): disk I/O error")
        #expect(
            OperationResult.failed(code: 1618, name: "ERROR_INSTALL_ALREADY_RUNNING", detail: "").description
                == "ERROR_INSTALL_ALREADY_RUNNING (1618)")
        #expect(OperationResult.failed("exited 3010", code: 3010).description == "exited 3010")
        #expect(OperationResult.failed("unreachable: a never started").description == "unreachable: a never started")
        #expect(OperationResult.unknown(reason: "killed by signal 9").description == "unknown: killed by signal 9")
    }

    @Test func onlyOkIsOK() {
        #expect(OperationResult.ok.isOK)
        #expect(OperationResult.ok(note: "(not queued)").isOK)
        #expect(!OperationResult.failed("exited 1").isOK)
        #expect(!OperationResult.unknown(reason: "").isOK)
        #expect(OperationResult.ok(note: "(not queued)") != .ok)
        #expect(OperationResult.failed(code: 5, name: "ERROR_ACCESS_DENIED", detail: "").failureCode == 5)
        #expect(OperationResult.failed("timed out").failureCode == nil)
    }

    /// Every kind and every optional field, present and absent, comes back as it went.
    @Test func everyResultRoundTrips() throws {
        let results: [OperationResult] = [
            .ok, .ok(note: ""), .ok(note: "queued=1 resume=0"),
            .failed(code: nil, name: nil, detail: ""), .failed(code: 0, name: nil, detail: "exited 0"),
            .failed(code: Int32.min, name: "", detail: "x"), .failed(code: nil, name: "ERROR_X", detail: "é😀"),
            .unknown(reason: ""), .unknown(reason: "the power failed"),
        ]
        for result in results {
            let message = Message.event(Event(startNs: 1, endNs: 2, op: "op", result: result))
            #expect(try Message(decoding: message.encoded()) == message, "\(result)")
        }
    }

    @Test func badKindsAndFlagsAreRefused() throws {
        let event = Message.event(Event(startNs: 0, endNs: 0, op: "", result: .ok)).encoded()
        // tag, two u64, an empty op, no arguments: the result's kind byte is next.
        let kindAt = 1 + 8 + 8 + 4 + 4
        #expect(event.count == kindAt + 2)
        var badKind = event
        badKind[kindAt] = 3
        #expect(throws: WireError.malformed("unknown result kind 3", offset: kindAt)) { try Message(decoding: badKind) }
        var badFlag = event
        badFlag[kindAt + 1] = 2
        #expect(throws: WireError.malformed("a note flag of 2", offset: kindAt + 1)) { try Message(decoding: badFlag) }
        let task = Message.task(WorkerTask(actor: "", steps: [.exit(code: 3)])).encoded()
        // tag, an empty actor, no parameters, one step: its kind byte is next.
        let stepAt = 1 + 4 + 4 + 4
        var badStep = task
        badStep[stepAt] = 4
        #expect(throws: WireError.malformed("unknown script step kind 4", offset: stepAt)) { try Message(decoding: badStep) }
    }
}
