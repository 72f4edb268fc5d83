package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MachineConfigTest {
    @Test
    void acceptsValidSettings() throws ConfigurationException {
        assertEquals(new MachineConfig(256L << 20, 2), MachineConfig.parse("256M", "2", 2));
        assertEquals(new MachineConfig(1L << 20, 1), MachineConfig.parse("1M", " 1 ", 8));
        assertEquals(new MachineConfig(6L << 30, 4), MachineConfig.of(6L << 30, 4, 4));
    }

    @ParameterizedTest(name = "--memory {0} --cpus {1}")
    @CsvSource(delimiter = '|', value = {
        "0 | 1 | invalid --memory '0': must be at least 1 MiB",
        "512K | 1 | invalid --memory '512K': must be at least 1 MiB",
        "1073741825 | 1 | invalid --memory '1073741825': must be a multiple of 4 KiB (1073741825 bytes is not)",
        "abc | 1 | invalid --memory 'abc': expected a whole number with an optional binary unit K, M, G or T, such as 512M or 2G",
        "-1 | 1 | invalid --memory '-1': must be a positive size such as 512M or 2G",
        "256M | 0 | invalid --cpus '0': a VM needs at least 1 vCPU",
        "256M | -2 | invalid --cpus '-2': a VM needs at least 1 vCPU",
        "256M | two | invalid --cpus 'two': expected a whole number of vCPUs such as 2",
        "256M | 99999999999 | invalid --cpus '99999999999': far more vCPUs than any host allows",
        "256M | 3 | --cpus 3 is more than this host allows (2 vCPUs per VM); use --cpus 2 or fewer",
    })
    void rejectsWithUserFacingMessages(String memory, String vcpus, String message) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> MachineConfig.parse(memory, vcpus, 2));
        assertEquals(message, e.getMessage());
    }

    @Test
    void numericValidationNamesTheNumbers() {
        assertEquals("invalid --memory '0': must be at least 1 MiB",
                assertThrows(ConfigurationException.class, () -> MachineConfig.of(0, 1, 4)).getMessage());
        assertEquals("invalid --cpus '0': a VM needs at least 1 vCPU",
                assertThrows(ConfigurationException.class, () -> MachineConfig.of(1L << 30, 0, 4)).getMessage());
        assertEquals("--cpus 64 is more than this host allows (4 vCPUs per VM); use --cpus 4 or fewer",
                assertThrows(ConfigurationException.class, () -> MachineConfig.of(1L << 30, 64, 4)).getMessage());
    }

    @Test
    void constructorRefusesUnvalidatedValues() {
        assertThrows(IllegalArgumentException.class, () -> new MachineConfig(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new MachineConfig(1L << 20, 0));
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.of(1L << 20, 1, 0));
    }
}
