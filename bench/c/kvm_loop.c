/*
 * jvmm-bench's bare C contender: the least a VMM can do with KVM for the bench guests, as a lower
 * bound for jvmm's exit path. Built by ./jvmm-bench with gcc; not part of the Maven build.
 *
 * Boots a flat firmware image (QEMU -bios style) from the reset vector on a VM set up like jvmm's
 * and QEMU's (TSS, in-kernel irqchip and PIT): the image is mapped at 4 GiB - size and copied below
 * 1 MiB. The only "devices" are what the bench guests use:
 *   port 0xE9 (write)      marker byte, written to MARKER_FILE (one write() per byte)
 *   port 0x3F8 (write)     COM1 data, written to SERIAL_FILE (one write() per byte, like QEMU);
 *                          0x3FB (LCR) is kept so divisor-latch writes are not taken for data
 *   port 0x3FD (read)      COM1 LSR: always "transmitter empty" (0x60)
 *   port 0x433 <- 1,       reset (jvmm's PM reset register, the i8042 reset pulse):
 *   port 0x64 <- 0xFE      the program exits 0
 * Other port reads return all-ones and other port writes are dropped (0x30 is the PIO bench port).
 *
 *   kvm_loop IMAGE RAM_MIB MARKER_FILE [SERIAL_FILE]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROM_SIZE 0x10000
#define ROM_GPA 0xffff0000ULL
#define LOW_COPY 0xf0000

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void put(int fd, uint8_t b) {
    if (fd >= 0 && write(fd, &b, 1) != 1) die("write");
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s IMAGE RAM_MIB MARKER_FILE [SERIAL_FILE]\n", argv[0]);
        return 2;
    }
    uint64_t ram = (uint64_t)atol(argv[2]) << 20;
    if (ram < (1 << 20)) {
        fprintf(stderr, "RAM_MIB must be at least 1\n");
        return 2;
    }
    int marker = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (marker < 0) die(argv[3]);
    int serial = -1;
    uint8_t lcr = 0; /* COM1 line control: with DLAB (bit 7) set, 0x3F8 is the divisor latch */
    if (argc > 4) {
        serial = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (serial < 0) die(argv[4]);
    }

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("/dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000) < 0) die("KVM_SET_TSS_ADDR");
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) die("KVM_CREATE_IRQCHIP");
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    if (ioctl(vm, KVM_CREATE_PIT2, &pit) < 0) die("KVM_CREATE_PIT2");

    uint8_t *mem = mmap(NULL, ram, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uint8_t *rom = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED || rom == MAP_FAILED) die("mmap");
    FILE *f = fopen(argv[1], "rb");
    if (!f) die(argv[1]);
    if (fread(rom, 1, ROM_SIZE, f) != ROM_SIZE) {
        fprintf(stderr, "%s: expected a 64 KiB image\n", argv[1]);
        return 1;
    }
    fclose(f);
    memcpy(mem + LOW_COPY, rom, ROM_SIZE);
    struct kvm_userspace_memory_region low = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = ram, .userspace_addr = (uint64_t)mem};
    struct kvm_userspace_memory_region high = {
        .slot = 1, .guest_phys_addr = ROM_GPA, .memory_size = ROM_SIZE, .userspace_addr = (uint64_t)rom};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &low) < 0) die("KVM_SET_USER_MEMORY_REGION low");
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &high) < 0) die("KVM_SET_USER_MEMORY_REGION rom");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");
    /* A new vCPU is in the reset state: CS F000 (base FFFF0000), IP FFF0. */

    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR) continue;
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            uint8_t *data = (uint8_t *)run + run->io.data_offset;
            for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
                uint16_t port = run->io.port;
                if (run->io.direction == KVM_EXIT_IO_OUT) {
                    if (port == 0xe9) {
                        put(marker, data[0]);
                    } else if (port == 0x3fb) {
                        lcr = data[0];
                    } else if (port == 0x3f8 && !(lcr & 0x80)) {
                        put(serial, data[0]);
                    } else if ((port == 0x433 && data[0] == 0x01) || (port == 0x64 && data[0] == 0xfe)) {
                        return 0;
                    }
                } else {
                    memset(data, port == 0x3fd ? 0x60 : 0xff, run->io.size);
                }
            }
            break;
        }
        case KVM_EXIT_SHUTDOWN:
            return 0; /* a triple fault resets a PC */
        default:
            fprintf(stderr, "kvm_loop: unexpected exit %u\n", run->exit_reason);
            return 1;
        }
    }
}
