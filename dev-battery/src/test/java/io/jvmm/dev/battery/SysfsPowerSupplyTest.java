package io.jvmm.dev.battery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.api.battery.HostBatteryUpdate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading fake {@code power_supply} trees, as various drivers lay them out. */
class SysfsPowerSupplyTest {
    @TempDir
    Path root;

    /** Writes one supply directory; values get the trailing newline sysfs has. */
    static void supply(Path root, String name, Map<String, String> files) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(dir.resolve(f.getKey()), f.getValue() + "\n");
        }
    }

    static void mains(Path root, boolean online) throws IOException {
        supply(root, "AC", Map.of("type", "Mains", "online", online ? "1" : "0"));
    }

    @Test
    void chargingBatteryWithEnergyFiles() throws IOException {
        mains(root, true);
        supply(root, "BAT0", Map.of("type", "Battery", "present", "1", "status", "Charging",
                "power_now", "15500000", "energy_now", "40000000", "energy_full", "50000000"));
        assertEquals(new HostBatteryUpdate(true, true, false, 15500, 40000, 50000, true),
                SysfsPowerSupply.read(root));
    }

    @Test
    void dischargingBatteryWithChargeFilesUsesTheDesignVoltage() throws IOException {
        mains(root, false);
        // 2 A at 12 V now; 3000 mAh of 4000 mAh at 11.1 V design
        supply(root, "BAT0", Map.of("type", "Battery", "status", "Discharging",
                "current_now", "2000000", "voltage_now", "12000000", "voltage_min_design", "11100000",
                "charge_now", "3000000", "charge_full", "4000000"));
        assertEquals(new HostBatteryUpdate(true, false, true, 24000, 33300, 44400, false),
                SysfsPowerSupply.read(root));
    }

    @Test
    void chargeFilesFallBackToVoltageNowAndSignedCurrent() throws IOException {
        supply(root, "BAT1", Map.of("type", "Battery", "status", "Discharging",
                "current_now", "-1500000", "voltage_now", "10000000",
                "charge_now", "1000000", "charge_full_design", "2000000"));
        assertEquals(new HostBatteryUpdate(true, false, true, 15000, 10000, 20000, false),
                SysfsPowerSupply.read(root));
    }

    @Test
    void fullBatteryIsNeitherChargingNorDischarging() throws IOException {
        mains(root, true);
        supply(root, "BAT0", Map.of("type", "Battery", "status", "Full", "power_now", "0",
                "energy_now", "50000000", "energy_full", "50000000"));
        assertEquals(new HostBatteryUpdate(true, false, false, 0, 50000, 50000, true),
                SysfsPowerSupply.read(root));
    }

    @Test
    void notChargingIsNeither() throws IOException {
        mains(root, true);
        supply(root, "BAT0", Map.of("type", "Battery", "status", "Not charging",
                "energy_now", "30000000", "energy_full", "50000000"));
        HostBatteryUpdate u = SysfsPowerSupply.read(root);
        assertEquals(new HostBatteryUpdate(true, false, false, 0, 30000, 50000, true), u);
    }

    @Test
    void noBatteryWithMainsOnlineIsAbsentWithAc() throws IOException {
        mains(root, true);
        assertEquals(new HostBatteryUpdate(false, false, false, 0, 0, 0, true), SysfsPowerSupply.read(root));
    }

    @Test
    void usbSupplyCountsAsAc() throws IOException {
        mains(root, false);
        supply(root, "ucsi-source-psy-USBC000:001", Map.of("type", "USB", "online", "1"));
        assertEquals(new HostBatteryUpdate(false, false, false, 0, 0, 0, true), SysfsPowerSupply.read(root));
    }

    @Test
    void emptyOrMissingTreeIsAbsent() {
        assertEquals(HostBatteryUpdate.ABSENT, SysfsPowerSupply.read(root));
        assertEquals(HostBatteryUpdate.ABSENT, SysfsPowerSupply.read(root.resolve("no-such-dir")));
    }

    @Test
    void twoBatteriesAreSummed() throws IOException {
        mains(root, false);
        supply(root, "BAT0", Map.of("type", "Battery", "status", "Discharging", "power_now", "5000000",
                "energy_now", "10000000", "energy_full", "20000000"));
        supply(root, "BAT1", Map.of("type", "Battery", "status", "Full", "power_now", "0",
                "energy_now", "30000000", "energy_full", "30000000"));
        assertEquals(new HostBatteryUpdate(true, false, true, 5000, 40000, 50000, false),
                SysfsPowerSupply.read(root));
    }

    @Test
    void oneChargingBatteryMakesTheSumCharging() throws IOException {
        mains(root, true);
        supply(root, "BAT0", Map.of("type", "Battery", "status", "Charging", "power_now", "5000000",
                "energy_now", "10000000", "energy_full", "20000000"));
        supply(root, "BAT1", Map.of("type", "Battery", "status", "Discharging", "power_now", "1000000",
                "energy_now", "10000000", "energy_full", "20000000"));
        HostBatteryUpdate u = SysfsPowerSupply.read(root);
        assertEquals(true, u.charging());
        assertEquals(false, u.discharging());
        assertEquals(6000, u.rateMilliwatts());
    }

    @Test
    void emptyBayAndPeripheralBatteriesAreIgnored() throws IOException {
        supply(root, "BAT1", Map.of("type", "Battery", "present", "0", "status", "Unknown"));
        supply(root, "hidpp_battery_0", Map.of("type", "Battery", "scope", "Device", "status", "Discharging",
                "energy_now", "1000000", "energy_full", "2000000"));
        supply(root, "ups", Map.of("type", "UPS", "online", "1"));
        assertEquals(HostBatteryUpdate.ABSENT, SysfsPowerSupply.read(root));
    }

    @Test
    void missingAndUnreadableFilesAreMissingValues() throws IOException {
        mains(root, true);
        // no power file, garbage in energy_now, energy_full is a directory (read fails)
        supply(root, "BAT0", Map.of("type", "Battery", "status", "Charging", "energy_now", "n/a",
                "capacity", "40", "energy_full_design", "50000000"));
        Files.createDirectories(root.resolve("BAT0").resolve("energy_full"));
        assertEquals(new HostBatteryUpdate(true, true, false, 0, 20000, 50000, true),
                SysfsPowerSupply.read(root));
    }

    @Test
    void batteryWithoutAnyCapacityIsPresentWithMaxZero() throws IOException {
        supply(root, "BAT0", Map.of("type", "Battery", "status", "Discharging"));
        assertEquals(new HostBatteryUpdate(true, false, true, 0, 0, 0, false), SysfsPowerSupply.read(root));
    }

    @Test
    void remainingAboveFullIsClamped() throws IOException {
        supply(root, "BAT0", Map.of("type", "Battery", "status", "Charging",
                "energy_now", "51000000", "energy_full", "50000000"));
        assertEquals(50000, SysfsPowerSupply.read(root).remainingMilliwattHours());
    }

    @Test
    void supplyWithoutTypeAndStrayFilesAreSkipped() throws IOException {
        supply(root, "weird", Map.of("online", "1"));
        Files.writeString(root.resolve("not-a-dir"), "x");
        assertEquals(HostBatteryUpdate.ABSENT, SysfsPowerSupply.read(root));
    }
}
