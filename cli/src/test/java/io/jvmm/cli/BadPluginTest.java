package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.support.LogRateLimiter;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.board.Board;
import io.jvmm.runtime.board.Chipset;
import io.jvmm.runtime.board.ChipsetBuildException;
import io.jvmm.runtime.board.ChipsetBuilder;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.ProviderFailure;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken plugins, built at test time into one plugin directory: a resolver that throws, a device
 * that throws on every access, a device whose poll never returns, two jars with the same id, and a
 * jar that is not a module. Each is reported with its jar name; the board and a real VM keep going.
 */
class BadPluginTest {
    private static final int BAD_PORT = 0x520;
    /** A device's error log lines a second: ChipsetBuilder's default logsPerSecond, which jvmm run keeps. */
    private static final int LOGS_PER_SECOND = 10;
    /** bad_device.S: 1000 reads and 1000 writes of the throwing device's port. */
    private static final int FAILING_ACCESSES = 2000;
    /** The Board's warning for one of them, as LogConfigurator.PATTERN writes it; group 1 the time of day. */
    private static final Pattern THREW = Pattern.compile("(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) WARN +\\[[^\\]]+\\] Board: "
            + "device bad threw on pio (?:read|write) at 0x520 \\(1 bytes\\); the access is treated as an error"
            + "(?: \\(suppressed (\\d+) similar messages\\))?");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    @TempDir
    static Path work;
    static Path plugins;

    @BeforeAll
    static void buildJars() throws Exception {
        BadPluginJars jars = new BadPluginJars(work);
        plugins = work.resolve("plugins");
        jars.jar("throw-on-resolve", Map.of(
                "module-info.java", BadPluginJars.moduleInfo("test.throwresolve", "test.throwresolve.R"),
                "test/throwresolve/R.java", BadPluginJars.resolver("test.throwresolve", "R", "throw_on_resolve",
                        "throw new IllegalStateException(\"licence server unreachable\");")),
                Map.of(), plugins);
        jars.jar("throwing-device", Map.of(
                "module-info.java", BadPluginJars.moduleInfo("test.throwdev", "test.throwdev.R"),
                "test/throwdev/R.java", BadPluginJars.resolver("test.throwdev", "R", "throwing_dev",
                        "return new Bad();",
                        "  static final class Bad implements ChipsetDevice, PortIoIntercept {\n"
                                + "    public io.jvmm.api.device.Capabilities capabilities() {\n"
                                + "      return io.jvmm.api.device.Capabilities.builder().portIo(this).build(); }\n"
                                + "    public java.util.List<io.jvmm.api.device.IoRegion> pioRegions() {\n"
                                + "      return java.util.List.of(new io.jvmm.api.device.IoRegion(\"bad\", 0x520, 4)); }\n"
                                + "    public IoResult ioRead(int region, int offset, byte[] data) {\n"
                                + "      throw new IllegalStateException(\"bad device: read of \" + (0x520 + offset)); }\n"
                                + "    public IoResult ioWrite(int region, int offset, byte[] data) {\n"
                                + "      throw new UnsupportedOperationException(\"bad device: write\"); }\n"
                                + "  }\n")),
                Map.of(), plugins);
        jars.jar("spinning-poll", Map.of(
                "module-info.java", BadPluginJars.moduleInfo("test.spin", "test.spin.R"),
                "test/spin/R.java", BadPluginJars.resolver("test.spin", "R", "spinning_poll", "return new Spin();",
                        "  static final class Spin implements ChipsetDevice, PollDevice {\n"
                                + "    public io.jvmm.api.device.Capabilities capabilities() {\n"
                                + "      return io.jvmm.api.device.Capabilities.builder().pollDevice(this).build(); }\n"
                                + "    // Never returns on its own; only the runner's shutdown interrupt ends it.\n"
                                + "    public void poll() {\n"
                                + "      while (!Thread.currentThread().isInterrupted()) { Thread.onSpinWait(); } }\n"
                                + "  }\n")),
                Map.of(), plugins);
        for (String side : List.of("a", "b")) {
            jars.jar("dup-" + side, Map.of(
                    "module-info.java", BadPluginJars.moduleInfo("test.dup" + side, "test.dup" + side + ".R"),
                    "test/dup" + side + "/R.java", BadPluginJars.resolver("test.dup" + side, "R", "dup_dev",
                            "return (ChipsetDevice) () -> io.jvmm.api.device.Capabilities.NONE;")),
                    Map.of(), plugins);
        }
        jars.jar("plain", Map.of(
                "test/plain/R.java", BadPluginJars.resolver("test.plain", "R", "plain_dev", "return (ChipsetDevice) () -> io.jvmm.api.device.Capabilities.NONE;")),
                Map.of("META-INF/services/io.jvmm.api.resource.ResourceResolver", "test.plain.R\n"), plugins);
    }

    private static Resource<ChipsetDevice> device(String id) {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, id, EmptyHandle.INSTANCE);
    }

    private static VmManifest manifest(VmManifest base, Map<String, Resource<ChipsetDevice>> extra) {
        List<ChipsetDeviceHandle> devices = new ArrayList<>(base.devices());
        extra.forEach((name, r) -> devices.add(new ChipsetDeviceHandle(name, r)));
        return new VmManifest(base.type(), base.arch(), base.chipset(), devices);
    }

    private static Chipset build(VmManifest m, ResolverRegistry registry) throws ChipsetBuildException {
        VmClock clock = new VmClock() {
            @Override
            public long nanos() {
                return System.nanoTime();
            }

            @Override
            public Instant wallTime() {
                return Instant.now();
            }
        };
        return new ChipsetBuilder(m, registry, Set.of(), action -> { }, clock, (v, high) -> { }).build();
    }

    private static VmManifest hclBase() throws Exception {
        return new VmManifestBuilder(BaseChipsetType.HCL_HOST, MachineArch.X86_64).build();
    }

    @Test
    void eachBrokenPluginIsReportedWithItsJarName() throws Exception {
        PluginLayer layer = PluginLayer.load(List.of(plugins));
        Map<String, String> jarFailures = layer.failures().stream()
                .collect(Collectors.toMap(ProviderFailure::provider, ProviderFailure::reason));
        assertTrue(jarFailures.getOrDefault("plain.jar", "").startsWith("is not a module"), jarFailures.toString());

        ResolverRegistry registry = ResolverRegistry.builder().loadFrom(layer.layer()).build();
        String dup = registry.failures().stream().filter(f -> f.provider().equals("chipset_device:dup_dev"))
                .map(ProviderFailure::reason).findFirst().orElseThrow(() -> new AssertionError(registry.failures()));
        assertTrue(dup.contains("dup-a.jar") && dup.contains("dup-b.jar"), dup);

        ChipsetBuildException resolveFails = assertThrows(ChipsetBuildException.class,
                () -> build(manifest(hclBase(), Map.of("licensed", device("throw_on_resolve"))), registry));
        assertTrue(resolveFails.getMessage().contains("throw-on-resolve.jar")
                && resolveFails.getMessage().contains("licence server unreachable"), resolveFails.getMessage());

        ChipsetBuildException duplicate = assertThrows(ChipsetBuildException.class,
                () -> build(manifest(hclBase(), Map.of("twice", device("dup_dev"))), registry));
        String all = duplicate.getMessage() + " " + duplicate.problems();
        assertTrue(all.contains("dup-a.jar") && all.contains("dup-b.jar"), all);
    }

    @Test
    @ScaledTimeout(60)
    void aThrowingDeviceReadsAllOnesAndASpinningPollHoldsUpNoOtherDevice() throws Exception {
        PluginLayer layer = PluginLayer.load(List.of(plugins));
        ResolverRegistry registry = ResolverRegistry.builder().loadFrom(layer.layer()).build();
        Path out = work.resolve("debugcon-board.txt");
        Map<String, Resource<ChipsetDevice>> devices = new java.util.LinkedHashMap<>();
        devices.put("bad", device("throwing_dev"));
        devices.put("spinner", device("spinning_poll"));
        devices.put("debugcon", new DebugconHandle(0xE9, FileSerialHandle.resource(out.toString())).toResource());
        try (Chipset chipset = build(manifest(hclBase(), devices), registry)) {
            // Starting polls every poll device once: the spinner's poll never returns from here on.
            chipset.runner().start();
            Board board = chipset.board();
            long start = System.nanoTime();
            for (int i = 0; i < 10_000; i++) {
                byte[] data = new byte[1 << (i % 3)];
                board.pioRead(BAD_PORT + (i & 3), data);
                byte[] ones = new byte[data.length];
                Arrays.fill(ones, (byte) 0xFF);
                assertArrayEquals(ones, data, "read " + i + " of the throwing device");
                board.pioWrite(BAD_PORT, data);
            }
            double ms = (System.nanoTime() - start) / 1e6;
            // The debug console's poll still runs and moves the guest's bytes to its backend.
            for (byte b : "still polling".getBytes(StandardCharsets.US_ASCII)) {
                board.pioWrite(0xE9, new byte[] {b});
            }
            String text = VmHarness.awaitFile(out, s -> s.contains("still polling"), TestTime.seconds(20));
            assertEquals("still polling", text);
            System.out.printf("20000 accesses to a throwing device in %.1f ms (logging rate-limited)%n", ms);
        }
    }

    @Test
    @ScaledTimeout(90)
    @RequiresKvm
    void aRealVmKeepsRunningPastAThrowingPluginDevice() throws Exception {
        VmHarness.kvm();
        Path console = work.resolve("debugcon-vm.bin");
        Path log = work.resolve("vm.log");
        VmManifest base = new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64)
                .withDebugcon(FileSerialHandle.resource(console.toString()), 0xE9).build();
        Path manifestFile = work.resolve("bad-vm.json");
        Files.writeString(manifestFile, new ManifestJson().write(manifest(base, Map.of("bad", device("throwing_dev")))));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = List.of(java.toString(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "--enable-native-access=com.sun.jna", "-p", System.getProperty("jdk.module.path"),
                "-m", "io.jvmm.cli/io.jvmm.cli.Main", "run", "--manifest", manifestFile.toString(),
                "--plugin-path", plugins.toString(), "--memory", "32M", "--on-reset", "exit",
                "--firmware", SmpCounterGuestTest.GUESTS.resolve("bad_device.bin").toString(), "--log", log.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("vm.out").toFile())
                .start();
        Duration limit = TestTime.seconds(60); // a child JVM and a short guest: 2 s natively, 15 s in L1
        boolean ended = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        String output = Files.readString(work.resolve("vm.out"));
        String logText = Files.exists(log) ? Files.readString(log) : "";
        assertTrue(ended, "the VM did not end within " + limit + "; output: " + output + "\nlog: " + logText);
        assertEquals(0, p.exitValue(), "output: " + output + "\nlog: " + logText);
        byte[] expected = new byte[FAILING_ACCESSES / 2 + 2];
        Arrays.fill(expected, 0, FAILING_ACCESSES / 2, (byte) 0xFF);
        expected[FAILING_ACCESSES / 2] = 'O';
        expected[FAILING_ACCESSES / 2 + 1] = 'K';
        assertArrayEquals(expected, Files.readAllBytes(console), "every read of the throwing device gave all-ones");
        System.out.println("bad plugin VM: " + assertRateLimited(logText));
    }

    /** The check above, on the log a limiter gives for a slow run, a fast one, and on logs it must reject. */
    @Test
    void theRateLimitCheckTakesASlowOrFastRunAndCatchesTooManyWarningsOrNoNote() {
        // as in the nested-KVM L1 (2000 accesses over 6 s), here across midnight; then natively
        String slow = simulatedLog(LOGS_PER_SECOND, i -> i * 3_000L, LocalTime.of(23, 59, 57));
        System.out.println("a slow run: " + assertRateLimited(slow));
        System.out.println("a fast run: " + assertRateLimited(simulatedLog(LOGS_PER_SECOND, i -> i * 2L, LocalTime.NOON)));
        // bursts of ten at the end of one window and ten at the start of the next: 20 within 30 ms
        String bunched = simulatedLog(LOGS_PER_SECOND,
                i -> i / 20 * 2_000_000L + (i % 20 < 10 ? 990_000 : 1_000_000) + i % 20 * 1_000L, LocalTime.NOON);
        String busiest = assertRateLimited(bunched);
        assertTrue(busiest.contains("(at most 20 within a second)"), busiest);

        AssertionError tooMany = assertThrows(AssertionError.class,
                () -> assertRateLimited(simulatedLog(2 * LOGS_PER_SECOND + 1, i -> i * 3_000L, LocalTime.NOON)));
        assertTrue(tooMany.getMessage().matches("(?s)\\d+ warnings within a second from 12:00:00\\.000: .*"),
                tooMany.getMessage());
        AssertionError unlimited = assertThrows(AssertionError.class,
                () -> assertRateLimited(simulatedLog(FAILING_ACCESSES, i -> i * 3_000L, LocalTime.NOON)));
        assertTrue(unlimited.getMessage().startsWith("rate limiting suppressed some: "), unlimited.getMessage());
        AssertionError noNote = assertThrows(AssertionError.class,
                () -> assertRateLimited(slow.replaceAll(" \\(suppressed \\d+ similar messages\\)", "")));
        assertTrue(noNote.getMessage().startsWith("a warning after suppressed ones notes how many: "),
                noNote.getMessage());
    }

    /**
     * The log the Board writes for {@link #FAILING_ACCESSES} accesses, access i at {@code micros(i)}
     * after {@code start}, through a {@link LogRateLimiter} of {@code limit} a second (a fake clock).
     */
    private static String simulatedLog(int limit, IntToLongFunction micros, LocalTime start) {
        long[] now = {0};
        LogRateLimiter limiter = new LogRateLimiter(limit, 1_000_000_000L, () -> now[0]);
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < FAILING_ACCESSES; i++) {
            now[0] = micros.applyAsLong(i) * 1000;
            long suppressed = limiter.tryAcquire();
            if (suppressed != LogRateLimiter.SUPPRESSED) {
                log.append(start.plusNanos(now[0]).format(TIME))
                        .append(" WARN  [jvmm-vcpu-0] Board: device bad threw on pio ").append(i % 2 == 0 ? "read" : "write")
                        .append(" at 0x520 (1 bytes); the access is treated as an error")
                        .append(LogRateLimiter.suppressedNote(suppressed)).append('\n')
                        .append("java.lang.IllegalStateException: bad device: read of 1312\n")
                        .append("\tat test.throwdev/test.throwdev.R$Bad.ioRead(R.java:20)\n");
            }
        }
        return log.toString();
    }

    /**
     * The warnings for the failing accesses are rate-limited, however long the run took: the
     * limiter admits {@link #LOGS_PER_SECOND} per window, a window lasting at least a second from
     * the first access in it, so any span of less than a second overlaps at most two windows and
     * holds at most twice the limit (the window is not aligned to the log's seconds). The line's
     * time is taken after the limiter admitted it, but on the one vCPU thread that makes every
     * access, so a delay in between pushes the next window back too and cannot crowd a span.
     * (The log's clock is the wall clock, the limiter's the monotonic one; they agree to well
     * within a millisecond over a run unless the host's clock is stepped.)
     */
    private static String assertRateLimited(String logText) {
        assertTrue(LogConfigurator.PATTERN.startsWith("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg"),
                "THREW parses LogConfigurator.PATTERN's lines: " + LogConfigurator.PATTERN);
        List<String> lines = logText.lines().filter(l -> l.contains("device bad threw")).toList();
        String why = lines.size() + " warnings for " + FAILING_ACCESSES + " failing accesses, at most "
                + LOGS_PER_SECOND + " a second\n" + String.join("\n", lines);
        long[] millis = new long[lines.size()];
        long suppressedNoted = 0;
        int notes = 0;
        long dayOffset = 0;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = THREW.matcher(lines.get(i));
            assertTrue(m.matches(), "the Board's warning, as LogConfigurator.PATTERN writes it: " + lines.get(i));
            millis[i] = LocalTime.parse(m.group(1)).toNanoOfDay() / 1_000_000 + dayOffset;
            if (i > 0 && millis[i] < millis[i - 1] - Duration.ofHours(12).toMillis()) { // past midnight
                dayOffset += Duration.ofDays(1).toMillis();
                millis[i] += Duration.ofDays(1).toMillis();
            }
            if (m.group(2) != null) {
                notes++;
                suppressedNoted += Long.parseLong(m.group(2));
            }
        }
        assertTrue(lines.size() >= 1, "the first failing access is logged: " + why);
        assertFalse(lines.get(0).contains("suppressed"), "nothing was suppressed before the first warning: " + why);
        assertTrue(lines.size() < FAILING_ACCESSES, "rate limiting suppressed some: " + why);
        assertTrue(lines.size() + suppressedNoted <= FAILING_ACCESSES,
                "the suppressed counts in the notes (" + suppressedNoted + ") count accesses that were not logged: "
                        + why);
        // More than one window's worth logged means a later window admitted one after a suppressed
        // storm, which says how many it dropped. (Not so only if the guest's loop made at most
        // LOGS_PER_SECOND accesses in every window but the last: 2000 at that rate take 200 s.)
        if (lines.size() > LOGS_PER_SECOND) {
            assertTrue(notes > 0, "a warning after suppressed ones notes how many: " + why);
        }
        int busiest = 0;
        long busiestAt = 0;
        for (int i = 0, j = 0; i < millis.length; i++) {
            while (j < millis.length && millis[j] - millis[i] < 1000) {
                j++;
            }
            if (j - i > busiest) {
                busiest = j - i;
                busiestAt = millis[i];
            }
        }
        assertTrue(busiest <= 2 * LOGS_PER_SECOND, busiest + " warnings within a second from "
                + LocalTime.ofNanoOfDay(busiestAt % Duration.ofDays(1).toMillis() * 1_000_000).format(TIME) + ": " + why);
        return String.format("%d failing accesses logged %d times over %.3f s (at most %d within a second),"
                + " %d suppressed ones noted", FAILING_ACCESSES, lines.size(),
                (millis[millis.length - 1] - millis[0]) / 1000.0, busiest, suppressedNoted);
    }
}
