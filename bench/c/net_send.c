/*
 * net_send: the network row's guest-to-host TCP load, run inside the guest (built static by
 * jvmm-bench, put into the bench initramfs). Connects to HOST:PORT, writes MIB mebibytes of
 * pseudo-random bytes in 256 KiB writes, shuts its side down and waits for the receiver to close
 * (so every byte has arrived), then prints
 *     JVMM-NET sent BYTES bytes NANOSECONDS ns
 * timed with the guest's CLOCK_MONOTONIC from the connect to the receiver's close.
 *
 * Usage: net_send HOST PORT MIB
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static char buf[CHUNK];

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s HOST PORT MIB\n", argv[0]);
        return 2;
    }
    long long total = strtoll(argv[3], NULL, 10) << 20;
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        buf[i] = (char) x;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
        fprintf(stderr, "net_send: bad address %s\n", argv[1]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        perror("net_send: connect");
        return 1;
    }
    long long sent = 0;
    while (sent < total) {
        size_t n = total - sent < CHUNK ? (size_t) (total - sent) : CHUNK;
        ssize_t w = write(fd, buf, n);
        if (w <= 0) {
            perror("net_send: write");
            return 1;
        }
        sent += w;
    }
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof buf) > 0) {
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("JVMM-NET sent %lld bytes %lld ns\n", sent, ns);
    return 0;
}
