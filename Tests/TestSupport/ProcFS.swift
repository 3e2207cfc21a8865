import Foundation

/// Live processes whose parent is `pid` and whose command name is `name` (zombies excluded).
public func children(of pid: Int32, named name: String) -> [Int32] {
    livePids(named: name).filter { parent(of: $0) == pid }
}

/// Live (not zombie) processes by command name.
public func livePids(named name: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = statFields(pid) else { return false }
        return stat.comm == name && stat.state != "Z"
    }
}

/// The parent of `pid`, from `/proc/<pid>/stat` (nil when it has gone).
public func parent(of pid: Int32) -> Int32? { statFields(pid)?.ppid }

/// Whether `pid` still runs (a zombie has ended).
public func isAlive(_ pid: Int32) -> Bool {
    guard let stat = statFields(pid) else { return false }
    return stat.state != "Z" && stat.state != "X"
}

/// The command line of `pid`, from `/proc/<pid>/cmdline` (empty when it has gone).
public func commandLine(of pid: Int32) -> [String] {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
    return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
}

/// Command name, state and parent of `pid` from `/proc/<pid>/stat`.
private func statFields(_ pid: Int32) -> (comm: String, state: String, ppid: Int32)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
    else { return nil }
    let comm = String(text[text.index(after: open)..<close])
    let rest = text[text.index(close, offsetBy: 2)...].split(separator: " ")
    guard rest.count > 2, let ppid = Int32(rest[1]) else { return nil }
    return (comm, String(rest[0]), ppid)
}
