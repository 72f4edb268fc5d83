package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.api.handles.TapHandle;
import io.jvmm.api.handles.VirtioNetHandle;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --net tap=NAME[,mac=MAC]} to handles (the errors are in {@link BadInputCatalogueTest}). */
class NetOptionTest {
    @Test
    void cardsTakeTheSlotsAfterTheDisksWithStableDistinctDefaultMacs() {
        VmOptions o = new VmOptions();
        o.nets = List.of("tap=tap0", "mac=02:00:00:00:00:09,tap=tap1", "tap=tap2");
        assertEquals(List.of(
                new VirtioNetHandle(8, "52:54:00:12:34:56", new TapHandle("tap0").toResource()),
                new VirtioNetHandle(9, "02:00:00:00:00:09", new TapHandle("tap1").toResource()),
                new VirtioNetHandle(10, "52:54:00:12:34:58", new TapHandle("tap2").toResource())), o.netHandles(8));
        assertEquals(o.netHandles(8), o.netHandles(8), "the same command line, the same addresses");
    }
}
