package io.jvmm.runtime.vm;

import io.jvmm.api.device.VmClock;
import java.time.Instant;

/** The host-backed clock a VM hands its devices: monotonic nanoseconds since the VM was built. */
final class HostVmClock implements VmClock {
    private final long origin = System.nanoTime();

    @Override
    public long nanos() {
        return System.nanoTime() - origin;
    }

    @Override
    public Instant wallTime() {
        return Instant.now();
    }
}
