package ${package};

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.StateFormat;
import java.util.List;

/**
 * A one-byte scratch register: the guest reads back what it last wrote; a reset clears it. Replace
 * it with your device. It declares its one-port region; the board claims it and hands each access
 * here as (region index, offset). Port I/O runs on a vCPU thread, under this device's lock, and
 * should not allocate.
 *
 * <p>Its guest-visible state is one record, {@link State}: reset, save and restore (for snapshots,
 * {@link SaveRestore}) all go through {@link #apply}, so the power-on values and the state's rules
 * are written once. The live register stays a plain field, because a record per guest write would
 * allocate on the vCPU path.
 */
final class ScratchRegisterDevice implements ChipsetDevice, PortIoIntercept, DeviceLifecycle, SaveRestore {
    /** The name of the region the device declares (shown in conflict messages). */
    static final String REGION = "scratch";

    /**
     * Everything the guest can observe. Add a component per register (and a field to the format,
     * raising its version); check the state's rules in the compact constructor, so a corrupted or
     * hostile saved state is refused before anything changes.
     */
    record State(int value) {
        /** How the state is saved: a name unique to this kind of device, and a version. */
        static final StateFormat<State> FORMAT = StateFormat.of("example.scratch_register", 1,
                (s, out) -> out.u8("value", s.value()),
                in -> new State(in.u8("value")));

        State {
            if (value < 0 || value > 0xFF) {
                throw new IllegalArgumentException("scratch register value " + value + " is not a byte");
            }
        }

        /** Power-on. */
        static State initial() {
            return new State(0);
        }
    }

    private final List<IoRegion> regions;
    private final Capabilities capabilities = Capabilities.builder().portIo(this).lifecycle(this).savedState(this)
            .build();
    private byte value;

    ScratchRegisterDevice(int port) {
        this.regions = List.of(new IoRegion(REGION, port, 1));
        apply(State.initial());
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public List<IoRegion> pioRegions() {
        return regions;
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        if (offset != 0) {
            return IoResult.INVALID_REGISTER;
        }
        value = data[0];
        return IoResult.OK;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        if (offset != 0) {
            return IoResult.INVALID_REGISTER;
        }
        data[0] = value;
        for (int i = 1; i < data.length; i++) {
            data[i] = 0;
        }
        return IoResult.OK;
    }

    /** Power-on state. */
    @Override
    public void reset() {
        apply(State.initial());
    }

    /** Called while the VM is stopped, on a control thread. */
    @Override
    public SavedStateBlob save() {
        return State.FORMAT.save(new State(value & 0xFF));
    }

    /** Throws {@link IllegalArgumentException}, changing nothing, for a blob that is not a valid state. */
    @Override
    public void restore(SavedStateBlob blob) {
        apply(State.FORMAT.restore(blob));
    }

    /** The one place a state becomes the device's (set interrupt lines here too, from the state). */
    private void apply(State s) {
        value = (byte) s.value();
    }
}
