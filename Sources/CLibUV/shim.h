#ifndef PATCHRIG_CLIBUV_SHIM_H
#define PATCHRIG_CLIBUV_SHIM_H
#include <uv.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <spawn.h>
#include <string.h>

// libuv's handle types share a common prefix (uv_handle_t, then uv_stream_t for streams); C
// code casts between them freely. Swift cannot, so these casts live here, in one place.
static inline uv_handle_t *patchrig_as_handle(void *handle) { return (uv_handle_t *)handle; }
static inline uv_stream_t *patchrig_as_stream(void *stream) { return (uv_stream_t *)stream; }

// prctl is variadic, which Swift cannot call. Linux only: the kernel sends `sig` to this process
// when the thread that created it exits (the coordinator's loop thread).
static inline int patchrig_set_parent_death_signal(int sig) {
#ifdef PR_SET_PDEATHSIG
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL);
#else
    (void)sig;
    return 0;
#endif
}

// A wait status (waitpid(2)) is decoded by macros, which Swift cannot import; decoding it by hand
// (`status & 0x7f`, `status >> 8`) would hard-code glibc's layout. One function per macro, so
// every wait status in the project is read through these (LibUV's TerminationStatus(waitStatus:)).
static inline int patchrig_wifexited(int status) { return WIFEXITED(status); }
static inline int patchrig_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int patchrig_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int patchrig_wtermsig(int status) { return WTERMSIG(status); }
static inline int patchrig_wifstopped(int status) { return WIFSTOPPED(status); }
static inline int patchrig_wstopsig(int status) { return WSTOPSIG(status); }

// posix_spawnattr flag: the child calls setsid() before it execs (glibc 2.26). <spawn.h> defines it
// only under _GNU_SOURCE, which this header does not always see; its value is glibc's ABI.
#ifdef POSIX_SPAWN_SETSID
static const short patchrig_posix_spawn_setsid = POSIX_SPAWN_SETSID;
#else
static const short patchrig_posix_spawn_setsid = 0x80;
#endif

// posix_spawn file action: the child closes every descriptor from `from` up before it execs, so
// it gets none it was not given, even one its parent inherited without close-on-exec (glibc 2.34;
// declared only under _GNU_SOURCE, so declared here; on an older glibc nothing is added).
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int);
static inline int patchrig_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
#else
static inline int patchrig_spawn_close_from(posix_spawn_file_actions_t *actions, int from) { return 0; }
#endif

// Every signal, glibc's internal ones (32 and 33, SIGCANCEL and SIGSETXID) included, which
// sigfillset leaves out. As a posix_spawn "set to default" set it makes the child reset those two
// to SIG_DFL too; otherwise glibc's child sets them to SIG_IGN, which its exec passes on.
static inline void patchrig_sigset_every_signal(sigset_t *set) { memset(set, 0xff, sizeof *set); }

// pidfd_open(2) (Linux 5.3), which glibc 2.36 does not wrap: a descriptor on process `pid` that
// polls readable once the process has ended. It is close-on-exec.
static inline int patchrig_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    return (int)syscall(434, pid, 0);
#endif
}

// Whether child `pid` has ended, without reaping it (waitid with WNOWAIT; siginfo_t is a union
// Swift reads badly): 1 ended (a zombie until waited for), 0 still running, -1 an error (errno;
// ECHILD: not our child, or already reaped).
static inline int patchrig_child_has_ended(pid_t pid) {
    siginfo_t info;
    info.si_pid = 0;
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return -1;
    return info.si_pid != 0;
}

// The CPUs the calling thread may run on (sched_getaffinity / sched_setaffinity, thread 0 =
// the caller), as a bitmap of `words` 64-bit words; the syscalls directly, since glibc declares
// the wrappers only under _GNU_SOURCE. Return what the system call returns (-1, errno).
static inline long patchrig_thread_cpus(uint64_t *bits, int words) {
    return syscall(SYS_sched_getaffinity, 0, (size_t)words * sizeof(uint64_t), bits);
}
static inline long patchrig_set_thread_cpus(const uint64_t *bits, int words) {
    return syscall(SYS_sched_setaffinity, 0, (size_t)words * sizeof(uint64_t), bits);
}
// The CPU the calling thread runs on now (getcpu); -1 when it cannot be told.
static inline int patchrig_running_cpu(void) {
    unsigned int cpu = 0;
    return syscall(SYS_getcpu, &cpu, (void *)0, (void *)0) == 0 ? (int)cpu : -1;
}

#endif
