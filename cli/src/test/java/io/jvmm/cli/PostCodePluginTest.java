package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's plugin guide, as a test: the examples/dev-postcode sources are compiled against the
 * api alone, jarred into a plugin directory, added to a manifest and run with a guest that writes
 * POST codes and powers off.
 */
@ScaledTimeout(120)
class PostCodePluginTest {
    static final Path GUEST_DIR = Path.of("src", "test", "guests-postcode");
    static final Path GUEST = GUEST_DIR.resolve("postcode.bin");

    @TempDir
    Path dir;

    @Test
    void committedGuestMatchesItsSource() throws Exception {
        assumeTrue(DemoGuestImageTest.hasBinutils(), "GNU as/ld not installed: cannot rebuild postcode.S");
        Process p = new ProcessBuilder("sh", GUEST_DIR.resolve("build.sh").toString(), dir.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        assertArrayEquals(Files.readAllBytes(GUEST), Files.readAllBytes(dir.resolve("postcode.bin")),
                "postcode.bin is stale: run cli/src/test/guests-postcode/build.sh and commit the result");
    }

    @Test
    void exampleBuildsAgainstTheApiAloneAndIsListedByPlugins() throws Exception {
        Path plugins = dir.resolve("plugins");
        Path jar = new PluginJars(dir).postcodeExample(plugins);
        assertTrue(Files.size(jar) > 0);

        CliHarness r = CliHarness.run("plugins", "--plugin-path", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s*chipset_device\\s+postcode\\s+com\\.example\\.postcode\\s+-\\s+"
                + java.util.regex.Pattern.quote(apiVersion()) + "\\s+dev-postcode\\.jar")),
                r.out());
        assertFalse(r.out().contains("Failed providers"), r.out());
    }

    @Test
    void manifestWithThePluginDeviceRoundTrips() throws Exception {
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).postcodeExample(plugins);
        Path doc = manifestWithPostcode(plugins, "{\"port\": \"0x80\"}");

        CliHarness again = CliHarness.run("manifest", "--manifest", doc.toString(), "--plugin-path", plugins.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertEquals(Files.readString(doc), again.out());
        // the handle writes its own config: the port as hex, the default filled in when left out
        assertTrue(again.out().contains("\"id\" : \"postcode\"") || again.out().contains("\"id\": \"postcode\""), again.out());
        Path defaulted = manifestWithPostcode(plugins, "{}");
        CliHarness filled = CliHarness.run("manifest", "--manifest", defaulted.toString(), "--plugin-path", plugins.toString());
        assertEquals(0, filled.exitCode(), filled.err());
        assertEquals(again.out(), filled.out(), "an empty config means port 0x80");
    }

    @Test
    void unknownConfigKeyOfThePluginIsReportedWithItsPath() throws Exception {
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).postcodeExample(plugins);
        Path doc = manifestWithPostcode(plugins, "{\"port\": \"0x80\", \"colour\": \"red\"}");
        CliHarness r = CliHarness.run("manifest", "--manifest", doc.toString(), "--plugin-path", plugins.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().matches("(?s)jvmm: --manifest .*: \\$\\.devices\\[\\d+\\]\\.config\\.colour: unknown key \"colour\"; known keys: port\\R"),
                r.err());
    }

    @Test
    void withoutThePluginTheDeviceIsNamedAsMissing() throws Exception {
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).postcodeExample(plugins);
        Path doc = manifestWithPostcode(plugins, "{}");
        CliHarness r = CliHarness.run("run", "--manifest", doc.toString(), "--firmware", GUEST.toString());
        assertEquals(2, r.exitCode());
        assertEquals("jvmm: the manifest needs resources that no loaded module provides: post needs chipset_device:postcode; "
                + "add the plugins that provide them (--plugin-path) or remove the devices\n", r.err());
    }

    @Test
    @RequiresKvm
    void guestPostCodesAreRecordedAndPrintedWhenTheVmStops() throws Exception {
        VmHarness.kvm();
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).postcodeExample(plugins);
        Path doc = manifestWithPostcode(plugins, "{\"port\": \"0x80\"}");

        PrintStream err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream deviceOutput = new ByteArrayOutputStream();
        CliHarness r;
        try {
            System.setIn(new ByteArrayInputStream(new byte[0]));
            System.setErr(new PrintStream(deviceOutput, true, StandardCharsets.UTF_8));
            r = CliHarness.run("run", "--manifest", doc.toString(), "--plugin-path", plugins.toString(),
                    "--firmware", GUEST.toString());
        } finally {
            System.setErr(err);
            System.setIn(in);
        }
        String printed = deviceOutput.toString(StandardCharsets.UTF_8);
        assertEquals(0, r.exitCode(), r.err() + printed);
        Matcher m = Pattern.compile("POST codes \\(post\\): 0x01 at (\\d+\\.\\d{3}) s, 0x02 at (\\d+\\.\\d{3}) s, "
                + "0x55 at (\\d+\\.\\d{3}) s, 0xaa at (\\d+\\.\\d{3}) s\\R").matcher(printed);
        assertTrue(m.find(), "the four codes, in order, once, and not the 0xee written after a failed power-off: " + printed);
        double previous = 0;
        double latest = TestTime.seconds(60).toMillis() / 1000.0; // VM time passes at the wall clock's rate
        for (int i = 1; i <= 4; i++) {
            double t = Double.parseDouble(m.group(i));
            assertTrue(t >= previous && t < latest, "timestamps are VM time since the device was built, in order: "
                    + printed);
            previous = t;
        }
        assertFalse(m.find(), "printed once, at the final stop: " + printed);
    }

    /** The version of io.jvmm.api here, which javac records in the plugin's {@code requires}. */
    private static String apiVersion() {
        return ModuleLayer.boot().findModule("io.jvmm.api").orElseThrow().getDescriptor().version().orElseThrow().toString();
    }

    /** {@code jvmm manifest --serial 1=none} plus a postcode device named "post" with {@code config}. */
    private Path manifestWithPostcode(Path plugins, String config) throws Exception {
        CliHarness base = CliHarness.run("manifest", "--serial", "1=none");
        assertEquals(0, base.exitCode(), base.err());
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = (ObjectNode) json.readTree(base.out());
        ObjectNode device = ((ArrayNode) doc.get("devices")).addObject();
        device.put("name", "post").put("kind", "chipset_device").put("id", "postcode");
        device.set("config", json.readTree(config));
        Path file = dir.resolve("vm-" + Integer.toHexString(config.hashCode()) + ".json");
        Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        // then as jvmm writes it (when it can read it), so a round trip compares like with like
        CliHarness normalized = CliHarness.run("manifest", "--manifest", file.toString(), "--plugin-path", plugins.toString());
        if (normalized.exitCode() == 0) {
            Files.writeString(file, normalized.out());
        }
        assertTrue(List.of(0, 2).contains(normalized.exitCode()), normalized.err());
        return file;
    }
}
