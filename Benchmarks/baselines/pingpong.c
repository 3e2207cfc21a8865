/* Baseline for the coordinator<->worker round trip: a raw ping-pong of the same frame sizes
 * (13 bytes: a 4-byte length, a tag, a 64-bit counter) over a socket pair, with blocking reads
 * and writes and no event loop. Prints the median round trip in nanoseconds.
 *   pingpong ROUNDS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_all(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 10000;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    char frame[13] = {9, 0, 0, 0, 9};
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        char buf[13];
        while (read_all(sv[1], buf, sizeof buf) == 0) {
            buf[4] = 10;
            if (write(sv[1], buf, sizeof buf) != sizeof buf) break;
        }
        _exit(0);
    }
    close(sv[1]);
    uint64_t *samples = malloc(sizeof(uint64_t) * (size_t)rounds);
    char buf[13];
    for (int i = 0; i < rounds; i++) {
        uint64_t t0 = now_ns();
        if (write(sv[0], frame, sizeof frame) != sizeof frame || read_all(sv[0], buf, sizeof buf) != 0) return 1;
        samples[i] = now_ns() - t0;
    }
    close(sv[0]);
    waitpid(pid, NULL, 0);
    qsort(samples, (size_t)rounds, sizeof(uint64_t), cmp);
    printf("%llu\n", (unsigned long long)samples[rounds / 2]);
    return 0;
}
