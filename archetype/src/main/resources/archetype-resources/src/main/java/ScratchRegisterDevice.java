package ${package};

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PortIoIntercept;
import java.util.List;

/**
 * A one-byte scratch register: the guest reads back what it last wrote; a reset clears it. Replace
 * it with your device. It declares its one-port region; the board claims it and hands each access
 * here as (region index, offset). Port I/O runs on a vCPU thread, under this device's lock, and
 * should not allocate.
 */
final class ScratchRegisterDevice implements ChipsetDevice, PortIoIntercept, DeviceLifecycle {
    /** The name of the region the device declares (shown in conflict messages). */
    static final String REGION = "scratch";

    private final List<IoRegion> regions;
    private final Capabilities capabilities = Capabilities.builder().portIo(this).lifecycle(this).build();
    private byte value;

    ScratchRegisterDevice(int port) {
        this.regions = List.of(new IoRegion(REGION, port, 1));
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
        value = 0;
    }
}
