import Machine
import RigModel
import TestSupport
import WinFS
import WindowsModel

/// The repository's `Rigs/images/<name>`.
func repositoryImage(_ name: String) -> String { Repository.file("Rigs/images/" + name) }

/// `C:\...` as a WindowsPath (test input is known good).
func winPath(_ text: String) -> WindowsPath { try! WindowsPath(text) }

/// `a.b.c.d` (test input is known good).
func version(_ text: String) -> FileVersion { FileVersion(text)! }
