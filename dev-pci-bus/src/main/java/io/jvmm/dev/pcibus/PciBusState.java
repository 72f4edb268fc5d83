package io.jvmm.dev.pcibus;

import io.jvmm.api.support.StateFormat;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything a guest can observe of bus 0, as one value: the configuration address register, the
 * host bridge's writable header bytes, and the header of every attached plugin function (command,
 * cache line size, latency timer, interrupt line and BAR addresses; the IDs and capability
 * contents are the function's own). The compact constructors hold the state's rules; {@link
 * #initial} is the power-on state; {@link #FORMAT} is how it is saved ({@code chipset.pci_bus},
 * version 2: version 1 was a hand-written byte layout without the functions, no longer read). Which
 * BARs are mapped is not stored: it follows from each function's command register and addresses.
 *
 * @param address the 0xCF8 register (enable, bus, device, function, dword)
 * @param functions one entry per attached plugin function, by ascending devfn
 */
record PciBusState(int address, int hostCommand, int hostLatencyTimer, List<Function> functions) {
    /** Functions of bus 0: at most one per devfn. */
    static final int MAX_FUNCTIONS = 256;

    /**
     * One plugin function's header.
     *
     * @param devfn its device and function number on bus 0
     * @param bars the programmed address per BAR register 0-5 (a 64-bit BAR's address is at its
     *     first register; the register after it holds 0)
     */
    record Function(int devfn, int command, int cacheLine, int latencyTimer, int interruptLine, List<Long> bars) {
        Function {
            check(devfn, 0xFF, "devfn");
            check(command, Type0Function.COMMAND_WRITABLE, "function command register has bits no write stores");
            check(cacheLine, 0xFF, "cache line size");
            check(latencyTimer, 0xFF, "latency timer");
            check(interruptLine, 0xFF, "interrupt line");
            bars = List.copyOf(bars);
            if (bars.size() != 6) {
                throw new IllegalArgumentException("PCI bus state: a function has " + bars.size() + " BARs, not 6");
            }
        }

        /** Power-on: decoding off, every register 0. */
        static Function initial(int devfn) {
            return new Function(devfn, 0, 0, 0, 0, List.of(0L, 0L, 0L, 0L, 0L, 0L));
        }

        static final StateFormat.Encoder<Function> ENCODER = (f, out) -> {
            out.u8("devfn", f.devfn).u16("command", f.command).u8("cache_line", f.cacheLine)
                    .u8("latency_timer", f.latencyTimer).u8("interrupt_line", f.interruptLine);
            for (int i = 0; i < 6; i++) {
                out.i64("bar" + i, f.bars.get(i));
            }
        };

        static final StateFormat.Decoder<Function> DECODER = in -> {
            List<Long> bars = new ArrayList<>(6);
            for (int i = 0; i < 6; i++) {
                bars.add(in.i64("bar" + i));
            }
            return new Function(in.u8("devfn"), in.u16("command"), in.u8("cache_line"), in.u8("latency_timer"),
                    in.u8("interrupt_line"), bars);
        };
    }

    static final StateFormat<PciBusState> FORMAT = StateFormat.of("chipset.pci_bus", 2, 2,
            (s, out) -> out.u32("address", Integer.toUnsignedLong(s.address)).u16("host_command", s.hostCommand)
                    .u8("host_latency_timer", s.hostLatencyTimer).list("functions", s.functions, Function.ENCODER),
            in -> {
                return new PciBusState((int) in.u32("address"), in.u16("host_command"), in.u8("host_latency_timer"),
                        in.list("functions", MAX_FUNCTIONS, Function.DECODER));
            });

    PciBusState {
        if ((address & ~PciBusDevice.ADDRESS_MASK) != 0) {
            throw new IllegalArgumentException("PCI bus state: address register 0x" + Integer.toHexString(address)
                    + " has reserved bits set");
        }
        check(hostCommand, HostBridge.COMMAND_WRITABLE, "host bridge command register has bits no write stores");
        check(hostLatencyTimer, 0xFF, "host bridge latency timer");
        functions = List.copyOf(functions);
        Set<Integer> seen = new HashSet<>();
        int last = -1;
        for (Function f : functions) {
            if (!seen.add(f.devfn()) || f.devfn() < last) {
                throw new IllegalArgumentException("PCI bus state: functions are not in ascending devfn order, or "
                        + "devfn " + f.devfn() + " appears twice");
            }
            last = f.devfn();
        }
    }

    /** Power-on, for a bus with plugin functions at {@code devfns} (ascending). */
    static PciBusState initial(List<Integer> devfns) {
        return new PciBusState(0, HostBridge.COMMAND_INITIAL, 0, devfns.stream().map(Function::initial).toList());
    }

    private static void check(int value, int allowed, String what) {
        if ((value & ~allowed) != 0) {
            throw new IllegalArgumentException("PCI bus state: " + what + ": 0x" + Integer.toHexString(value));
        }
    }
}
