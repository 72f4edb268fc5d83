package io.jvmm.runtime.board;

import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PciBarMapper;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.device.PciFunctionInfo;
import java.util.List;

/**
 * What the board gives the PCI bus for one device's {@link PciFunction}: the function wrapped so
 * that every call takes the device's own lock (the bus calls it under the bus's lock), and the
 * {@link PciBarMapper} that maps its BARs into the board's {@link BarMappings}, where the vCPUs
 * reach them as the device's MMIO region {@code bar} (see {@link #barTarget}), and moves the
 * function's doorbells with them ({@link DoorbellWiring}).
 */
final class PciAttachment implements PciFunction, PciBarMapper {
    private final PciFunction function;
    private final Object lock;
    private final BarMappings bars;
    /** The device's target for BAR accesses: its intercept forwards to barRead/barWrite. */
    private final DispatchTarget barTarget;
    /** The function's doorbells, registered with the hypervisor while their BAR is mapped. */
    private final DoorbellWiring.Function doorbells;

    PciAttachment(String name, PciFunction function, Object lock, BarMappings bars, DoorbellWiring doorbells,
            io.jvmm.api.support.LogRateLimiter errorLog) {
        this.function = function;
        this.lock = lock;
        this.bars = bars;
        synchronized (lock) {
            this.doorbells = doorbells.add(name, function);
        }
        this.barTarget = new DispatchTarget(name, lock, null, new BarIntercept(function), errorLog);
    }

    /** BAR accesses as MMIO regions: region = BAR index. */
    private record BarIntercept(PciFunction function) implements MmioIntercept {
        @Override
        public List<IoRegion> mmioRegions() {
            return List.of();
        }

        @Override
        public IoResult mmioRead(int region, long offset, byte[] data) {
            return function.barRead(region, offset, data);
        }

        @Override
        public IoResult mmioWrite(int region, long offset, byte[] data) {
            return function.barWrite(region, offset, data);
        }
    }

    DispatchTarget barTarget() {
        return barTarget;
    }

    @Override
    public PciFunctionInfo info() {
        synchronized (lock) {
            return function.info();
        }
    }

    @Override
    public IoResult barRead(int bar, long offset, byte[] data) {
        synchronized (lock) {
            return function.barRead(bar, offset, data);
        }
    }

    @Override
    public IoResult barWrite(int bar, long offset, byte[] data) {
        synchronized (lock) {
            return function.barWrite(bar, offset, data);
        }
    }

    @Override
    public IoResult capabilityRead(int capability, int offset, byte[] data) {
        synchronized (lock) {
            return function.capabilityRead(capability, offset, data);
        }
    }

    @Override
    public IoResult capabilityWrite(int capability, int offset, byte[] data) {
        synchronized (lock) {
            return function.capabilityWrite(capability, offset, data);
        }
    }

    @Override
    public void commandWritten(int command) {
        synchronized (lock) {
            function.commandWritten(command);
        }
    }

    @Override
    public boolean map(int bar, long address, long size) {
        boolean mapped = bars.map(barTarget, bar, address, size);
        if (mapped) {
            doorbells.mapped(bar, address);
        } else {
            doorbells.unmapped(bar); // a refused mapping replaced the old one: nothing decodes
        }
        return mapped;
    }

    @Override
    public void unmap(int bar) {
        doorbells.unmapped(bar);
        bars.unmap(barTarget, bar);
    }
}
