/* Baseline for spawn->hello: a C child that says hello over the same kind of pipe as
 * rig-worker (descriptor 3, one framed hello message), then waits for the pipe to close.
 * rig-bench spawns it exactly as it spawns rig-worker. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    /* hello(role "script", pid, mainNs 0): tag 1, u32 len + "script", i32 pid, u64 ns */
    unsigned char frame[4 + 1 + 4 + 6 + 4 + 8];
    uint32_t len = sizeof frame - 4;
    memcpy(frame, &len, 4);
    frame[4] = 1;
    uint32_t role_len = 6;
    memcpy(frame + 5, &role_len, 4);
    memcpy(frame + 9, "script", 6);
    int32_t pid = (int32_t)getpid();
    memcpy(frame + 15, &pid, 4);
    memset(frame + 19, 0, 8);
    if (write(3, frame, sizeof frame) != (ssize_t)sizeof frame) return 1;
    char buf[256];
    while (read(3, buf, sizeof buf) > 0) {}
    return 0;
}
