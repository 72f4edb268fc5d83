/*
 * Stands in for jvmm-agent as PID 1 of a sandbox image in SandboxImageKvmTest and the bench's
 * sandbox-boot row (built with gcc -static at test/bench time). It prints the ready marker first
 * (with the guest's CLOCK_BOOTTIME, so a boot's guest-side time is on the console), then facts
 * about the image as "JVMM-FACT ..." lines: that it is PID 1, the agent transport from
 * /proc/cmdline, the mounts /init made, the loaded modules, and that vsock is up (/dev/vsock, its
 * local CID, socket(AF_VSOCK), a connect to the host, CID 2, port 1024, carrying one line); then it
 * powers the guest off (ACPI, as the agent's SHUTDOWN does). No arguments: /init execs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static void print_file_facts(const char *path, const char *what) {
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f) {
        printf("JVMM-FACT %s: cannot open %s: %s\n", what, path, strerror(errno));
        return;
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (strcmp(what, "module") == 0)
            line[strcspn(line, " ")] = 0; /* /proc/modules: the name is the first field */
        printf("JVMM-FACT %s %s\n", what, line);
    }
    fclose(f);
}

static void vsock_facts(void) {
    struct stat st;
    if (stat("/dev/vsock", &st) == 0)
        printf("JVMM-FACT /dev/vsock is a %s\n", S_ISCHR(st.st_mode) ? "character device" : "non-device");
    else
        printf("JVMM-FACT /dev/vsock missing: %s\n", strerror(errno));
    int dev = open("/dev/vsock", O_RDONLY);
    unsigned int cid = 0;
    if (dev >= 0 && ioctl(dev, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) == 0)
        printf("JVMM-FACT vsock local cid %u\n", cid);
    else
        printf("JVMM-FACT vsock local cid unknown: %s\n", strerror(errno));
    if (dev >= 0)
        close(dev);

    int s = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (s < 0) {
        printf("JVMM-FACT vsock socket failed: %s\n", strerror(errno));
        return;
    }
    printf("JVMM-FACT vsock socket ok\n");
    struct sockaddr_vm host = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = 1024};
    if (connect(s, (struct sockaddr *)&host, sizeof host) != 0) {
        printf("JVMM-FACT vsock connect 2:1024 failed: %s\n", strerror(errno));
    } else {
        static const char hello[] = "hello from the sandbox image\n";
        ssize_t n = write(s, hello, sizeof hello - 1);
        printf("JVMM-FACT vsock connect 2:1024 wrote %zd\n", n);
    }
    close(s);
}

int main(void) {
    struct timespec t;
    setvbuf(stdout, NULL, _IONBF, 0);
    clock_gettime(CLOCK_BOOTTIME, &t);
    printf("JVMM-SANDBOX-READY boottime_ms=%ld\n", t.tv_sec * 1000L + t.tv_nsec / 1000000L);
    printf("JVMM-FACT pid %d\n", (int)getpid());
    print_file_facts("/proc/cmdline", "cmdline");
    print_file_facts("/proc/mounts", "mount");
    print_file_facts("/proc/modules", "module");
    vsock_facts();
    printf("JVMM-FACT probe done\n");
    sync();
    reboot(RB_POWER_OFF);
    printf("JVMM-FACT reboot failed: %s\n", strerror(errno));
    for (;;)
        pause(); /* PID 1 must not exit */
}
