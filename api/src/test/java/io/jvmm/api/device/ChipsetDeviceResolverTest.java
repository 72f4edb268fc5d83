package io.jvmm.api.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChipsetDeviceResolverTest {
    record PortHandle(int port) implements ResourceHandle {
        static PortHandle parse(ConfigReader config) {
            return new PortHandle(0x80);
        }

        @Override
        public void writeConfig(ConfigWriter out) {}
    }

    static final class PortResolver extends ChipsetDeviceResolver<PortHandle> {
        PortResolver() {
            super("port_dev", PortHandle.class, PortHandle::parse);
        }

        @Override
        public ChipsetDevice resolve(PortHandle handle, ResolveContext context) {
            return () -> Capabilities.NONE;
        }
    }

    @Test
    void answersTheBoilerplateFromItsConstructor() {
        ResourceResolver<PortHandle, ChipsetDevice> r = new PortResolver();
        assertSame(ResourceKinds.CHIPSET_DEVICE, r.kind());
        assertEquals("port_dev", r.id());
        assertSame(PortHandle.class, r.handleType());
        assertEquals(new PortHandle(0x80), r.parseHandle(null));
    }

    @Test
    void refusesANullId() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> new ChipsetDeviceResolver<PortHandle>(null, PortHandle.class, PortHandle::parse) {
                    @Override
                    public ChipsetDevice resolve(PortHandle handle, ResolveContext context) {
                        return null;
                    }
                });
        assertEquals("id", e.getMessage());
    }

    @Test
    void capabilitiesAreBuiltOnceAndAnswerTheSameOptionals() {
        PollDevice poll = () -> { };
        Capabilities c = Capabilities.builder().pollDevice(poll).build();
        assertSame(poll, c.pollDevice().orElseThrow());
        assertSame(c.pollDevice(), c.pollDevice(), "no allocation per call");
        assertFalse(c.portIo().isPresent());
        assertFalse(Capabilities.NONE.lifecycle().isPresent());
    }

    @Test
    void regionsAreHalfOpenRangesWithAnInclusiveEnd() {
        IoRegion r = new IoRegion("registers", 0x3f8, 8);
        assertEquals(0x3ff, r.end());
        assertEquals("registers:0x3f8-0x3ff", r.toString());
        assertEquals(r, IoRegion.ofRange("registers", 0x3f8, 0x3ff));
        assertEquals(-1L, new IoRegion("top", 0xFFFF_FFFF_FFFF_F000L, 0x1000).end());
        assertThrows(IllegalArgumentException.class, () -> new IoRegion("empty", 0x10, 0));
        assertThrows(IllegalArgumentException.class, () -> new IoRegion("wraps", -16, 32));
        assertThrows(IllegalArgumentException.class, () -> IoRegion.ofRange("backwards", 2, 1));
        assertTrue(List.of(r).contains(new IoRegion("registers", 0x3f8, 8)));
    }
}
