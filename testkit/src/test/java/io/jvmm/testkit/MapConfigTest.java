package io.jvmm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResourceKinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MapConfigTest {
    @Test
    void readsNumbersBooleansStringsAndResources() {
        MapConfig c = new MapConfig(Map.of("port", 0x3F8L, "irq", 4, "base", "0xFED00000", "big", "0xFFFFFFFFFFFFFFFF",
                "on", true, "name", "com1", "backend", DisconnectedSerialHandle.resource()));
        assertEquals(0x3F8, c.u16("port"));
        assertEquals(4, c.u8("irq"));
        assertEquals(0xFED0_0000L, c.u32("base"));
        assertEquals(-1L, c.u64("big"));
        assertTrue(c.bool("on"));
        assertTrue(c.bool("absent", true));
        assertEquals("com1", c.string("name"));
        assertEquals(DisconnectedSerialHandle.resource(), c.resource("backend", ResourceKinds.SERIAL_BACKEND));
        assertTrue(c.has("port"));
        assertFalse(c.has("absent"));
    }

    @Test
    void errorsNameThePath() {
        MapConfig c = new MapConfig(Map.of("irq", 300L, "name", 5L, "backend", DisconnectedSerialHandle.resource()));
        ConfigException range = assertThrows(ConfigException.class, () -> c.u8("irq"));
        assertEquals("$.config.irq", range.path());
        assertTrue(range.getMessage().contains("[0, 255]"), range.getMessage());
        assertEquals("$.config.port", assertThrows(ConfigException.class, () -> c.u16("port")).path());
        assertEquals("$.config.name", assertThrows(ConfigException.class, () -> c.string("name")).path());
        assertThrows(ConfigException.class, () -> c.resource("backend", ResourceKinds.BATTERY_SOURCE));
        assertThrows(ConfigException.class, () -> c.objects("name"));
    }

    @Test
    void nestedObjectsAndListsHaveTheirOwnPaths() {
        MapConfig c = new MapConfig(Map.of("ranges", List.of(Map.of("start", 1L), Map.of("start", 2L)),
                "extra", Map.of("flag", false)));
        List<ConfigReader> ranges = c.objects("ranges");
        assertEquals(2, ranges.size());
        assertEquals(2, ranges.get(1).u8("start"));
        assertEquals("$.config.ranges[1]", ranges.get(1).path());
        assertEquals("$.config.ranges[0].end", assertThrows(ConfigException.class,
                () -> ranges.get(0).u8("end")).path());
        assertFalse(c.object("extra").orElseThrow().bool("flag"));
        assertTrue(c.object("absent").isEmpty());
    }

    @Test
    void reportsEveryKeyNothingReadWithItsPathNestedOnesIncluded() {
        MapConfig config = new MapConfig(Map.of("port", "0x80", "prot", 1, "base", Map.of("io_port", 0x3f8, "extra", true)));
        assertTrue(config.has("prot"), "has() alone does not count as reading");
        config.u16("port");
        config.object("base").orElseThrow().u16("io_port");
        assertEquals(List.of("$.config.base.extra", "$.config.prot"), config.unreadKeys());
        AssertionError e = assertThrows(AssertionError.class, config::assertAllRead);
        assertEquals("config keys that were never read: $.config.base.extra, $.config.prot", e.getMessage());

        config.u32("prot");
        config.object("base").orElseThrow().bool("extra");
        assertEquals(List.of(), config.unreadKeys());
        config.assertAllRead();
    }

    @Test
    void aListOfObjectsCountsEachElementsKeys() {
        MapConfig config = new MapConfig(Map.of("pio", List.of(Map.of("name", "delay", "start", 0xed))));
        config.objects("pio").get(0).string("name");
        assertEquals(List.of("$.config.pio[0].start"), config.unreadKeys());
    }
}
