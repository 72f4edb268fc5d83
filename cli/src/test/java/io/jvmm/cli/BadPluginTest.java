package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.Resource;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken plugins, built at test time into one plugin directory: a resolver that throws, a device
 * that throws on every access, a device whose poll never returns, two jars with the same id, and a
 * jar that is not a module. Each is reported with its jar name; the board and a real VM keep going.
 */
class BadPluginTest {
    private static final int BAD_PORT = 0x520;

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
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
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
            String text = VmHarness.awaitFile(out, s -> s.contains("still polling"), Duration.ofSeconds(20));
            assertEquals("still polling", text);
            System.out.printf("20000 accesses to a throwing device in %.1f ms (logging rate-limited)%n", ms);
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
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
        boolean ended = p.waitFor(150, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        String output = Files.readString(work.resolve("vm.out"));
        String logText = Files.exists(log) ? Files.readString(log) : "";
        assertTrue(ended, "the VM did not end; output: " + output + "\nlog: " + logText);
        assertEquals(0, p.exitValue(), "output: " + output + "\nlog: " + logText);
        byte[] expected = new byte[1002];
        Arrays.fill(expected, 0, 1000, (byte) 0xFF);
        expected[1000] = 'O';
        expected[1001] = 'K';
        assertArrayEquals(expected, Files.readAllBytes(console), "every read of the throwing device gave all-ones");
        long warnings = logText.lines().filter(l -> l.contains("device bad threw")).count();
        assertTrue(warnings >= 1 && warnings <= 40,
                warnings + " warnings for 2000 failing accesses; rate limiting allows 10 a second\n" + logText);
        System.out.printf("bad plugin VM: 2000 failing accesses logged %d times%n", warnings);
    }
}
