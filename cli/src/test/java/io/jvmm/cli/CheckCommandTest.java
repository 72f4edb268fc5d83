package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvmm check}, and {@code run}'s order (configuration first, hypervisor last). Nothing here
 * needs KVM: where a hypervisor is involved it is a test backend from a plugin jar, {@code
 * recording}, whose {@code createPartition} fails with a message the tests look for, and {@code
 * absent}, which is never available.
 */
@Timeout(60)
class CheckCommandTest {
    private static final String POSTCODE = PostCodePluginTest.GUEST.toString();
    private static final String CREATED = "createPartition was called";

    @TempDir
    static Path work;

    @TempDir
    Path dir;

    private static Path hypervisors;

    @BeforeAll
    static void testHypervisors() throws Exception {
        hypervisors = Files.createDirectories(work.resolve("hv"));
        new BadPluginJars(work).jar("test-hv", Map.of(
                "module-info.java", "module test.hv {\n  requires io.jvmm.api;\n"
                        + "  provides io.jvmm.api.hv.HypervisorProvider with test.hv.Recording, test.hv.Absent;\n}\n",
                "test/hv/Recording.java", provider("Recording", "recording", "Availability.yes()"),
                "test/hv/Absent.java", provider("Absent", "absent", "Availability.no(\"no such device here\")")),
                Map.of(), hypervisors);
    }

    /** A backend that supplies what KVM supplies (so the board is the same) and can create no VM. */
    private static String provider(String cls, String name, String availability) {
        return "package test.hv;\n"
                + "import io.jvmm.api.hv.*;\n"
                + "import java.util.Set;\n"
                + "public final class " + cls + " implements HypervisorProvider {\n"
                + "  public String name() { return \"" + name + "\"; }\n"
                + "  public Availability availability() { return " + availability + "; }\n"
                + "  public Set<String> suppliedDevices(MachineArch arch) {\n"
                + "    return Set.of(\"generic_pic\", \"generic_ioapic\", \"generic_pit\");\n  }\n"
                + "  public int maxVcpus() { return 4; }\n"
                + "  public Partition createPartition(PartitionConfig c) throws HypervisorException {\n"
                + "    throw new HypervisorException(\"" + CREATED + "\");\n  }\n"
                + "}\n";
    }

    private static CliHarness jvmm(String... args) {
        // no test reads the console: an empty stdin, so nothing waits on the terminal
        InputStream in = System.in;
        try {
            System.setIn(new ByteArrayInputStream(new byte[0]));
            return CliHarness.run(args);
        } finally {
            System.setIn(in);
        }
    }

    private Path manifest(String name, Consumer<ObjectNode> change) throws Exception {
        CliHarness base = jvmm("manifest", "--serial", "1=none");
        assertEquals(0, base.exitCode(), base.err());
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = (ObjectNode) json.readTree(base.out());
        change.accept(doc);
        Path file = dir.resolve(name + ".json");
        Files.writeString(file, json.writeValueAsString(doc));
        return file;
    }

    private static ObjectNode device(ObjectNode doc, int index) {
        return (ObjectNode) ((ArrayNode) doc.get("devices")).get(index);
    }

    private static List<String> messages(CliHarness r) {
        return r.err().lines().toList();
    }

    @Test
    void aGoodConfigurationGetsASummary() {
        CliHarness r = jvmm("check", "--serial", "1=none", "--firmware", POSTCODE, "--memory", "64M", "--cpus", "2",
                "--plugin-path", hypervisors.toString(), "--hypervisor", "recording");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("jvmm check: no problems found; 'jvmm run' with these options would start the VM", lines.get(0));
        assertEquals("  chipset     unenlightened-linux-direct x86_64", lines.get(1));
        assertTrue(lines.get(2).startsWith("  devices     14: generic_cmos_rtc, generic_pci_bus, hyperv_power_management, "
                + "serial-com1, "), lines.get(2));
        assertTrue(lines.get(2).endsWith("generic_ioapic (hypervisor), generic_pic (hypervisor), generic_pit (hypervisor)"),
                lines.get(2));
        assertEquals("  regions     13 port I/O, 0 MMIO", lines.get(3));
        assertTrue(lines.get(4).startsWith("  payload     firmware image '" + POSTCODE + "' ("), lines.get(4));
        assertEquals("  memory      64 MiB", lines.get(5));
        assertEquals("  vcpus       2", lines.get(6));
        assertEquals("  hypervisor  recording (available, at most 4 vCPUs per VM; no VM was created)", lines.get(7));
    }

    @Test
    void acpiTablesAskedForAFirmwareTooLargeForThemAreAConfigurationError() throws Exception {
        // 128 KiB of firmware: its low copy fills [0xE0000, 0x100000), where the tables would go
        Path big = Files.write(dir.resolve("big.bin"), new byte[128 * 1024]);
        CliHarness r = jvmm("check", "--acpi", "--firmware", big.toString(), "--plugin-path", hypervisors.toString(),
                "--hypervisor", "recording");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("--acpi: the ACPI tables [0xe0000, ") && r.err().contains("(drop --acpi)"),
                r.err());
        // without --acpi, firmware gets no tables and the same image is fine
        CliHarness plain = jvmm("check", "--firmware", big.toString(), "--plugin-path", hypervisors.toString(),
                "--hypervisor", "recording");
        assertEquals(0, plain.exitCode(), plain.err());
    }

    @Test
    void everyProblemIsReportedAtOnce() throws Exception {
        Path m = manifest("many", d -> {
            device(d, 0).with("config").put("register_width", 3);                   // rejected by the device
            device(d, 2).with("config").with("base").put("io_port", "0x2f8");       // COM3 onto COM2
            ((ArrayNode) d.get("devices")).addObject().put("name", "post").put("kind", "chipset_device")
                    .put("id", "postcode").putObject("config");                    // nobody provides it
        });
        Files.writeString(dir.resolve("notes.txt"), "hi\n");
        CliHarness r = jvmm("check", "--manifest", m.toString(), "--kernel", dir.resolve("notes.txt").toString(),
                "--on-reset", "never", "--plugin-path", hypervisors.toString(), "--hypervisor", "recording",
                "--cpus", "5");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(List.of(
                "jvmm: the manifest needs resources that no loaded module provides: post needs chipset_device:postcode; "
                        + "add the plugins that provide them (--plugin-path) or remove the devices",
                "jvmm: --on-reset: expected restart or exit, not 'never'",
                "jvmm: could not initialize serial-com1: device 'serial-com1': register_width must be 1 for a 16550 at an "
                        + "I/O port, was 3; use an \"mmio\" base for wider registers",
                "jvmm: static pio intercept region conflict: serial-com3/registers:0x2f8-0x2ff conflicts with existing "
                        + "serial-com2/registers:0x2f8-0x2ff",
                "jvmm: kernel '" + dir.resolve("notes.txt") + "' is neither a bzImage nor an ELF vmlinux (no 'HdrS' setup "
                        + "header at 0x202, no ELF magic); pass arch/x86/boot/bzImage or vmlinux",
                "jvmm: --cpus 5 is more than this host allows (4 vCPUs per VM); use --cpus 4 or fewer"), messages(r));
        assertEquals("", r.out());
    }

    @Test
    void checkOpensNoFileSocketOrPortAndCreatesNoVm() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // run would fail to listen on this port; check must not even try
            CliHarness r = jvmm("check", "--serial", "1=file=" + dir.resolve("com1.log"),
                    "--serial", "2=tcp=127.0.0.1:" + taken.getLocalPort(), "--debugcon", "0xe9=stdio",
                    "--log", dir.resolve("jvmm.log").toString(), "--api-socket", dir.resolve("vm.sock").toString(),
                    "--firmware", POSTCODE, "--plugin-path", hypervisors.toString(), "--hypervisor", "recording");
            assertEquals(0, r.exitCode(), r.err());
            assertFalse(r.err().contains(CREATED), r.err());
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "check created files");
        }
    }

    @Test
    void checkStillChecksTheHostSideItCanWithoutOpeningIt() {
        CliHarness r = jvmm("check", "--serial", "1=file=" + dir.resolve("nodir/com1.log"),
                "--serial", "2=tcp=no.such.host.invalid:4444", "--log", dir.resolve("nodir/jvmm.log").toString(),
                "--firmware", POSTCODE, "--plugin-path", hypervisors.toString(), "--hypervisor", "recording");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(List.of(
                "jvmm: --log " + dir.resolve("nodir/jvmm.log") + ": directory " + dir.resolve("nodir")
                        + " does not exist; create it or pick another path",
                "jvmm: could not initialize serial-com1: device 'serial-com1': serial output file '"
                        + dir.resolve("nodir/com1.log") + "': directory " + dir.resolve("nodir") + " does not exist; "
                        + "create it or pick another path",
                "jvmm: could not initialize serial-com2: device 'serial-com2': serial tcp backend cannot listen on "
                        + "no.such.host.invalid:4444: unknown host 'no.such.host.invalid'; pick a free port (or 0 for any) "
                        + "and an address of this host"), messages(r));
    }

    @Test
    void withoutAnAvailableHypervisorCheckSaysWhatItSkipped() {
        CliHarness r = jvmm("check", "--serial", "1=none", "--cpus", "64", "--plugin-path", hypervisors.toString(),
                "--hypervisor", "absent");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("  hypervisor  absent is not available here (no such device here); --cpus was not "
                + "checked against its vCPU limit\n"), r.out());
    }

    @Test
    void runReportsAConfigurationErrorBeforeItCreatesAPartition() throws Exception {
        Path overlap = manifest("overlap", d -> device(d, 1).with("config").with("base").put("io_port", "0x3f8"));
        CliHarness r = jvmm("run", "--manifest", overlap.toString(), "--firmware", POSTCODE,
                "--plugin-path", hypervisors.toString(), "--hypervisor", "recording");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("jvmm: detected 1 region conflict(s) while building the board:\n  - static pio intercept region "
                + "conflict: serial-com2/registers:0x3f8-0x3ff conflicts with existing serial-com1/registers:0x3f8-0x3ff",
                r.err().stripTrailing());
        assertFalse(r.err().contains(CREATED), r.err());

        // the same backend with a good configuration is asked for a partition: the check above was first
        CliHarness good = jvmm("run", "--serial", "1=none", "--firmware", POSTCODE,
                "--plugin-path", hypervisors.toString(), "--hypervisor", "recording");
        assertEquals(1, good.exitCode(), good.err());
        assertEquals("jvmm: could not create the VM: " + CREATED, good.err().stripTrailing());
    }

    @Test
    void runReportsABadImageBeforeItProbesTheHypervisor() throws Exception {
        Files.write(dir.resolve("tiny.bin"), new byte[15]);
        // 'absent' is not available: a probe would end the run with exit 1 instead
        CliHarness r = jvmm("run", "--serial", "1=none", "--firmware", dir.resolve("tiny.bin").toString(),
                "--plugin-path", hypervisors.toString(), "--hypervisor", "absent");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("jvmm: firmware image '" + dir.resolve("tiny.bin") + "' is 15 bytes; a firmware image must be at "
                + "least 16 bytes, since its last 16 bytes hold the reset vector", r.err().stripTrailing());
    }
}
