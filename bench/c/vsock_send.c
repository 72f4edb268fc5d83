/*
 * vsock_send: the vsock row's load, run inside the guest (built static by jvmm-bench, put into the
 * bench initramfs). Connects a stream socket to CID:PORT (2:PORT is the host), writes MIB MiB from
 * a 64 KiB buffer, closes, and prints
 *     JVMM-VSOCK sent BYTES bytes in NANOSECONDS ns
 * measured with the guest's CLOCK_MONOTONIC from before connect to after close (the harness's own
 * figure is the host receiver's, from accept to end of stream).
 *
 * Usage: vsock_send CID PORT MIB
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static char buf[65536];

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s CID PORT MIB\n", argv[0]);
        return 2;
    }
    struct sockaddr_vm addr;
    memset(&addr, 0, sizeof addr);
    addr.svm_family = AF_VSOCK;
    addr.svm_cid = (unsigned) strtoul(argv[1], NULL, 10);
    addr.svm_port = (unsigned) strtoul(argv[2], NULL, 10);
    long long total = strtoll(argv[3], NULL, 10) << 20;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char) (i * 131 + 7);
    long long t0 = now_ns();
    int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        printf("JVMM-VSOCK connect failed: %s\n", strerror(errno));
        return 1;
    }
    long long sent = 0;
    while (sent < total) {
        ssize_t n = write(fd, buf, (size_t) (total - sent < (long long) sizeof buf ? total - sent : (long long) sizeof buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            printf("JVMM-VSOCK write failed after %lld bytes: %s\n", sent, strerror(errno));
            return 1;
        }
        sent += n;
    }
    close(fd);
    printf("JVMM-VSOCK sent %lld bytes in %lld ns\n", sent, now_ns() - t0);
    return 0;
}
