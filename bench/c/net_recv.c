/*
 * net_recv: the network row's host-side receiver, run in the benchmark's network namespace.
 * Accepts one TCP connection on ADDR:PORT, reads until the sender shuts its side down, writes the
 * byte count to OUT and closes (which ends the sender's wait).
 *
 * Usage: net_recv ADDR PORT OUT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s ADDR PORT OUT\n", argv[0]);
        return 2;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
        fprintf(stderr, "net_recv: bad address %s\n", argv[1]);
        return 2;
    }
    int one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l < 0 || bind(l, (struct sockaddr *) &a, sizeof a) != 0 || listen(l, 1) != 0) {
        perror("net_recv: listen");
        return 1;
    }
    int fd = accept(l, NULL, NULL);
    if (fd < 0) {
        perror("net_recv: accept");
        return 1;
    }
    long long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        total += n;
    }
    FILE *out = fopen(argv[3], "w");
    if (!out) {
        perror("net_recv: output");
        return 1;
    }
    fprintf(out, "%lld\n", total);
    fclose(out);
    close(fd);
    return 0;
}
