package io.jvmm.dev.missing;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import java.util.Optional;

/**
 * Reads all-ones at every width, swallows writes, never logs, keeps no state (so it has no saved
 * state and nothing to reset).
 */
final class MissingDevice implements ChipsetDevice, PortIoIntercept, MmioIntercept {
    private final Optional<PortIoIntercept> pio;
    private final Optional<MmioIntercept> mmio;

    MissingDevice(boolean claimsPio, boolean claimsMmio) {
        this.pio = claimsPio ? Optional.of(this) : Optional.empty();
        this.mmio = claimsMmio ? Optional.of(this) : Optional.empty();
    }

    @Override
    public Optional<PortIoIntercept> portIo() {
        return pio;
    }

    @Override
    public Optional<MmioIntercept> mmio() {
        return mmio;
    }

    @Override
    public IoResult ioRead(int port, byte[] data) {
        IoData.fillOnes(data);
        return IoResult.OK;
    }

    @Override
    public IoResult ioWrite(int port, byte[] data) {
        return IoResult.OK;
    }

    @Override
    public IoResult mmioRead(long address, byte[] data) {
        IoData.fillOnes(data);
        return IoResult.OK;
    }

    @Override
    public IoResult mmioWrite(long address, byte[] data) {
        return IoResult.OK;
    }
}
