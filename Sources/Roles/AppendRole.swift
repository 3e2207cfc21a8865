import Machine
import WinFS
import WindowsModel
import Wire

/// The `append` role (`append.exe C:\path text...`): appends one line (the remaining arguments
/// joined by spaces, CRLF-terminated) to a file of the machine, creating it if needed.
///
/// Parameters: `machine`, `arg1` (the file), `arg2`... (the text); as a boot command gives them.
/// The file is read and rewritten atomically (a new file renamed into place), so a reader never
/// sees half a line; two appenders at the same moment may lose one line (no share mode yet).
/// Exit code: 0, the Win32 error code of a failed write, or 87 (ERROR_INVALID_PARAMETER) for
/// missing arguments.
public enum AppendRole {
    public static func run(_ session: any WorkerSession) -> Int32 {
        guard let machine = session.parameter("machine"), let target = session.parameter("arg1") else {
            session.log("append: usage: append.exe C:\\path text (parameters machine, arg1, arg2...)")
            return 87
        }
        guard session.isMachine(machine) else { return 87 }
        var words: [String] = []
        var index = 2
        while let word = session.parameter("arg\(index)") {
            words.append(word)
            index += 1
        }
        let line = words.joined(separator: " ")
        var code: Int32 = 0
        session.perform("AppendLine", [Argument("path", target), Argument("text", line)]) {
            do {
                let root = try MachineRoot(path: machine)
                let path: WindowsPath
                switch Result(catching: { () throws(PathError) in try WindowsPath(target) }) {
                case .success(let parsed): path = parsed
                case .failure(let error): throw Win32Error(error, operation: "AppendLine")
                }
                let old = root.exists(path) ? try root.readFile(path) : []
                try root.writeFile(path, old + Array((line + "\r\n").utf8))
                return .ok
            } catch {
                let failure = OperationFailure(error)
                code = failure.code
                return OperationResult(failure)
            }
        }
        return code
    }
}
