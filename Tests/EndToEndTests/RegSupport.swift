import Glibc
import Testing

/// Files on the host for the registry, boot and roles end-to-end tests.
enum RegE2E {
    /// The whole content of `path` ("" if missing).
    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text` to `path`, creating parents.
    static func write(_ path: String, _ text: String) {
        makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]))
        let file = fopen(path, "w")
        fputs(text, file)
        fclose(file)
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            mkdir(prefix, 0o755)
        }
    }

    /// Every file below `directory` with its content, sorted, as `path: content` lines
    /// (directories as `path/`), for comparing two machines.
    static func tree(_ directory: String) -> String {
        var lines: [String] = []
        func walk(_ relative: String) {
            guard let dir = opendir(directory + "/" + relative) else { return }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names.sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                lstat(directory + "/" + path, &info)
                if (info.st_mode & S_IFMT) == S_IFDIR {
                    lines.append(path + "/")
                    walk(path)
                } else {
                    lines.append(path + ": " + read(directory + "/" + path))
                }
            }
        }
        walk("")
        return lines.joined(separator: "\n")
    }
}
