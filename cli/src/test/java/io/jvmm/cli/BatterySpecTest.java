package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.handles.FixedBatteryHandle;
import io.jvmm.api.handles.HostBatteryHandle;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code --battery} shorthand. */
class BatterySpecTest {
    private static HostBatteryUpdate fixed(String spec) {
        Resource<BatterySource> r = BatterySpec.parse(spec);
        assertEquals(ResourceKinds.BATTERY_SOURCE, r.kind());
        assertEquals(FixedBatteryHandle.ID, r.id());
        return ((FixedBatteryHandle) r.handle()).state();
    }

    @Test
    void percentIsOpenVmmsDefaultBatteryAtThatLevel() {
        assertEquals(HostBatteryUpdate.defaultPresent(), fixed("95%"));
        assertEquals(new HostBatteryUpdate(true, true, false, 1, 0, 1000, true), fixed("0%"));
        assertEquals(new HostBatteryUpdate(true, true, false, 1, 1000, 1000, true), fixed("100%"));
        assertEquals(new HostBatteryUpdate(true, true, false, 1, 70, 1000, true), fixed(" 7% "));
    }

    @Test
    void hostIsTheHostSourceWithDefaults() {
        Resource<BatterySource> r = BatterySpec.parse("HOST");
        assertEquals("battery_source:host", r.key());
        assertEquals(new HostBatteryHandle("/sys/class/power_supply", 5000), r.handle());
    }

    @ParameterizedTest
    @ValueSource(strings = {"absent", "none", "None"})
    void absentAndNoneAreNoBatteryNoAc(String spec) {
        assertEquals(HostBatteryUpdate.ABSENT, fixed(spec));
    }

    @Test
    void fullForm() {
        assertEquals(new HostBatteryUpdate(true, true, false, 1500, 40000, 50000, true),
                fixed("present,charging,rate=1500,remaining=40000,max=50000,ac"));
        assertEquals(new HostBatteryUpdate(true, false, true, 45, 20, 100, false),
                fixed("max=100,remaining=20,discharging,rate=45"));
        assertEquals(new HostBatteryUpdate(true, false, false, 0, 100, 100, true),
                fixed("idle,remaining=100,max=100,ac"));
        assertEquals(new HostBatteryUpdate(true, false, false, 0, 5, 10, false),
                fixed("Present,Remaining=5,Max=10,No-AC"));
        assertEquals(new HostBatteryUpdate(false, false, false, 0, 0, 0, true), fixed("absent,ac"));
        assertEquals(new HostBatteryUpdate(true, false, false, 0, 4294967295L, 4294967295L, false),
                fixed("remaining=4294967295,max=4294967295"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "\"\"|is empty",
        "\"  \"|is empty",
        "101%|'101%' is not a whole percentage",
        "-1%|'-1%' is not a whole percentage",
        "9.5%|'9.5%' is not a whole percentage",
        "%|'%' is not a whole percentage",
        "+5%|'+5%' is not a whole percentage",
        "full|unknown part 'full'",
        "present,charging,remaining=1,max=2,ac,turbo|unknown part 'turbo'",
        "present,remaining=1|needs remaining=MWH and max=MWH",
        "present,charging|needs remaining=MWH and max=MWH",
        "remaining=1,max=0|max=0",
        "remaining=11,max=10|remaining=11 is above max=10",
        "rate=x,remaining=1,max=2|'rate=x' needs a decimal number",
        "rate=,remaining=1,max=2|'rate=' needs a decimal number",
        "rate=-5,remaining=1,max=2|'rate=-5' needs a decimal number",
        "remaining=1,max=4294967296|'max=4294967296' is above 4294967295",
        "remaining=1,max=99999999999999999999|'max=99999999999999999999' needs a decimal number",
        "voltage=5,remaining=1,max=2|unknown setting 'voltage'",
        "charging,discharging,remaining=1,max=2|'discharging': 'charging' was already given",
        "present,absent|presence given twice",
        "ac,no-ac,remaining=1,max=2|AC state given twice",
        "remaining=1,remaining=1,max=2|'remaining=1': given twice",
        "absent,charging|an absent battery takes only ac or no-ac",
        "absent,max=5|an absent battery takes only ac or no-ac",
        "present,,remaining=1,max=2|empty part",
        "remaining=1,max=2,|empty part",
    })
    void errorsNameTheBadPartAndShowTheSyntax(String spec, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatterySpec.parse(spec));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("battery spec '"), e.getMessage());
        assertTrue(e.getMessage().endsWith("expected " + BatterySpec.SYNTAX), e.getMessage());
    }

    @Test
    void nullIsAnErrorNotAnNpe() {
        assertThrows(IllegalArgumentException.class, () -> BatterySpec.parse(null));
    }

    @Test
    void parseStateRejectsHost() {
        assertEquals(HostBatteryUpdate.defaultPresent(), BatterySpec.parseState("95%"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatterySpec.parseState("host"));
        assertTrue(e.getMessage().contains("not a battery state"), e.getMessage());
    }

    @Test
    void hostHandleValidates() {
        assertThrows(IllegalArgumentException.class, () -> new HostBatteryHandle(" ", 5000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new HostBatteryHandle("/sys/class/power_supply", 99));
        assertTrue(e.getMessage().contains("at least 100 ms"), e.getMessage());
    }
}
