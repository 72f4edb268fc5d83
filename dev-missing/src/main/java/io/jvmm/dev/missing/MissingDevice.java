package io.jvmm.dev.missing;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.StateFormat;
import java.util.List;

/**
 * Reads all-ones at every width, swallows writes, never logs, keeps no state (so nothing to reset).
 * It still offers {@link SaveRestore}, saving an empty record, so a snapshot can require saved state
 * of every device on the board.
 */
final class MissingDevice implements ChipsetDevice, PortIoIntercept, MmioIntercept, SaveRestore {
    /** No guest-visible state: the empty record ({@code chipset.missing_dev} version 1, no fields). */
    record State() {
        static final StateFormat<State> FORMAT = StateFormat.of("chipset.missing_dev", 1, (s, out) -> { },
                in -> new State());
    }

    private final List<IoRegion> pio;
    private final List<IoRegion> mmio;
    private final Capabilities capabilities;

    MissingDevice(List<IoRegion> pio, List<IoRegion> mmio) {
        this.pio = List.copyOf(pio);
        this.mmio = List.copyOf(mmio);
        this.capabilities = Capabilities.builder()
                .portIo(pio.isEmpty() ? null : this)
                .mmio(mmio.isEmpty() ? null : this)
                .savedState(this)
                .build();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public List<IoRegion> pioRegions() {
        return pio;
    }

    @Override
    public List<IoRegion> mmioRegions() {
        return mmio;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        IoData.fillOnes(data);
        return IoResult.OK;
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        return IoResult.OK;
    }

    @Override
    public IoResult mmioRead(int region, long offset, byte[] data) {
        IoData.fillOnes(data);
        return IoResult.OK;
    }

    @Override
    public IoResult mmioWrite(int region, long offset, byte[] data) {
        return IoResult.OK;
    }

    @Override
    public SavedStateBlob save() {
        return State.FORMAT.save(new State());
    }

    /** Accepts only an empty {@code chipset.missing_dev} state: anything else is another device's. */
    @Override
    public void restore(SavedStateBlob blob) {
        State.FORMAT.restore(blob);
    }
}
