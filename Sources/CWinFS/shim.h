#ifndef PATCHRIG_CWINFS_SHIM_H
#define PATCHRIG_CWINFS_SHIM_H
// Each function returns what the system call returns (-1 with errno set on failure); the
// Swift side passes every result through its one checked-call helper.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/wait.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/sched.h>

// Open file description locks (Linux 3.15+). Glibc only defines them with _GNU_SOURCE, which
// the Swift Glibc module does not see; the values are the kernel's (asm-generic/fcntl.h).
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

// renameat2 flag (linux/fs.h), hidden behind _GNU_SOURCE in glibc's stdio.h.
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

// O_PATH (a descriptor that only names a file), also behind _GNU_SOURCE; the value is the
// kernel's (asm-generic/fcntl.h, the same on x86_64 and aarch64).
#ifndef O_PATH
#define O_PATH 010000000
#endif
static const int CWINFS_O_PATH = O_PATH;

static const uint64_t CWINFS_RESOLVE_BENEATH = RESOLVE_BENEATH;
static const uint64_t CWINFS_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
static const unsigned int CWINFS_RENAME_NOREPLACE = RENAME_NOREPLACE;

/// openat2(2) (glibc has no wrapper): `path` resolved relative to `dirfd` with `resolve` flags.
static inline int cwinfs_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode,
                                 uint64_t resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/// renameat2(2) through syscall, so the flags need no _GNU_SOURCE.
static inline int cwinfs_renameat2(int olddirfd, const char *oldpath, int newdirfd,
                                   const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

/// Takes (F_RDLCK / F_WRLCK) or releases (F_UNLCK) an open file description lock on
/// [start, start + length). `wait` selects F_OFD_SETLKW (block) over F_OFD_SETLK (EAGAIN).
static inline int cwinfs_ofd_setlock(int fd, short type, int64_t start, int64_t length, int wait) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = start;
    lock.l_len = length;
    return fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock);
}

/// F_OFD_GETLK: 1 when another open file description holds a lock overlapping
/// [start, start + length) that would conflict with a lock of `type`, 0 when none, -1 on error.
static inline int cwinfs_ofd_conflicts(int fd, short type, int64_t start, int64_t length) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = start;
    lock.l_len = length;
    lock.l_pid = 0;  // required by F_OFD_GETLK
    if (fcntl(fd, F_OFD_GETLK, &lock) != 0) return -1;
    return lock.l_type != F_UNLCK;
}

/// The delete-pending mark (see WinFS DeletePending.swift): an extended attribute of the inode.
/// 1 when `fd`'s file carries `name`, 0 when not, -1 on error (errno).
static inline int cwinfs_has_xattr(int fd, const char *name) {
    if (fgetxattr(fd, name, NULL, 0) >= 0) return 1;
    return errno == ENODATA ? 0 : -1;
}

/// Sets the extended attribute `name` (one byte) on `fd`'s file; 0 or -1 (errno).
static inline int cwinfs_set_xattr(int fd, const char *name) {
    return fsetxattr(fd, name, "1", 1, 0);
}

/// The threads of the calling process (entries of /proc/self/task); -1 when it cannot be read.
static inline int cwinfs_thread_count(void) {
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks) return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(tasks)) != NULL) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(tasks);
    return count;
}

/// Writes `text` to the file `path` (a new user namespace's /proc/self maps); 0 or -1 (errno).
static inline int cwinfs_write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int saved = errno;
    close(fd);
    if (written == (ssize_t)length) return 0;
    errno = written < 0 ? saved : EIO;
    return -1;
}

/// The steps of `cwinfs_mount_private_tmpfs`: unshare; (without root) the user namespace's
/// maps of this process's own user and group; mount propagation made private, so that nothing
/// mounted here reaches the host; a new tmpfs with `options` over `target`. 0, or -1 with errno
/// set and `*step` naming the call that failed.
static inline int cwinfs_private_tmpfs_steps(const char *target, const char *options, const char **step) {
    unsigned int uid = (unsigned int)geteuid(), gid = (unsigned int)getegid();
    char map[64];
    if (uid == 0) {
        *step = "unshare(CLONE_NEWNS)";
        if (syscall(SYS_unshare, CLONE_NEWNS) != 0) return -1;
    } else {
        *step = "unshare(CLONE_NEWUSER | CLONE_NEWNS)";
        if (syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS) != 0) return -1;
        *step = "write /proc/self/setgroups";
        if (cwinfs_write_text("/proc/self/setgroups", "deny") != 0) return -1;
        *step = "write /proc/self/uid_map";
        snprintf(map, sizeof map, "%u %u 1\n", uid, uid);
        if (cwinfs_write_text("/proc/self/uid_map", map) != 0) return -1;
        *step = "write /proc/self/gid_map";
        snprintf(map, sizeof map, "%u %u 1\n", gid, gid);
        if (cwinfs_write_text("/proc/self/gid_map", map) != 0) return -1;
    }
    *step = "mount(/, MS_REC | MS_PRIVATE)";
    if (syscall(SYS_mount, "none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    *step = "mount(tmpfs)";
    if (syscall(SYS_mount, "patchrig", target, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) return -1;
    return 0;
}

/// Moves the calling process into a mount namespace of its own (with a user namespace mapping
/// only its own user and group when it is not root) and mounts a new tmpfs with `options` over
/// `target` there; its children inherit both. The process must have one thread. Without root,
/// the steps are first tried in a forked child: a user namespace cannot be left, so a process
/// whose maps could not be written would be stranded in one; the child's failure is reported
/// instead (`*step` "a trial in a child", errno EPERM). 0, or -1 with errno and `*step` set.
static inline int cwinfs_mount_private_tmpfs(const char *target, const char *options, const char **step) {
    int threads = cwinfs_thread_count();
    if (threads != 1) {
        *step = "a check that the process has one thread";
        errno = threads < 0 ? errno : EBUSY;
        return -1;
    }
    if (geteuid() != 0) {
        pid_t child = fork();
        if (child < 0) {
            *step = "fork";
            return -1;
        }
        if (child == 0) {
            const char *ignored;
            _exit(cwinfs_private_tmpfs_steps(target, options, &ignored) == 0 ? 0 : 1);
        }
        int status = 0;
        while (waitpid(child, &status, 0) < 0) {
            if (errno != EINTR) {
                *step = "waitpid";
                return -1;
            }
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            *step = "a trial in a child";
            errno = EPERM;
            return -1;
        }
    }
    return cwinfs_private_tmpfs_steps(target, options, step);
}

#endif
