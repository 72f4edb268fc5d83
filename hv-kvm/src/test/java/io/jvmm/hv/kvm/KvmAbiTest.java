package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hard-coded ABI values in {@link Kvm} (and the epoll/eventfd ones in {@link LibC}) against this
 * host's linux/kvm.h and libc headers (needs gcc and the headers).
 */
class KvmAbiTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void constantsMatchTheKernelHeaders() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/usr/include/linux/kvm.h")) && Files.isExecutable(Path.of("/usr/bin/gcc")),
                "gcc or /usr/include/linux/kvm.h missing: cannot compare the KVM ABI constants");
        Path source = Path.of(System.getProperty("guests.src", "src/test/guests")).resolveSibling("c").resolve("kvm_abi.c");
        Path out = Path.of(System.getProperty("guests.out", "target/guests-rebuilt")).resolveSibling("kvm_abi");
        Files.createDirectories(out.getParent());
        Process gcc = new ProcessBuilder("gcc", "-o", out.toString(), source.toString()).redirectErrorStream(true).start();
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), () -> "gcc failed:\n" + log);
        Process abi = new ProcessBuilder(out.toString()).start();
        String printed = new String(abi.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, abi.waitFor());

        Map<String, Long> expected = new HashMap<>();
        for (String line : printed.split("\n")) {
            String[] parts = line.split(" ");
            expected.put(parts[0], Long.parseUnsignedLong(parts[1]));
        }
        int compared = 0;
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            // "LibC.NAME" is a libc value in LibC, anything else a KVM value in Kvm
            boolean libc = e.getKey().startsWith("LibC.");
            Field field = (libc ? LibC.class : Kvm.class).getDeclaredField(libc ? e.getKey().substring(5) : e.getKey());
            assertTrue(Modifier.isStatic(field.getModifiers()));
            long actual = ((Number) field.get(null)).longValue();
            assertEquals((long) e.getValue(), actual, e.getKey());
            compared++;
        }
        assertTrue(compared > 100, "compared " + compared);
    }
}
