/*
 * Bare C KVM_RUN loop for comparison with the Java exit loop (PioExitBenchmarkTest).
 * Runs the same guest (src/test/guests/pio32.bin: ESI times `out %al, $0x30`) in flat 32-bit
 * protected mode on a VM set up like jvmm's (TSS, in-kernel irqchip, PIT) and prints the time per
 * PIO exit. Not part of the Maven build.
 *
 *   gcc -O2 -o /tmp/pio_bench pio_bench.c && /tmp/pio_bench ../guests/pio32.bin 200000
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (16 << 20)
#define LOAD 0x1000
#define GDT 0x500

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void flat(struct kvm_segment *s, uint16_t sel, uint8_t type) {
    memset(s, 0, sizeof *s);
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = sel;
    s->type = type;
    s->present = 1;
    s->s = 1;
    s->db = 1;
    s->g = 1;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s pio32.bin exits\n", argv[0]);
        return 2;
    }
    long exits = atol(argv[2]);
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("/dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000) < 0) die("KVM_SET_TSS_ADDR");
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) die("KVM_CREATE_IRQCHIP");
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    if (ioctl(vm, KVM_CREATE_PIT2, &pit) < 0) die("KVM_CREATE_PIT2");

    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) die("mmap");
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uint64_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    FILE *f = fopen(argv[1], "rb");
    if (!f) die(argv[1]);
    fread(mem + LOAD, 1, 4096, f);
    fclose(f);
    uint64_t gdt[4] = {0, 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL, 0x00008b0000000067ULL};
    memcpy(mem + GDT, gdt, sizeof gdt);

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    for (int pass = 0; pass < 2; pass++) {
        long n = pass == 0 ? 50000 : exits; /* warm-up pass, then the measured one */
        struct kvm_sregs sregs;
        if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
        flat(&sregs.cs, 0x08, 0xb);
        flat(&sregs.ds, 0x10, 0x3);
        sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
        sregs.gdt.base = GDT;
        sregs.gdt.limit = 31;
        sregs.cr0 = 0x11;
        if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
        struct kvm_regs regs = {.rip = LOAD, .rsi = (uint64_t)n, .rsp = 0x8ff0, .rflags = 2};
        if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");

        long count = 0;
        double start = now();
        for (;;) {
            if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
            if (run->exit_reason != KVM_EXIT_IO) {
                fprintf(stderr, "unexpected exit %d\n", run->exit_reason);
                return 1;
            }
            if (run->io.port == 0x30) {
                count++;
            } else if (run->io.port == 0xf0) {
                break;
            }
        }
        double elapsed = now() - start;
        if (pass == 1) {
            printf("PIO exit round trip (bare C): %ld exits in %.1f ms = %.2f us/exit\n", count, elapsed * 1e3,
                   elapsed * 1e6 / count);
        }
    }
    return 0;
}
