package io.jvmm.api.device;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * A doorbell in one of a {@link PciFunction}'s BARs: a register whose writes only say "there is work"
 * (a virtio queue's notify register, virtio 1.2 §4.1.4.4), so the written value need not reach the
 * device on the vCPU. A function lists its doorbells in {@link PciFunction#doorbells()}; while the
 * BAR is mapped, the board may have the hypervisor absorb matching writes (KVM's ioeventfd) and
 * call {@link PciFunction#doorbellRung} from a host thread instead of {@link PciFunction#barWrite}
 * on the vCPU. Writes that do not match (another width, another value), and every write where the
 * hypervisor cannot do this, still arrive through {@code barWrite}.
 *
 * @param bar the BAR's register index
 * @param offset the register's offset from the BAR's start; {@code offset + width} within the BAR
 * @param width the access size that rings it: 1, 2, 4 or 8 bytes (declare one doorbell per width
 *     drivers use)
 * @param value when present, only writes of this value ring it (the low {@code width} bytes)
 */
public record PciDoorbell(int bar, long offset, int width, OptionalLong value) {
    public PciDoorbell {
        Objects.requireNonNull(value, "value");
        if (bar < 0 || bar > 5) {
            throw new IllegalArgumentException("a doorbell's BAR must be 0..5, was " + bar);
        }
        if (width != 1 && width != 2 && width != 4 && width != 8) {
            throw new IllegalArgumentException("a doorbell is 1, 2, 4 or 8 bytes wide, was " + width);
        }
        if (offset < 0 || offset % width != 0) {
            throw new IllegalArgumentException("a doorbell's offset must be a non-negative multiple of its width, was "
                    + offset);
        }
    }
}
