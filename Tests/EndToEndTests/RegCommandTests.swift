import Glibc
import TestSupport
import Testing

/// `rig reg` run as a user runs it.
@Suite(.serialized, .forks, .timeLimit(.minutes(10))) struct RegCommandTests {
    let scratch = Scratch("rig-e2e")

    func rig(_ arguments: String...) -> ProcessOutcome {
        TestProcess([BuiltBinaries.rig] + arguments).release()
    }

    @Test func setGetDumpDeleteRoundTrip() {
        let m = scratch.machine()
        let key = "HKLM\\SOFTWARE\\Microsoft\\Test"
        #expect(rig("reg", "set", m, key, "S", "--data", "hello").status == 0)
        #expect(rig("reg", "set", m, key, "M", "-t", "REG_MULTI_SZ", "-d", "a", "-d", "", "-d", "c").status == 0)
        #expect(rig("reg", "set", m, key, "D", "-t", "REG_DWORD", "-d", "0x10").status == 0)

        #expect(rig("reg", "get", m, "hklm\\software\\microsoft\\TEST", "s").stdout == "hello\n")
        #expect(rig("reg", "get", m, key, "M").stdout == "a\n\nc\n")
        #expect(rig("reg", "get", m, key, "D", "--show-type").stdout == "REG_DWORD\n16\n")

        let dump = rig("reg", "dump", m, "HKLM\\SOFTWARE")
        #expect(dump.status == 0)
        #expect(
            dump.stdout == """
                HKEY_LOCAL_MACHINE\\SOFTWARE

                HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft

                HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Test
                    S    REG_SZ    hello
                    M    REG_MULTI_SZ    a\\0\\0c
                    D    REG_DWORD    0x10


                """)

        #expect(rig("reg", "delete", m, key, "S").status == 0)
        let missing = rig("reg", "get", m, key, "S")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("ERROR_FILE_NOT_FOUND (2)"))
        #expect(rig("reg", "delete", m, "HKLM\\SOFTWARE", "--key").status == 0)
        #expect(rig("reg", "dump", m, key).status == 1)
    }

    @Test func badInputExitsTwoAndCreatesNothing() {
        let m = scratch.machine()
        for arguments in [
            ["set", m, "HKCR\\x", "v"],
            ["set", m, "HKLM\\x", "v", "-t", "REG_BINARY", "-d", "00"],
            ["set", m, "HKLM\\x", "v", "-t", "REG_DWORD", "-d", "4294967296"],
            ["set", m, "HKLM\\x", "v", "-d", "one", "-d", "two"],
            ["delete", m, "HKLM\\x"],
            ["delete", m, "HKLM", "--key"],
            ["get", scratch.path + "/no-such-machine", "HKLM\\x", "v"],
            ["get", scratch.path, "HKLM\\x", "v"],
        ] {
            let outcome = TestProcess([BuiltBinaries.rig, "reg"] + arguments).release()
            #expect(outcome.status == 2, "\(arguments): \(outcome)")
            #expect(!outcome.stderr.isEmpty)
        }
        // Neither the machine's registry (still the empty database it was made with) nor a
        // non-machine directory got anything from refused commands.
        var info = stat()
        #expect(stat(m + "/registry.db", &info) == 0 && info.st_size == 0)
        #expect(access(scratch.path + "/registry.db", F_OK) != 0)
        #expect(access(scratch.path + "/no-such-machine", F_OK) != 0)
    }

    @Test func aCorruptRegistryIsReportedWithItsFile() {
        let m = scratch.machine()
        RegE2E.write(m + "/registry.db", String(repeating: "not sqlite at all\n", count: 100))
        let outcome = rig("reg", "dump", m)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(m + "/registry.db"))
        #expect(outcome.stderr.contains("file is not a database"))
    }

    /// Two processes append 1,000 strings each to one REG_MULTI_SZ at the same time: each append
    /// is a read-modify-write of the whole value, so a lost update would drop strings.
    @Test func concurrentAppendsFromTwoProcessesLoseNothing() {
        let m = scratch.machine()
        let key = "HKLM\\SOFTWARE\\Queue"
        // Create the database first so both processes find it.
        #expect(rig("reg", "set", m, key, "Created", "-d", "yes").status == 0)
        let first = TestProcess([BuiltBinaries.rig, "reg", "append", m, key, "Items", "--data", "p1-{i}", "--count", "1000"])
        let second = TestProcess([BuiltBinaries.rig, "reg", "append", m, key, "Items", "--data", "p2-{i}", "--count", "1000"])
        let a = first.wait()
        let b = second.wait()
        #expect(a.status == 0, "\(a)")
        #expect(b.status == 0, "\(b)")
        let items = rig("reg", "get", m, key, "Items").stdout.split(separator: "\n").map(String.init)
        #expect(items.count == 2000)
        // Each process's strings are all there, in the order it appended them.
        #expect(items.filter { $0.hasPrefix("p1-") } == (1...1000).map { "p1-\($0)" })
        #expect(items.filter { $0.hasPrefix("p2-") } == (1...1000).map { "p2-\($0)" })
    }
}
