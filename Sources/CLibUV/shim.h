#ifndef PATCHRIG_CLIBUV_SHIM_H
#define PATCHRIG_CLIBUV_SHIM_H
#include <uv.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>

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

#endif
