/*
 * blk_randread: the block row's random-read load, run inside the guest (built static by
 * jvmm-bench, put into the bench initramfs). Reads COUNT 4 KiB blocks at pseudo-random 4 KiB-aligned
 * offsets of DEVICE with O_DIRECT (no guest page cache: every read is a request to the virtio-blk
 * device), one at a time (queue depth 1), and prints
 *     JVMM-BLK randread COUNT reads NANOSECONDS ns
 * measured with the guest's CLOCK_MONOTONIC. The offsets come from a fixed xorshift seed, so both
 * VMMs serve the same sequence.
 *
 * Usage: blk_randread DEVICE COUNT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s DEVICE COUNT\n", argv[0]);
        return 2;
    }
    long count = strtol(argv[2], NULL, 10);
    int fd = open(argv[1], O_RDONLY | O_DIRECT);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    uint64_t size = 0;
    if (ioctl(fd, BLKGETSIZE64, &size) != 0 || size < BLOCK) {
        perror("BLKGETSIZE64");
        return 1;
    }
    uint64_t blocks = size / BLOCK;
    void *buf;
    if (posix_memalign(&buf, BLOCK, BLOCK) != 0) {
        return 1;
    }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < count; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        off_t off = (off_t) (x % blocks) * BLOCK;
        if (pread(fd, buf, BLOCK, off) != BLOCK) {
            perror("pread");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (long long) (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("JVMM-BLK randread %ld reads %lld ns\n", count, ns);
    return 0;
}
