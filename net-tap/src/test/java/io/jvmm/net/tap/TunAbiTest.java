package io.jvmm.net.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The values {@link TunLibC} hard-codes (ioctl numbers, struct ifreq/pollfd/iovec layout, flags,
 * errnos) against this host's {@code <linux/if_tun.h>} and libc headers, by a C program compiled here.
 */
class TunAbiTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void constantsMatchTheKernelHeaders() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/usr/include/linux/if_tun.h"))
                && Files.isExecutable(Path.of("/usr/bin/gcc")),
                "gcc or /usr/include/linux/if_tun.h missing: cannot compare the TUN ABI constants");
        Path source = Path.of(System.getProperty("c.src", "src/test/c")).resolve("tun_abi.c");
        Path out = Path.of(System.getProperty("c.out", "target/c")).resolve("tun_abi");
        Files.createDirectories(out.getParent());
        Process gcc = new ProcessBuilder("gcc", "-o", out.toString(), source.toString()).redirectErrorStream(true).start();
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), () -> "gcc failed:\n" + log);
        Process abi = new ProcessBuilder(out.toString()).start();
        String printed = new String(abi.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, abi.waitFor());
        int compared = 0;
        for (String line : printed.split("\n")) {
            String[] parts = line.split(" ");
            Field field = TunLibC.class.getDeclaredField(parts[0]);
            assertTrue(Modifier.isStatic(field.getModifiers()));
            long actual = ((Number) field.get(null)).longValue();
            assertEquals(Long.parseUnsignedLong(parts[1]), actual, parts[0]);
            compared++;
        }
        assertTrue(compared >= 40, "compared " + compared);
    }
}
