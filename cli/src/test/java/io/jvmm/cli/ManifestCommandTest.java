package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvmm manifest}: the document {@code run} would use, and it round-trips through --manifest. */
@ScaledTimeout(120)
class ManifestCommandTest {
    @TempDir
    Path dir;

    @Test
    void defaultDocumentDescribesTheDefaultChipset() throws Exception {
        CliHarness r = CliHarness.run("manifest");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertEquals(1, doc.get("version").asInt());
        assertEquals("unenlightened-linux-direct", doc.get("chipset").get("type").asText());
        assertEquals("x86_64", doc.get("chipset").get("arch").asText());
        JsonNode com1 = doc.get("devices").get(0);
        assertEquals("serial-com1", com1.get("name").asText());
        assertEquals("stdio", com1.get("config").get("io").get("id").asText(), "COM1 on the terminal by default");
    }

    @Test
    void optionsShowUpInTheDocument() throws Exception {
        CliHarness r = CliHarness.run("manifest", "--serial", "1=tcp=127.0.0.1:4444", "--serial", "2=file=/tmp/com2.log",
                "--debugcon", "0xe9=none", "--battery", "75%", "--serial-wait-for-rts");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        JsonNode com1 = device(doc, "serial-com1").get("config");
        assertEquals("tcp", com1.get("io").get("id").asText());
        assertEquals(4444, com1.get("io").get("config").get("port").asInt());
        assertTrue(com1.get("wait_for_rts").asBoolean());
        assertEquals("/tmp/com2.log", device(doc, "serial-com2").get("config").get("io").get("config").get("path").asText());
        assertEquals("0xe9", device(doc, "debugcon-0xe9").get("config").get("port").asText());
        assertEquals("fixed", device(doc, "battery").get("config").get("source").get("id").asText());
        assertNotEquals(CliHarness.run("manifest").out(), r.out());
    }

    @Test
    void virtioConsoleOnStdioTakesTheTerminalFromCom1AndRoundTrips() throws Exception {
        CliHarness r = CliHarness.run("manifest", "--virtio-console", "stdio");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        JsonNode console = device(doc, "virtio-console");
        assertEquals("virtio_console", console.get("id").asText());
        assertEquals(5, console.get("config").get("pci_device").asInt(), "PCI 00:05.0");
        assertEquals("stdio", console.get("config").get("io").get("id").asText());
        assertEquals("disconnected", device(doc, "serial-com1").get("config").get("io").get("id").asText(),
                "COM1 leaves the terminal to hvc0");
        Path file = dir.resolve("console.json");
        Files.writeString(file, r.out());
        CliHarness again = CliHarness.run("manifest", "--manifest", file.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertEquals(r.out(), again.out(), "round-trips");

        CliHarness tcp = CliHarness.run("manifest", "--virtio-console", "tcp=127.0.0.1:4555");
        assertEquals(0, tcp.exitCode(), tcp.err());
        JsonNode t = new ObjectMapper().readTree(tcp.out());
        assertEquals(4555, device(t, "virtio-console").get("config").get("io").get("config").get("port").asInt());
        assertEquals("stdio", device(t, "serial-com1").get("config").get("io").get("id").asText(), "COM1 keeps stdio");
    }

    @Test
    void everyChipsetTypeAndArchitecturePrintsAndRoundTrips() throws Exception {
        String[][] variants = {
            {"--chipset", "hyperv-gen1"}, {"--chipset", "hyperv-gen2-uefi"}, {"--chipset", "hyperv-gen2-linux-direct"},
            {"--chipset", "hcl-host"}, {"--arch", "aarch64"}, {"--chipset", "hyperv-gen1", "--proxy-vga", "--stub-floppy"},
            {"--framebuffer", "--guest-watchdog", "--psp"},
        };
        for (String[] v : variants) {
            String[] args = new String[v.length + 1];
            args[0] = "manifest";
            System.arraycopy(v, 0, args, 1, v.length);
            CliHarness first = CliHarness.run(args);
            assertEquals(0, first.exitCode(), String.join(" ", v) + ": " + first.err());
            Path file = dir.resolve("vm.json");
            Files.writeString(file, first.out());
            CliHarness second = CliHarness.run("manifest", "--manifest", file.toString());
            assertEquals(0, second.exitCode(), second.err());
            assertEquals(first.out(), second.out(), String.join(" ", v) + " round-trips");
        }
    }

    /** The document from 'manifest' boots the same VM as 'run' with the same options. */
    @Test
    @RequiresKvm
    void runWithThePrintedDocumentBehavesLikeRunWithTheOptions() throws Exception {
        VmHarness.kvm();
        String[] options = {"--serial-wait-for-rts", "--battery", "95%"};
        CliHarness m = CliHarness.run(concat(new String[] {"manifest"}, options));
        assertEquals(0, m.exitCode(), m.err());
        Path file = dir.resolve("vm.json");
        Files.writeString(file, m.out());

        String direct = demoTranscript(concat(new String[] {"run"}, options));
        String viaManifest = demoTranscript("run", "--manifest", file.toString());
        assertTrue(direct.contains("battery: 95% charging, AC online"), direct);
        // the RTC line differs by the seconds it took; everything else is the same guest on the same chipset
        assertEquals(withoutRtc(direct), withoutRtc(viaManifest));
    }

    private static String demoTranscript(String... args) {
        InputStream in = System.in;
        PrintStream out = System.out;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        CliHarness r;
        try {
            System.setIn(new ByteArrayInputStream("same\r".getBytes(StandardCharsets.US_ASCII)));
            System.setOut(new PrintStream(console, true, StandardCharsets.US_ASCII));
            r = CliHarness.run(args);
        } finally {
            System.setIn(in);
            System.setOut(out);
        }
        assertEquals(0, r.exitCode(), r.err());
        return console.toString(StandardCharsets.US_ASCII);
    }

    private static JsonNode device(JsonNode doc, String name) {
        for (JsonNode d : doc.get("devices")) {
            if (d.get("name").asText().equals(name)) {
                return d;
            }
        }
        throw new AssertionError("no device " + name + " in " + doc);
    }

    private static String withoutRtc(String transcript) {
        return transcript.replaceAll("RTC: [^\r\n]*", "RTC: …");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
