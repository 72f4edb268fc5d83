/*
 * The guest side of LinuxVirtioVsockKvmTest, built with gcc -static at test time:
 *   vsock_echo listen PORT        accept one stream on vsock port PORT and echo it
 *   vsock_echo connect CID PORT   connect to CID:PORT and echo what arrives
 * Echo: read until EOF, writing every byte back; then shut down the sending side, report
 * "JVMM-FACT vsock <mode> echoed N" on stdout and close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static char buf[65536];

static int echo(int fd, const char *mode) {
    long total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            printf("JVMM-FACT vsock %s read failed after %ld: %s\n", mode, total, strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, n - off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                printf("JVMM-FACT vsock %s write failed after %ld: %s\n", mode, total, strerror(errno));
                return 1;
            }
            off += w;
        }
        total += n;
    }
    shutdown(fd, SHUT_WR);
    printf("JVMM-FACT vsock %s echoed %ld\n", mode, total);
    fflush(stdout);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sockaddr_vm addr;
    memset(&addr, 0, sizeof addr);
    addr.svm_family = AF_VSOCK;
    int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (fd < 0) {
        printf("JVMM-FACT vsock socket failed: %s\n", strerror(errno));
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "listen") == 0) {
        addr.svm_cid = VMADDR_CID_ANY;
        addr.svm_port = (unsigned) strtoul(argv[2], NULL, 10);
        if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen(fd, 1) < 0) {
            printf("JVMM-FACT vsock listen failed: %s\n", strerror(errno));
            return 1;
        }
        printf("JVMM-FACT vsock listening on %u\n", addr.svm_port);
        int c = accept(fd, NULL, NULL);
        if (c < 0) {
            printf("JVMM-FACT vsock accept failed: %s\n", strerror(errno));
            return 1;
        }
        close(fd);
        return echo(c, "listen");
    }
    if (argc == 4 && strcmp(argv[1], "connect") == 0) {
        addr.svm_cid = (unsigned) strtoul(argv[2], NULL, 10);
        addr.svm_port = (unsigned) strtoul(argv[3], NULL, 10);
        if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
            printf("JVMM-FACT vsock connect failed: %s\n", strerror(errno));
            return 1;
        }
        printf("JVMM-FACT vsock connected to %u:%u\n", addr.svm_cid, addr.svm_port);
        return echo(fd, "connect");
    }
    fprintf(stderr, "usage: vsock_echo listen PORT | vsock_echo connect CID PORT\n");
    return 2;
}
