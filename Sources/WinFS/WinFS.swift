/// Windows file semantics on POSIX (see README.md).
public enum WinFS {}
