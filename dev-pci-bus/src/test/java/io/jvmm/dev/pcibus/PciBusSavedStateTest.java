package io.jvmm.dev.pcibus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciBar;
import io.jvmm.api.device.PciBarKind;
import io.jvmm.api.device.PciBarMapper;
import io.jvmm.api.device.PciBus;
import io.jvmm.api.device.PciCapability;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.device.PciFunctionInfo;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.support.StateFormat;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The bus's saved state with plugin functions attached: random config traffic, save, restore, same behaviour. */
class PciBusSavedStateTest {
    static final PciAddress A = new PciAddress(0, 3, 0);
    static final PciAddress B = new PciAddress(0, 5, 0);

    /** A function with a 32-bit BAR 0 (4 KiB) and a 64-bit BAR 2 (16 KiB); it remembers the command it was told. */
    static final class Fn implements PciFunction {
        final PciAddress at;
        /** What commandWritten last said; 0 before it is called (the power-on command register). */
        int command;

        Fn(PciAddress at) {
            this.at = at;
        }

        @Override
        public PciFunctionInfo info() {
            return new PciFunctionInfo(at, 0x1AF4, 0x1044, 1, 0xFF0000, 0x1AF4, 0x0044, 1,
                    List.of(new PciBar(0, PciBarKind.MMIO32, 0x1000, false), new PciBar(2, PciBarKind.MMIO64, 0x4000, true)),
                    List.of(new PciCapability(0x09, 16)));
        }

        @Override
        public IoResult barRead(int bar, long offset, byte[] data) {
            return IoResult.OK;
        }

        @Override
        public IoResult barWrite(int bar, long offset, byte[] data) {
            return IoResult.OK;
        }

        @Override
        public void commandWritten(int command) {
            this.command = command;
        }
    }

    /** The board's side: what is mapped now; it refuses addresses below 64 KiB (a conflict, say). */
    static final class Mapper implements PciBarMapper {
        final Map<Integer, Long> mapped = new TreeMap<>();
        int calls;

        @Override
        public boolean map(int bar, long address, long size) {
            calls++;
            mapped.remove(bar);
            if (Long.compareUnsigned(address, 0x1_0000) < 0) {
                return false;
            }
            mapped.put(bar, address);
            return true;
        }

        @Override
        public void unmap(int bar) {
            calls++;
            mapped.remove(bar);
        }
    }

    /** A bus as the resolver builds it, with two plugin functions attached as the board attaches them. */
    static final class Rig {
        final FakeBoard board = new FakeBoard();
        final ChipsetDevice device = new PciBusResolver().resolve(EmptyHandle.INSTANCE, board.context("pci"));
        final FakeBus io = board.attach(device);
        final Fn fnA = new Fn(A);
        final Fn fnB = new Fn(B);
        final Mapper mapA = new Mapper();
        final Mapper mapB = new Mapper();

        Rig() {
            PciBus bus = device.capabilities().pciBus().orElseThrow();
            bus.attach("b", fnB, mapB); // not in devfn order: the state is
            bus.attach("a", fnA, mapA);
        }

        SaveRestore state() {
            return device.capabilities().savedState().orElseThrow();
        }

        /** The board-visible effects: mappings and the command each function was told. */
        String effects() {
            return "A " + mapA.mapped + " cmd " + fnA.command + ", B " + mapB.mapped + " cmd " + fnB.command;
        }

        private static final int[] REGISTERS = {0x04, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x3C, 0x00, 0x08, 0x40};

        String step(Random r) {
            switch (r.nextInt(6)) {
                case 0 -> {
                    int devfn = switch (r.nextInt(4)) {
                        case 0 -> 0;
                        case 1 -> A.devfn();
                        case 2 -> B.devfn();
                        default -> r.nextInt(256);
                    };
                    int reg = r.nextInt(3) == 0 ? r.nextInt(64) * 4 : REGISTERS[r.nextInt(REGISTERS.length)];
                    long value = (r.nextInt(8) == 0 ? 0 : 0x8000_0000L) | (r.nextInt(10) == 0 ? r.nextInt(256) << 16 : 0)
                            | devfn << 8 | reg | r.nextInt(4);
                    byte[] d = new byte[4];
                    IoData.put(d, value);
                    io.ioWrite(0xCF8, d);
                    return "address " + Long.toHexString(value);
                }
                case 1, 2 -> {
                    int width = 1 << r.nextInt(3);
                    int offset = r.nextInt(4 / width) * width;
                    byte[] d = new byte[width];
                    long v = switch (r.nextInt(4)) {
                        case 0 -> -1L; // BAR sizing
                        case 1 -> PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_BUS_MASTER;
                        case 2 -> 0x8000_0000L + r.nextInt(64) * 0x4000L;
                        default -> r.nextLong();
                    };
                    IoData.put(d, v);
                    IoResult result = io.ioWrite(0xCFC + offset, d);
                    return "data write " + offset + " " + width + " " + result;
                }
                case 3, 4 -> {
                    int width = 1 << r.nextInt(3);
                    int offset = r.nextInt(4 / width) * width;
                    byte[] d = new byte[width];
                    IoResult result = io.ioRead(0xCFC + offset, d);
                    return "data read " + offset + " " + result + " " + IoData.get(d);
                }
                default -> {
                    byte[] d = new byte[4];
                    io.ioRead(0xCF8, d);
                    return "address read " + IoData.get(d);
                }
            }
        }
    }

    @Test
    void randomTrafficThenRestoreIntoAFreshBusBehavesIdentically() {
        for (int seed = 0; seed < 300; seed++) {
            Random setup = new Random(seed);
            Rig a = new Rig();
            int before = setup.nextInt(300);
            for (int i = 0; i < before; i++) {
                a.step(setup);
            }
            SavedStateBlob blob = a.state().save();
            Rig b = new Rig();
            b.state().restore(blob);
            assertEquals(blob, b.state().save(), "seed " + seed);
            assertEquals(a.effects(), b.effects(), "seed " + seed + ": BARs mapped and command told on restore");

            long next = setup.nextLong();
            Random ra = new Random(next);
            Random rb = new Random(next);
            for (int i = 0; i < 150; i++) {
                String sa = a.step(ra);
                String sb = b.step(rb);
                assertEquals(sa, sb, "seed " + seed + " step " + i);
                assertEquals(a.effects(), b.effects(), "seed " + seed + " after step " + i + ": " + sa);
                assertEquals(a.state().save(), b.state().save(), "seed " + seed + " state after step " + i + ": " + sa);
            }
        }
    }

    private static void cfg(Rig rig, PciAddress at, int reg, long value) {
        byte[] d = new byte[4];
        IoData.put(d, 0x8000_0000L | at.devfn() << 8 | reg);
        rig.io.ioWrite(0xCF8, d);
        IoData.put(d, value);
        rig.io.ioWrite(0xCFC, d);
    }

    @Test
    void restoreMapsTheBarsAsTheGuestsWritesDid() {
        Rig a = new Rig();
        cfg(a, A, 0x10, 0xC000_0000L);
        cfg(a, A, 0x18, 0xC000_4000L);
        cfg(a, A, 0x1C, 0x1);
        cfg(a, A, 0x04, PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_BUS_MASTER);
        cfg(a, A, 0x3C, 0x0B);
        cfg(a, B, 0x10, 0xD000_0000L); // decoding stays off: nothing mapped
        Rig b = new Rig();
        b.state().restore(a.state().save());
        assertEquals(Map.of(0, 0xC000_0000L, 2, 0x1_C000_4000L), b.mapA.mapped);
        assertEquals(Map.of(), b.mapB.mapped);
        assertEquals(PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_BUS_MASTER, b.fnA.command);
        assertEquals(0, b.fnB.command);
        b.device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(Map.of(), b.mapA.mapped, "reset unmaps");
        assertEquals(new Rig().state().save(), b.state().save(), "reset state = a fresh bus's");
    }

    @Test
    void aBlobForOtherFunctionsOrImpossibleBarsIsRefusedAndChangesNothing() {
        Rig a = new Rig();
        cfg(a, A, 0x10, 0xC000_0000L);
        cfg(a, A, 0x04, PciFunction.COMMAND_MEMORY);
        SavedStateBlob good = a.state().save();
        int calls = a.mapA.calls;

        record Raw(List<Integer> devfns, long bar0, long bar1, int command) {}
        StateFormat<Raw> raw = StateFormat.of("chipset.pci_bus", 2, (x, out) -> out.u32("address", 0)
                .u16("host_command", 6).u8("host_latency_timer", 0).list("functions", x.devfns(), (devfn, o) -> o
                        .u8("devfn", devfn).u16("command", x.command()).u8("cache_line", 0).u8("latency_timer", 0)
                        .u8("interrupt_line", 0).i64("bar0", x.bar0()).i64("bar1", x.bar1()).i64("bar2", 0)
                        .i64("bar3", 0).i64("bar4", 0).i64("bar5", 0)), in -> null);
        a.state().restore(raw.save(new Raw(List.of(A.devfn(), B.devfn()), 0xE000_0000L, 0, 2))); // valid
        a.state().restore(good);
        calls = a.mapA.calls;
        for (Raw bad : List.of(new Raw(List.of(A.devfn()), 0, 0, 0), new Raw(List.of(A.devfn(), 7 << 3), 0, 0, 0),
                new Raw(List.of(B.devfn(), A.devfn()), 0, 0, 0), new Raw(List.of(A.devfn(), B.devfn()), 0xE000_0800L, 0, 0),
                new Raw(List.of(A.devfn(), B.devfn()), 0, 0x1000, 0), new Raw(List.of(A.devfn(), B.devfn()), 0, 0, 0x8000),
                new Raw(List.of(A.devfn(), B.devfn()), 0x1_0000_0000L, 0, 0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.state().restore(raw.save(bad)),
                    bad.toString());
            assertTrue(e.getMessage().contains("chipset.pci_bus") || e.getMessage().contains("pci"), e.getMessage());
            assertEquals(good, a.state().save(), bad.toString());
            assertEquals(calls, a.mapA.calls, "no BAR was touched: " + bad);
        }
        Random r = new Random(9);
        for (int i = 0; i < 2000; i++) {
            byte[] d = good.data();
            if (r.nextBoolean()) {
                d[r.nextInt(d.length)] ^= (byte) (1 + r.nextInt(255));
            } else {
                d = Arrays.copyOf(d, r.nextInt(d.length));
            }
            try {
                a.state().restore(new SavedStateBlob(good.format(), good.version(), d));
                a.state().restore(good);
            } catch (IllegalArgumentException expected) {
                assertEquals(good, a.state().save(), "a rejected blob changes nothing");
            }
        }
    }
}
