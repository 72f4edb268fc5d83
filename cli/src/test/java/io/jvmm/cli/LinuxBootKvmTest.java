package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.runtime.vm.GuestPayload;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Linux's early boot through the Linux loader, real KVM and the emulated 16550: the Debian cloud
 * kernel must print its banner and our command line over COM1. "Linux version" proves the zero page
 * (or PVH start info), page tables, GDT and entry state; "Command line:" that the command line
 * arrived; "printk: console [ttyS0] enabled" (reported, not required) the 8250 driver's console.
 *
 * <p>Opt-in, since it needs a kernel: {@code JVMM_LINUX_KERNEL} (or {@code -Djvmm.test.linux}) names a
 * bzImage, {@code JVMM_LINUX_VMLINUX} (or {@code -Djvmm.test.vmlinux}) the ELF vmlinux inside it;
 * {@code cli/src/test/linux/fetch-kernel.sh} fetches both. On this project's kvm_pvm hosts the
 * bzImage's own decompressor takes one to two minutes (QEMU is no faster there), and unmodified
 * Linux later stops with an emulation failure (x86-kvm-boot.md section 4): both are allowed for.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxBootKvmTest {
    static final String CMDLINE = "earlyprintk=serial,ttyS0,115200 console=ttyS0 reboot=k panic=-1 nokaslr";
    private static final String BANNER = "Linux version ";
    private static final String CONSOLE = "printk: console [ttyS0] enabled";
    private static final long MEMORY = 512L << 20;

    @Test
    @Timeout(420)
    void bzImagePrintsItsBannerAndOurCommandLineOverCom1(@TempDir Path dir) throws Exception {
        Path kernel = kernel("jvmm.test.linux", "JVMM_LINUX_KERNEL", "a bzImage");
        // the decompressor alone took ~100 s here on a loaded machine; once the banner is out, stop
        boot(kernel, dir, Duration.ofSeconds(300), Duration.ofSeconds(5));
    }

    @Test
    @Timeout(240)
    void elfVmlinuxThroughPvhPrintsItsBannerAndOurCommandLineOverCom1(@TempDir Path dir) throws Exception {
        Path kernel = kernel("jvmm.test.vmlinux", "JVMM_LINUX_VMLINUX", "an ELF vmlinux");
        // no decompressor: the banner comes within seconds; then see how far Linux gets
        boot(kernel, dir, Duration.ofSeconds(90), Duration.ofSeconds(90));
    }

    /** The kernel the property or environment variable names, or a skip saying how to get one. */
    private static Path kernel(String property, String env, String what) {
        String path = System.getProperty(property);
        if (path == null || path.isBlank()) {
            path = System.getenv(env);
        }
        assumeTrue(path != null && !path.isBlank(), "Linux boot test SKIPPED: set " + env + " (or -D" + property
                + ") to " + what + "; cli/src/test/linux/fetch-kernel.sh fetches the Debian cloud kernel");
        Path kernel = Path.of(path);
        assertTrue(Files.isRegularFile(kernel), env + "/" + property + " names " + kernel + ", which is not a file");
        VmHarness.kvm();
        return kernel;
    }

    /**
     * Boots {@code kernel} with COM1 in a file: waits up to {@code bannerLimit} for the banner, then
     * up to {@code consoleLimit} for the console line, stops the VM if it still runs, and checks.
     */
    private static void boot(Path kernel, Path dir, Duration bannerLimit, Duration consoleLimit) throws Exception {
        Path com1 = dir.resolve("com1.out");
        GuestPayload payload = new GuestPayload.Linux(kernel.getFileName().toString(), Files.readAllBytes(kernel), null,
                CMDLINE);
        long start = System.nanoTime();
        long bannerAt = -1;
        long consoleAt = -1;
        boolean stopped = false;
        VmOutcome outcome;
        String text;
        try (LaunchedVm vm = VmHarness.launch(TestGuests.defaultChipset(com1, null), payload, MEMORY, 1,
                ResetPolicy.EXIT)) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            long deadline = start + bannerLimit.toNanos();
            while (!run.isDone() && System.nanoTime() < deadline) {
                text = read(com1);
                if (bannerAt < 0 && text.contains(BANNER) && completeLine(text, "Command line:")) {
                    bannerAt = System.nanoTime();
                    deadline = bannerAt + consoleLimit.toNanos();
                }
                if (text.contains(CONSOLE)) {
                    consoleAt = System.nanoTime();
                    break;
                }
                Thread.sleep(100);
            }
            if (!run.isDone()) {
                stopped = true;
                vm.machine().shutdown();
            }
            outcome = run.get(30, TimeUnit.SECONDS);
        }
        text = read(com1);
        System.out.printf("Linux boot (%s, %d bytes): %s%n", kernel.getFileName(), Files.size(kernel),
                line(text, BANNER));
        System.out.printf("  %s%n", line(text, "Command line:"));
        System.out.printf("  banner after %s; console line %s; %d lines in %.1f s; %s; last line: %s%n",
                bannerAt < 0 ? "never" : String.format("%.1f s", (bannerAt - start) / 1e9),
                consoleAt < 0 ? "not reached" : String.format("after %.1f s", (consoleAt - start) / 1e9),
                text.lines().count(), (System.nanoTime() - start) / 1e9,
                stopped ? "stopped by the test (" + outcome + ")" : "ended by itself: " + outcome, lastLine(text));

        assertTrue(text.contains(BANNER), "no Linux banner on COM1 (outcome " + outcome + "): " + tail(text));
        assertTrue(text.contains("Command line: " + CMDLINE), "the kernel saw another command line: " + tail(text));
        if (stopped) {
            assertTrue(outcome instanceof VmOutcome.PoweredOff, "a stopped VM reports a power-off: " + outcome);
        } else if (!(outcome instanceof VmOutcome.Failed f && f.message().contains("emulate"))) {
            // this host's KVM may fail to emulate an instruction Linux uses; anything else is a bug
            fail("the VM ended by itself with " + outcome + ": " + tail(text));
        }
    }

    private static String read(Path file) throws java.io.IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
    }

    private static boolean completeLine(String text, String start) {
        int i = text.indexOf(start);
        return i >= 0 && text.indexOf('\n', i) > 0;
    }

    private static String line(String text, String start) {
        return text.lines().filter(l -> l.contains(start)).findFirst().orElse("(no line with '" + start + "')").strip();
    }

    private static String lastLine(String text) {
        return text.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("(none)").strip();
    }

    private static String tail(String text) {
        return text.length() <= 2000 ? text : "..." + text.substring(text.length() - 2000);
    }
}
