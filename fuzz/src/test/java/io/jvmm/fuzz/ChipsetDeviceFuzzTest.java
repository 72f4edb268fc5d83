package io.jvmm.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.battery.UpdatableBatterySource;
import io.jvmm.api.support.StateFormat;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.handles.BatteryHandle;
import io.jvmm.api.handles.CmosRtcHandle;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.handles.FixedBatteryHandle;
import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.handles.PowerManagementHandle;
import io.jvmm.api.handles.ResetControlHandle;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.handles.SerialBase;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.input.KeyboardDistributor;
import io.jvmm.testkit.SerialPipe;
import java.time.ZoneOffset;

/**
 * One fuzz target per chipset device, each resolved through its registered resolver and driven by
 * {@link DeviceFuzzHarness}. Without {@code JAZZER_FUZZ=1} (i.e. in {@code mvn verify}) each target
 * replays the committed inputs under {@code ChipsetDeviceFuzzTestInputs/<target>/}.
 */
class ChipsetDeviceFuzzTest {
    private static final long MAX_CLOCK_STEP = 3_000_000_000L;

    @FuzzTest(maxDuration = "5m")
    void serial16550(FuzzedDataProvider data) throws Exception {
        SerialPipe pipe = new SerialPipe(data.consumeInt(1, 64), data.consumeBoolean());
        FuzzContext ctx = new FuzzContext("serial-com1", pipe, new KeyboardDistributor(1));
        boolean ioPort = data.consumeBoolean();
        int width = ioPort ? 1 : 1 << data.consumeInt(0, 3);
        SerialBase base = ioPort ? new SerialBase.IoPort(0x3F8) : new SerialBase.Mmio(0xFEDC_0000L);
        ChipsetDevice device = ctx.build(new Serial16550Handle(base, width, 4, FuzzContext.pipeResource(),
                data.consumeBoolean()).toResource());
        FuzzBoard.FakeLine line = ctx.board.line("interrupt");
        DeviceFuzzHarness h = new DeviceFuzzHarness("serial_16550", device, ctx.board)
                // named registers and flags, and both 256-byte buffers with their lengths
                .maxStateBytes(1024);
        DeviceFuzzHarness.ReadCheck zeroExtended = (address, bytes) -> {
            for (int i = 1; i < bytes.length; i++) {
                if (bytes[i] != 0) {
                    throw new AssertionError("16550 read at 0x" + Long.toHexString(address) + " width "
                            + bytes.length + " has a non-zero upper byte: " + DeviceFuzzHarness.hex(bytes));
                }
            }
        };
        h.pioReads(zeroExtended).mmioReads(zeroExtended)
                .hostEvent(d -> hostSerial(d, pipe, ctx.board))
                .invariant(step -> {
                    // The line is high iff an enabled interrupt is pending and OUT2 gates it onto the bus.
                    Uart16550Lines s = UART16550_LINES.restore(h.snapshot());
                    int ier = s.ier();
                    int mcr = s.mcr();
                    int msr = s.msr();
                    boolean thrAcked = s.thrAcked();
                    boolean overrun = s.overrun();
                    int rx = s.rx();
                    int tx = s.tx();
                    boolean pending = (ier & 0x04) != 0 && overrun
                            || (ier & 0x01) != 0 && rx > 0
                            || (ier & 0x02) != 0 && tx == 0 && !thrAcked
                            || (ier & 0x08) != 0 && (msr & 0x0F) != 0;
                    boolean expected = pending && (mcr & 0x08) != 0;
                    if (line.level() != expected) {
                        throw new AssertionError("16550 line is " + level(line.level()) + " after " + step
                                + " but IER=0x" + Integer.toHexString(ier) + " MCR=0x" + Integer.toHexString(mcr)
                                + " MSR=0x" + Integer.toHexString(msr) + " rx=" + rx + " tx=" + tx + " thrAcked="
                                + thrAcked + " overrun=" + overrun + " say it should be " + level(expected));
                    }
                });
        h.run(data);
    }

    @FuzzTest(maxDuration = "5m")
    void debugcon(FuzzedDataProvider data) throws Exception {
        SerialPipe pipe = new SerialPipe(data.consumeInt(1, 64), data.consumeBoolean());
        FuzzContext ctx = new FuzzContext("debugcon", pipe, new KeyboardDistributor(1));
        int port = data.consumeBoolean() ? 0xE9 : data.consumeInt(0, 0xFFFF);
        ChipsetDevice device = ctx.build(new DebugconHandle(port, FuzzContext.pipeResource()).toResource());
        new DeviceFuzzHarness("debugcon", device, ctx.board)
                .maxStateBytes(64 * 1024 + 64)
                .pioReads((address, bytes) -> {
                    if (bytes.length != 1 || (bytes[0] & 0xFF) != 0xE9) {
                        throw new AssertionError("debugcon read returned " + DeviceFuzzHarness.hex(bytes)
                                + "; only a 1-byte read succeeds, and it reads 0xe9");
                    }
                })
                .hostEvent(d -> hostSerial(d, pipe, ctx.board))
                .run(data);
    }

    @FuzzTest(maxDuration = "5m")
    void pl011(FuzzedDataProvider data) throws Exception {
        SerialPipe pipe = new SerialPipe(data.consumeInt(1, 64), data.consumeBoolean());
        FuzzContext ctx = new FuzzContext("com1", pipe, new KeyboardDistributor(1));
        long base = Pl011Handle.COM1_BASE;
        ChipsetDevice device = ctx.build(new Pl011Handle(base, Pl011Handle.COM1_IRQ, FuzzContext.pipeResource())
                .toResource());
        Bus mmio = Bus.of(device, ctx.board);
        FuzzBoard.FakeLine line = ctx.board.line("interrupt");
        new DeviceFuzzHarness("serial_pl011", device, ctx.board)
                // named registers, and both 256-byte buffers with their lengths
                .maxStateBytes(1024)
                .hostEvent(d -> hostSerial(d, pipe, ctx.board))
                .invariant(step -> {
                    // UARTMIS is RIS AND IMSC; the line is high iff it is non-zero (reading it is
                    // side-effect free apart from re-deriving RT, which the line then follows too).
                    byte[] mis = new byte[4];
                    if (mmio.mmioRead(base + 0x40, mis) != IoResult.OK) {
                        throw new AssertionError("UARTMIS read failed after " + step);
                    }
                    boolean expected = IoData.get(mis) != 0;
                    if (line.level() != expected) {
                        throw new AssertionError("PL011 line is " + level(line.level()) + " after " + step
                                + " but UARTMIS=0x" + Long.toHexString(IoData.get(mis)));
                    }
                })
                .run(data);
    }

    @FuzzTest(maxDuration = "5m")
    void i8042(FuzzedDataProvider data) throws Exception {
        int capacity = data.consumeInt(1, 64);
        KeyboardDistributor keyboard = new KeyboardDistributor(capacity);
        FuzzContext ctx = new FuzzContext("i8042", new SerialPipe(), keyboard);
        ChipsetDevice device = ctx.build(new I8042Handle(new MultiplexedKeyboardHandle(0).toResource()).toResource());
        Bus pio = Bus.of(device, ctx.board);
        FuzzBoard.FakeLine irq1 = ctx.board.line("keyboard");
        FuzzBoard.FakeLine irq12 = ctx.board.line("aux");
        DeviceFuzzHarness h = new DeviceFuzzHarness("i8042", device, ctx.board);
        h.maxStateBytes(4096)
                .hostEvent(d -> {
                    if (d.consumeBoolean()) {
                        keyboard.send(new KeyEvent(d.consumeInt(0, 0xFFFF), d.consumeBoolean()));
                    } else {
                        ctx.board.clock.advance(d.consumeLong(0, MAX_CLOCK_STEP));
                    }
                })
                .invariant(step -> {
                    byte[] status = new byte[1];
                    if (pio.ioRead(0x64, status) != IoResult.OK) {
                        throw new AssertionError("i8042 status read failed after " + step);
                    }
                    boolean full = (status[0] & 0x01) != 0;
                    boolean aux = (status[0] & 0x20) != 0;
                    if (irq1.level() && !(full && !aux)) {
                        throw new AssertionError("IRQ1 is high after " + step + " but the status (0x"
                                + Integer.toHexString(status[0] & 0xFF) + ") has no keyboard byte waiting");
                    }
                    if (irq12.level() && !(full && aux)) {
                        throw new AssertionError("IRQ12 is high after " + step + " but the status (0x"
                                + Integer.toHexString(status[0] & 0xFF) + ") has no mouse byte waiting");
                    }
                    // Both ways, from the saved state: RAM byte 0 is the command byte, and the output source.
                    I8042Lines state = I8042_LINES.restore(h.snapshot());
                    int commandByte = state.commandByte();
                    int source = state.outputSource();
                    boolean keyboardIrq = (commandByte & 0x01) != 0 && source == 2;
                    boolean auxIrq = (commandByte & 0x02) != 0 && source == 3;
                    if (irq1.level() != keyboardIrq || irq12.level() != auxIrq) {
                        throw new AssertionError("after " + step + " IRQ1/IRQ12 are " + level(irq1.level()) + "/"
                                + level(irq12.level()) + " but the command byte 0x" + Integer.toHexString(commandByte)
                                + " and output source " + source + " say " + level(keyboardIrq) + "/" + level(auxIrq));
                    }
                    if (keyboard.queued() > capacity) {
                        throw new AssertionError("keyboard queue holds " + keyboard.queued() + " > " + capacity);
                    }
                })
                .run(data);
    }

    /** What the 16550's saved state (serial.uart16550 v2) says about its line; every field is read. */
    private record Uart16550Lines(int ier, int mcr, int msr, boolean thrAcked, boolean overrun, int rx, int tx) {}

    private static final StateFormat<Uart16550Lines> UART16550_LINES = StateFormat.of("serial.uart16550", 2,
            (s, out) -> { },
            in -> {
                in.u8("lcr");
                in.u8("fcr");
                in.u8("dll");
                in.u8("dlm");
                in.u8("scratch");
                return new Uart16550Lines(in.u8("ier"), in.u8("mcr"), in.u8("msr"), in.bool("thr_acked"),
                        in.bool("overrun"), in.bytes("rx", 256).length, in.bytes("tx", 256).length);
            });

    /** What the i8042's saved state (chipset.i8042 v2) says about its lines; every field is read, the rest ignored. */
    private record I8042Lines(int commandByte, int outputSource) {}

    private static final StateFormat<I8042Lines> I8042_LINES = StateFormat.of("chipset.i8042", 2,
            (s, out) -> { },
            in -> {
                byte[] ram = in.bytes("ram", 32);
                int source = in.u8("output_source");
                in.u8("output_buffer");
                in.bool("last_write_command");
                in.u16("data_target");
                in.bool("a20");
                in.bytes("kbd_queue", 64);
                in.bool("kbd_scanning");
                in.u8("kbd_pending_command");
                in.u8("kbd_last_sent");
                in.u8("kbd_leds");
                in.u8("kbd_typematic");
                in.bytes("mouse_queue", 64);
                return new I8042Lines(ram[0] & 0xFF, source);
            });

    @FuzzTest(maxDuration = "5m")
    void batteryX64(FuzzedDataProvider data) throws Exception {
        battery(data, MachineArch.X86_64, 0xFED3_F000L);
    }

    @FuzzTest(maxDuration = "5m")
    void batteryAarch64(FuzzedDataProvider data) throws Exception {
        battery(data, MachineArch.AARCH64, 0xEFFE_A000L);
    }

    private static void battery(FuzzedDataProvider data, MachineArch arch, long base) throws Exception {
        FuzzContext ctx = new FuzzContext("battery", new SerialPipe(), new KeyboardDistributor(1));
        ChipsetDevice device = ctx.build(new BatteryHandle(arch,
                new FixedBatteryHandle(batteryState(data)).toResource()).toResource());
        UpdatableBatterySource source = ctx.resolved(UpdatableBatterySource.class);
        Bus mmio = Bus.of(device, ctx.board);
        FuzzBoard.FakeLine line = ctx.board.line("battery");
        new DeviceFuzzHarness("battery_" + arch, device, ctx.board)
                .maxStateBytes(256)
                .hostEvent(d -> source.update(batteryState(d)))
                .mmioReads((address, bytes) -> {
                    long v = IoData.get(bytes);
                    long offset = address - base;
                    boolean ok = switch ((int) offset) {
                        case 0x00 -> v == 0x1F || v == 0x0F; // _STA: battery present or absent
                        case 0x04 -> v <= 2; // _BST state: idle, discharging or charging
                        case 0x10 -> v <= 1; // _PSR
                        case 0x14 -> (v & ~3L) == 0; // notification bits
                        default -> bytes.length == 4;
                    };
                    if (!ok) {
                        throw new AssertionError("battery register 0x" + Long.toHexString(offset) + " reads 0x"
                                + Long.toHexString(v));
                    }
                })
                .invariant(step -> {
                    byte[] notify = new byte[4];
                    if (mmio.mmioRead(base + 0x14, notify) != IoResult.OK) {
                        throw new AssertionError("battery notify read failed after " + step);
                    }
                    boolean expected = IoData.get(notify) != 0;
                    if (line.level() != expected) {
                        throw new AssertionError("battery line is " + level(line.level()) + " after " + step
                                + " but the notify register is 0x" + Long.toHexString(IoData.get(notify)));
                    }
                })
                .run(data);
    }

    private static HostBatteryUpdate batteryState(FuzzedDataProvider d) {
        long limit = d.consumeBoolean() ? 100_000 : Long.MAX_VALUE;
        return new HostBatteryUpdate(d.consumeBoolean(), d.consumeBoolean(), d.consumeBoolean(),
                d.consumeLong(0, limit), d.consumeLong(0, limit), d.consumeLong(0, limit), d.consumeBoolean());
    }

    @FuzzTest(maxDuration = "5m")
    void cmosRtc(FuzzedDataProvider data) throws Exception {
        FuzzContext ctx = new FuzzContext("rtc", new SerialPipe(), new KeyboardDistributor(1));
        CmosRtcHandle handle = new CmosRtcHandle(data.consumeLong(0, 1L << 42),
                ZoneOffset.ofTotalSeconds(data.consumeInt(-18 * 3600, 18 * 3600)));
        ChipsetDevice device = ctx.build(handle.toResource());
        Bus pio = Bus.of(device, ctx.board);
        FuzzBoard.FakeLine irq8 = ctx.board.line("rtc");
        DeviceFuzzHarness h = new DeviceFuzzHarness("cmos_rtc", device, ctx.board).maxStateBytes(256);
        h.hostEvent(d -> ctx.board.clock.advance(d.consumeBoolean() ? d.consumeLong(0, MAX_CLOCK_STEP)
                        : d.consumeLong(0, 400L * 24 * 3600 * 1_000_000_000L)))
                .probe(d -> {
                    // After a poll IRQ 8 shows IRQF; reading register C reports it (and clears it).
                    device.capabilities().pollDevice().orElseThrow().poll();
                    boolean before = irq8.level();
                    byte[] index = {(byte) (0x0C | (d.consumeBoolean() ? 0x80 : 0))};
                    pio.ioWrite(0x70, index);
                    byte[] c = new byte[1];
                    pio.ioRead(0x71, c);
                    if (((c[0] & 0x80) != 0) != before) {
                        throw new AssertionError("IRQ 8 was " + level(before) + " but register C reads 0x"
                                + Integer.toHexString(c[0] & 0xFF));
                    }
                    if (irq8.level()) {
                        throw new AssertionError("IRQ 8 stays high after register C was read");
                    }
                })
                .run(data);
    }

    @FuzzTest(maxDuration = "5m")
    void pciBus(FuzzedDataProvider data) throws Exception {
        FuzzContext ctx = new FuzzContext("pci-bus", new SerialPipe(), new KeyboardDistributor(1));
        ChipsetDevice device = ctx.build(Resource.of(ResourceKinds.CHIPSET_DEVICE, "generic_pci_bus",
                EmptyHandle.INSTANCE));
        Bus pio = Bus.of(device, ctx.board);
        new DeviceFuzzHarness("pci_bus", device, ctx.board)
                .probe(d -> {
                    // Whatever the guest did before, 00:00.0 is the i440FX host bridge.
                    byte[] address = new byte[4];
                    IoData.put(address, 0x8000_0000L);
                    pio.ioWrite(0xCF8, address);
                    byte[] id = new byte[4];
                    pio.ioRead(0xCFC, id);
                    if (IoData.get(id) != 0x1237_8086L) {
                        throw new AssertionError("host bridge id reads 0x" + Long.toHexString(IoData.get(id)));
                    }
                })
                .run(data);
    }

    @FuzzTest(maxDuration = "5m")
    void powerManagement(FuzzedDataProvider data) throws Exception {
        FuzzContext ctx = new FuzzContext("pm", new SerialPipe(), new KeyboardDistributor(1));
        int base = data.consumeBoolean() ? PowerManagementHandle.DEFAULT_PIO_BASE
                : data.consumeInt(0, 0x10000 - PowerManagementHandle.LENGTH);
        ChipsetDevice device = ctx.build(new PowerManagementHandle(base).toResource());
        Bus pio = Bus.of(device, ctx.board);
        FuzzBoard.FakeLine sci = ctx.board.line("sci");
        FuzzBoard.Target gpe0 = ctx.board.targets.get(0);
        new DeviceFuzzHarness("pm", device, ctx.board)
                // 13 named registers (the timer as i64 nanoseconds)
                .maxStateBytes(256)
                .hostEvent(d -> {
                    if (d.consumeBoolean()) {
                        // Another device's GPE0 line changes (the board only delivers mapped vectors).
                        int v = d.consumeInt(gpe0.firstSource(), gpe0.lastSource());
                        gpe0.target().setIrq(v - gpe0.firstSource() + gpe0.firstTarget(), d.consumeBoolean());
                    } else {
                        ctx.board.clock.advance(d.consumeLong(0, MAX_CLOCK_STEP * 1000));
                    }
                })
                .invariant(step -> {
                    // SCI is high iff an enabled PM1 or GPE0 status bit is set.
                    int pm1Sts = read16(pio, base);
                    int pm1En = read16(pio, base + 2);
                    int gpeSts = read16(pio, base + 0x0C);
                    int gpeEn = read16(pio, base + 0x0E);
                    boolean expected = (pm1Sts & pm1En) != 0 || (gpeSts & gpeEn) != 0;
                    if (sci.level() != expected) {
                        throw new AssertionError("SCI is " + level(sci.level()) + " after " + step + " but PM1 "
                                + Integer.toHexString(pm1Sts) + "/" + Integer.toHexString(pm1En) + ", GPE0 "
                                + Integer.toHexString(gpeSts) + "/" + Integer.toHexString(gpeEn));
                    }
                })
                .run(data);
    }

    @FuzzTest(maxDuration = "5m")
    void resetControl(FuzzedDataProvider data) throws Exception {
        FuzzContext ctx = new FuzzContext("reset-control", new SerialPipe(), new KeyboardDistributor(1));
        ChipsetDevice device = ctx.build(ResetControlHandle.INSTANCE.toResource());
        new DeviceFuzzHarness("reset_control", device, ctx.board)
                .maxStateBytes(16)
                .pioReads((address, bytes) -> {
                    // one byte reads back SYS_RST and FULL_RST only; wider accesses are not decoded
                    boolean ok = bytes.length == 1 ? (bytes[0] & ~0x0A) == 0 : allOnes(bytes);
                    if (!ok) {
                        throw new AssertionError("reset control read " + DeviceFuzzHarness.hex(bytes));
                    }
                })
                .run(data);
    }

    private static boolean allOnes(byte[] bytes) {
        for (byte b : bytes) {
            if (b != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    @FuzzTest(maxDuration = "5m")
    void missingDev(FuzzedDataProvider data) throws Exception {
        FuzzContext ctx = new FuzzContext("missing", new SerialPipe(), new KeyboardDistributor(1));
        MissingDevHandle handle = new MissingDevHandle();
        for (int i = data.consumeInt(0, 3); i > 0; i--) {
            int start = data.consumeInt(0, 0xFFFF);
            handle = handle.claimPio("pio" + i, start, data.consumeInt(start, 0xFFFF));
        }
        for (int i = data.consumeInt(0, 3); i > 0; i--) {
            long a = data.consumeLong();
            long b = data.consumeLong();
            handle = handle.claimMmio("mmio" + i, Long.compareUnsigned(a, b) <= 0 ? a : b,
                    Long.compareUnsigned(a, b) <= 0 ? b : a);
        }
        ChipsetDevice device = ctx.build(handle.toResource());
        DeviceFuzzHarness.ReadCheck allOnes = (address, bytes) -> {
            for (byte b : bytes) {
                if (b != (byte) 0xFF) {
                    throw new AssertionError("missing_dev read " + DeviceFuzzHarness.hex(bytes) + " at 0x"
                            + Long.toHexString(address));
                }
            }
        };
        new DeviceFuzzHarness("missing_dev", device, ctx.board).pioReads(allOnes).mmioReads(allOnes).run(data);
    }

    // ---- shared host events and helpers

    private static void hostSerial(FuzzedDataProvider d, SerialPipe pipe, FuzzBoard board) {
        switch (d.consumeInt(0, 3)) {
            case 0 -> pipe.hostWrite(d.consumeBytes(d.consumeInt(0, 300)));
            case 1 -> pipe.setConnected(d.consumeBoolean());
            case 2 -> {
                pipe.hostOutput(); // frees the backend's buffer
                pipe.clearTranscript();
            }
            default -> board.clock.advance(d.consumeLong(0, MAX_CLOCK_STEP));
        }
    }

    private static int read16(Bus pio, int port) {
        byte[] b = new byte[2];
        if (pio.ioRead(port, b) != IoResult.OK) {
            throw new AssertionError("read of port 0x" + Integer.toHexString(port) + " failed");
        }
        return (int) IoData.get(b);
    }

    private static String level(boolean high) {
        return high ? "high" : "low";
    }

    /** A device's accesses routed as the board routes them (region and offset), for probes. */
    record Bus(ChipsetDevice device, FuzzBoard board) {
        static Bus of(ChipsetDevice device, FuzzBoard board) {
            return new Bus(device, board);
        }

        IoResult ioRead(int port, byte[] data) {
            return DeviceFuzzHarness.pioAccess(device, board, true, port, data);
        }

        IoResult ioWrite(int port, byte[] data) {
            return DeviceFuzzHarness.pioAccess(device, board, false, port, data);
        }

        IoResult mmioRead(long address, byte[] data) {
            return DeviceFuzzHarness.mmioAccess(device, board, true, address, data);
        }

        IoResult mmioWrite(long address, byte[] data) {
            return DeviceFuzzHarness.mmioAccess(device, board, false, address, data);
        }
    }
}
