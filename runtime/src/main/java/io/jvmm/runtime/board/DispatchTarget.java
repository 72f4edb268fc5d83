package io.jvmm.runtime.board;

import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.support.LogRateLimiter;

/**
 * What the range maps point at: one built device's intercepts, its lock and its error-log limiter.
 * Immutable, so the vCPU path reads it without synchronization.
 */
final class DispatchTarget {
    final String name;
    /** The device's own lock; every access to the device is made holding it. */
    final Object lock;
    final PortIoIntercept pio;
    final MmioIntercept mmio;
    final LogRateLimiter errorLog;

    DispatchTarget(String name, Object lock, PortIoIntercept pio, MmioIntercept mmio, LogRateLimiter errorLog) {
        this.name = name;
        this.lock = lock;
        this.pio = pio;
        this.mmio = mmio;
        this.errorLog = errorLog;
    }

    @Override
    public String toString() {
        return name;
    }
}
