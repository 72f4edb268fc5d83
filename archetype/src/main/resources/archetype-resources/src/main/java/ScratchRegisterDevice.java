package ${package};

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PortIoIntercept;
import java.util.Optional;

/**
 * A one-byte scratch register: the guest reads back what it last wrote; a reset clears it. Replace
 * it with your device. Port I/O runs on a vCPU thread, under this device's lock, and should not
 * allocate.
 */
final class ScratchRegisterDevice implements ChipsetDevice, PortIoIntercept, DeviceLifecycle {
    private final int port;
    private final Optional<PortIoIntercept> portIo = Optional.of(this);
    private final Optional<DeviceLifecycle> lifecycle = Optional.of(this);
    private byte value;

    ScratchRegisterDevice(int port) {
        this.port = port;
    }

    @Override
    public Optional<PortIoIntercept> portIo() {
        return portIo;
    }

    @Override
    public Optional<DeviceLifecycle> lifecycle() {
        return lifecycle;
    }

    @Override
    public IoResult ioWrite(int port, byte[] data) {
        if (port != this.port) {
            return IoResult.INVALID_REGISTER;
        }
        value = data[0];
        return IoResult.OK;
    }

    @Override
    public IoResult ioRead(int port, byte[] data) {
        if (port != this.port) {
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
