import CWinFS
import Glibc

/// A file system in memory of the process's own, for a campaign's scratch machines: a new tmpfs
/// mounted over a directory (the campaign mounts it over `/dev/shm`) in a mount namespace of
/// the process's own, which its children (the workers) inherit.
///
/// Why not the host's `/dev/shm`: a machine's simulated files are megabytes each (2 MB engines
/// and native images), and a campaign writes, copies and frees tens of megabytes per iteration.
/// The host's tmpfs keeps them in 4 KB pages (`huge=never`, the default), so the kernel's page
/// cache work — allocating, charging, putting on the LRU and freeing each page — costs more
/// than the bytes. This one is mounted `huge=within_size`, which lets the kernel keep a file in
/// large folios, as large as the file's size allows (on Linux 6.18, the race rig's files went
/// into folios of 8 KB to 2 MB). The bytes written and read are the same; only the kernel's
/// bookkeeping shrinks (the race rig's controlled campaign runs about 1.4× as fast).
///
/// The mount is seen by this process and its children alone and leaves nothing on the host:
/// when the last process in the namespace ends — even a coordinator that was killed — the
/// kernel frees it with everything in it. To look at the machines while a campaign runs:
/// `ls /proc/PID/root/dev/shm` (PID of `rig`), as the same user.
///
/// Without root, the mount namespace comes with a user namespace that maps only the process's
/// own user and group (so files it makes on the host are its own, as before). Hosts that allow
/// neither (a container without CAP_SYS_ADMIN whose seccomp profile refuses user namespaces, a
/// kernel without them) get an error back and the campaign keeps the host's `/dev/shm`.
public enum PrivateMemoryFileSystem {
    /// The tmpfs options: large folios within a file's size, the mode of `/dev/shm`.
    public static let options = "huge=within_size,mode=1777"

    /// Mounts a new tmpfs (`options`) over the directory `target` in a mount namespace of this
    /// process's own. The process must still have one thread (a user namespace cannot be
    /// entered by a process with more, and a mount namespace is per thread). Returns nil when
    /// mounted, else why not (the failing step and its errno): the process then sees `target`
    /// as before.
    public static func mount(over target: String) -> String? {
        var step: UnsafePointer<CChar>? = nil
        guard cwinfs_mount_private_tmpfs(target, options, &step) != 0 else { return nil }
        let code = errno
        let name = step.map { String(cString: $0) } ?? "mount"
        return "\(name): \(String(cString: strerror(code))) (errno \(code))"
    }
}
