package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemorySizeTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "256M, 268435456",
        "2G, 2147483648",
        "512K, 524288",
        "1073741824, 1073741824",
        "1g, 1073741824",
        "1T, 1099511627776",
        "4096b, 4096",
        "64MiB, 67108864",
        "64MB, 67108864",
        "'  3 G ', 3221225472",
        "0, 0",
        "8589934591G, 9223372035781033984",
    })
    void parsesBinaryUnits(String text, long bytes) throws ConfigurationException {
        assertEquals(bytes, MemorySize.parse("--memory", text));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "abc | invalid --memory 'abc': expected a whole number with an optional binary unit K, M, G or T, such as 512M or 2G",
        "-1 | invalid --memory '-1': must be a positive size such as 512M or 2G",
        "10X | invalid --memory '10X': unknown unit 'X' (use K, M, G or T; units are binary, 1M = 1 MiB)",
        "1.5G | invalid --memory '1.5G': expected a whole number with an optional binary unit K, M, G or T, such as 512M or 2G",
        "8589934592G | invalid --memory '8589934592G': too large",
        "99999999999999999999 | invalid --memory '99999999999999999999': too large",
        "M | invalid --memory 'M': expected a whole number with an optional binary unit K, M, G or T, such as 512M or 2G",
    })
    void rejectsNonSizes(String text, String message) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> MemorySize.parse("--memory", text));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsMissingValue() {
        assertEquals("missing --memory value: expected a size such as 512M or 2G",
                assertThrows(ConfigurationException.class, () -> MemorySize.parse("--memory", " ")).getMessage());
        assertThrows(ConfigurationException.class, () -> MemorySize.parse("--memory", null));
    }

    @Test
    void formatsInTheLargestExactUnit() {
        assertEquals("256 MiB", MemorySize.format(256L << 20));
        assertEquals("3 GiB", MemorySize.format(3L << 30));
        assertEquals("1536 MiB", MemorySize.format(1536L << 20));
        assertEquals("2 TiB", MemorySize.format(2L << 40));
        assertEquals("12 KiB", MemorySize.format(12 * 1024));
        assertEquals("4097 B", MemorySize.format(4097));
        assertEquals("0 B", MemorySize.format(0));
    }
}
