package io.jvmm.runtime.board;

import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.support.LogRateLimiter;

/**
 * What the range maps point at: one declared region of one built device, with the device's
 * intercepts, its lock and its error-log limiter. Immutable, so the vCPU path reads it without
 * synchronization; an access is handed to the device as ({@link #index}, address - {@link #start}).
 */
final class DispatchTarget {
    final String name;
    /** The device's own lock; every access to the device is made holding it. */
    final Object lock;
    final PortIoIntercept pio;
    final MmioIntercept mmio;
    final LogRateLimiter errorLog;
    /** The region's index in the device's declaration. */
    final int index;
    /** The region's first address. */
    final long start;

    private DispatchTarget(String name, Object lock, PortIoIntercept pio, MmioIntercept mmio, LogRateLimiter errorLog,
            int index, long start) {
        this.name = name;
        this.lock = lock;
        this.pio = pio;
        this.mmio = mmio;
        this.errorLog = errorLog;
        this.index = index;
        this.start = start;
    }

    /** A device's target, before it is bound to a region. */
    DispatchTarget(String name, Object lock, PortIoIntercept pio, MmioIntercept mmio, LogRateLimiter errorLog) {
        this(name, lock, pio, mmio, errorLog, -1, 0);
    }

    /** This device's target for region {@code index} starting at {@code start}. */
    DispatchTarget region(int index, long start) {
        return new DispatchTarget(name, lock, pio, mmio, errorLog, index, start);
    }

    @Override
    public String toString() {
        return name;
    }
}
