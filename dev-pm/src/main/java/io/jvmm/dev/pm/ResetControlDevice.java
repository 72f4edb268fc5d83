package io.jvmm.dev.pm;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.StateFormat;
import io.jvmm.api.handles.ResetControlHandle;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The reset control register at port 0xCF9, as the Intel ICH/PCH datasheets describe "RST_CNT — Reset
 * Control Register" (e.g. ICH9 datasheet §13.7.5; PIIX3/PIIX4 call it "RC", reset control):
 *
 * <ul>
 *   <li>bit 3 FULL_RST: with SYS_RST, a full reset that also cycles power (kept, no further effect);
 *   <li>bit 2 RST_CPU: a 0→1 transition starts the reset SYS_RST selects;
 *   <li>bit 1 SYS_RST: 1 selects a hard reset (the platform's reset line), 0 a soft one (INIT# to the
 *       processors only).
 * </ul>
 *
 * A VM has no difference between the two kinds that a guest can rely on, so any write that sets
 * RST_CPU resets the VM, as QEMU's PIIX3 and ICH9 do. The other bits read back as written; RST_CPU
 * reads 0 (the register stores it only until the reset happens). Linux's {@code reboot=pci} reads
 * the register, writes it with SYS_RST (0x02), then with SYS_RST | RST_CPU (| FULL_RST for a cold
 * reboot): the second write resets.
 *
 * <p>Only byte accesses decode here (the register is 8 bits); wider ones at 0xCF9 read all-ones and
 * are dropped, as a chipset does not claim them.
 */
final class ResetControlDevice implements ChipsetDevice, PortIoIntercept, DeviceLifecycle, SaveRestore {
    static final int SYS_RST = 0x02;
    static final int RST_CPU = 0x04;
    static final int FULL_RST = 0x08;
    /** The bits the register keeps. */
    static final int STORED = SYS_RST | FULL_RST;

    private static final List<IoRegion> REGIONS = List.of(new IoRegion("rst_cnt", ResetControlHandle.PORT, 1));

    /**
     * The register's guest-visible state: the bits it keeps ({@link #STORED}); power-on is 0. Saved
     * as {@code chipset.reset_control} version 1.
     */
    record State(int value) {
        static final StateFormat<State> FORMAT = StateFormat.of("chipset.reset_control", 1,
                (s, out) -> out.u8("rst_cnt", s.value), in -> new State(in.u8("rst_cnt")));

        State {
            if ((value & ~STORED) != 0) {
                throw new IllegalArgumentException("reset control state: 0x" + Integer.toHexString(value)
                        + " has bits the register does not keep (only SYS_RST and FULL_RST)");
            }
        }

        static State initial() {
            return new State(0);
        }
    }

    private final Capabilities capabilities = Capabilities.builder().portIo(this).lifecycle(this).savedState(this)
            .build();
    private final BiConsumer<PowerAction, String> power;
    private int value;

    ResetControlDevice(BiConsumer<PowerAction, String> power) {
        this.power = power;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public List<IoRegion> pioRegions() {
        return REGIONS;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        if (data.length == 1) {
            data[0] = (byte) value;
        } else {
            IoData.fillOnes(data);
        }
        return IoResult.OK;
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        if (data.length != 1) {
            return IoResult.OK;
        }
        int v = data[0] & 0xFF;
        value = v & STORED;
        if ((v & RST_CPU) != 0) {
            // Cold path: the guest is resetting, so the cause may be formatted.
            power.accept(PowerAction.RESET, String.format("had 0x%02x written to its reset control register (port 0x%x, "
                    + "RST_CPU%s)", v, ResetControlHandle.PORT, (v & SYS_RST) != 0 ? " with SYS_RST" : ""));
        }
        return IoResult.OK;
    }

    @Override
    public void reset() {
        apply(State.initial());
    }

    @Override
    public SavedStateBlob save() {
        return State.FORMAT.save(new State(value));
    }

    @Override
    public void restore(SavedStateBlob blob) {
        apply(State.FORMAT.restore(blob));
    }

    private void apply(State s) {
        value = s.value();
    }
}
