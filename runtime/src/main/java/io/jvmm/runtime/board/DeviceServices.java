package io.jvmm.runtime.board;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.VmClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The {@link BoardServices} of one device while it is built: records its region claims, creates its
 * lines, and routes line targets to be called under the device's lock. Claims are only accepted
 * until the board has taken them ({@link #seal()}); lines, power requests, the clock and the waker
 * stay usable for the device's lifetime.
 */
final class DeviceServices implements BoardServices {
    private final String deviceName;
    private final Object deviceLock;
    private final InterruptLines lines;
    private final Consumer<PowerRequest> power;
    private final VmClock clock;
    private final DeviceWaker waker;
    private final List<Region> pio = new ArrayList<>();
    private final List<Region> mmio = new ArrayList<>();
    private boolean sealed;

    DeviceServices(String deviceName, Object deviceLock, InterruptLines lines, Consumer<PowerRequest> power,
            VmClock clock, DeviceWaker waker) {
        this.deviceName = deviceName;
        this.deviceLock = deviceLock;
        this.lines = lines;
        this.power = power;
        this.clock = clock;
        this.waker = waker;
    }

    @Override
    public synchronized void claimPio(String region, int start, int end) {
        Objects.requireNonNull(region, "region");
        checkOpen(region);
        if (start < 0 || end > 0xFFFF || start > end) {
            throw new IllegalArgumentException("device '" + deviceName + "' region '" + region + "': port range 0x"
                    + Integer.toHexString(start) + "-0x" + Integer.toHexString(end)
                    + " is invalid (ports are 0x0-0xffff, start <= end)");
        }
        pio.add(new Region(deviceName, region, start, end));
    }

    @Override
    public synchronized void claimMmio(String region, long start, long end) {
        Objects.requireNonNull(region, "region");
        checkOpen(region);
        if (Long.compareUnsigned(start, end) > 0) {
            throw new IllegalArgumentException("device '" + deviceName + "' region '" + region + "': MMIO range 0x"
                    + Long.toHexString(start) + "-0x" + Long.toHexString(end) + " has its start above its end");
        }
        mmio.add(new Region(deviceName, region, start, end));
    }

    private void checkOpen(String region) {
        if (sealed) {
            throw new IllegalStateException("device '" + deviceName + "' claimed region '" + region
                    + "' after the board was built; claim regions while resolving the device");
        }
    }

    @Override
    public LineInterrupt newLine(String lineSet, String label, int vector) {
        return lines.newLine(lineSet, deviceName + "/" + label, vector);
    }

    @Override
    public void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {
        lines.addTarget(lineSet, firstSource, lastSource, firstTarget, target, deviceLock);
    }

    @Override
    public void requestPower(PowerAction action) {
        power.accept(new PowerRequest(deviceName, action, null));
    }

    @Override
    public void requestPower(PowerAction action, String cause) {
        power.accept(new PowerRequest(deviceName, action, cause));
    }

    @Override
    public VmClock clock() {
        return clock;
    }

    @Override
    public DeviceWaker waker() {
        return waker;
    }

    /** Ends the claim phase and returns the PIO claims. */
    synchronized List<Region> sealPio() {
        sealed = true;
        return List.copyOf(pio);
    }

    synchronized List<Region> sealMmio() {
        sealed = true;
        return List.copyOf(mmio);
    }
}
