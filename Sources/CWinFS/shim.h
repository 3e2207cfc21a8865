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
#include <linux/openat2.h>

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

#endif
