package io.jvmm.runtime.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ACPICA's own tools judge the tables: {@code iasl -d} (Debian acpica-tools) disassembles every
 * generated table without an error or a warning, and the disassembled DSDT compiles again cleanly.
 * The RSDP is not a table with a standard header, and iasl refuses a file holding only an RSDP
 * ("does not contain a valid ACPI table"); {@link AcpiTablesTest} checks its two checksums.
 * Skips, saying so, where iasl is not installed.
 */
class IaslDisassemblyTest {
    private static Path iasl() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "iasl");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl timed out");
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    @Test
    void iaslDisassemblesEveryTableCleanly(@TempDir Path dir) throws Exception {
        Path iasl = iasl();
        Assumptions.assumeTrue(iasl != null, "iasl not installed (Debian: apt-get install acpica-tools): "
                + "cannot check the tables with ACPICA's disassembler");
        List<String> failures = new ArrayList<>();
        for (AcpiPlatform platform : List.of(AcpiTablesTest.pc(1), AcpiTablesTest.pc(4), AcpiTablesTest.laptop(2),
                new AcpiPlatform(2, java.util.Optional.empty(), true, false, false, false, 0, false, true,
                        List.of()))) {
            AcpiTables tables = AcpiTableBuilder.build(platform);
            for (AcpiTables.Table t : tables.tables()) {
                if (t.signature().equals("RSD PTR ")) {
                    continue;
                }
                String name = t.signature().toLowerCase(Locale.ROOT);
                Path dat = dir.resolve(name + ".dat");
                Files.write(dat, t.bytes());
                String out = run(dir, iasl.toString(), "-d", dat.getFileName().toString());
                Path dsl = dir.resolve(name + ".dsl");
                String listing = Files.readString(dsl, StandardCharsets.ISO_8859_1);
                if (problem(out) || problem(listing)) {
                    failures.add(t.signature() + " (" + platform.vcpus() + " vCPUs):\n" + out + "\n" + listing);
                }
                if (t.signature().equals("DSDT")) {
                    // the AML must survive a round trip through the compiler: no errors, warnings or remarks
                    String compiled = run(dir, iasl.toString(), "-p", "recompiled", dsl.getFileName().toString());
                    if (!compiled.contains("0 Errors, 0 Warnings, 0 Remarks")) {
                        failures.add("DSDT recompile:\n" + compiled + "\n" + listing);
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), () -> String.join("\n\n", failures));
    }

    /** iasl reports problems as "Error", "Warning" or an invalid checksum in its output or listing. */
    private static boolean problem(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        return lower.contains("error") || lower.contains("warning") || lower.contains("incorrect")
                || lower.contains("invalid");
    }
}
