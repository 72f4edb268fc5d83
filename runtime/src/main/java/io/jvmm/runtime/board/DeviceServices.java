package io.jvmm.runtime.board;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.MessageInterrupts;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.VmClock;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@link BoardServices} of one device: creates its lines and routes line targets to be called
 * under the device's lock; lines, power requests, the clock and the waker stay usable for the
 * device's lifetime. (Regions are not claimed here: the builder takes them from the device.)
 */
final class DeviceServices implements BoardServices {
    private final String deviceName;
    private final Object deviceLock;
    private final InterruptLines lines;
    private final Consumer<PowerRequest> power;
    private final VmClock clock;
    private final DeviceWaker waker;
    private final DmaMemory memory;
    private final Optional<MessageInterrupts> messageInterrupts;

    /** @param messageInterrupts the board's MSI sender, or null when its hypervisor has none */
    DeviceServices(String deviceName, Object deviceLock, InterruptLines lines, Consumer<PowerRequest> power,
            VmClock clock, DeviceWaker waker, DmaMemory memory, MessageInterrupts messageInterrupts) {
        this.memory = memory;
        this.messageInterrupts = Optional.ofNullable(messageInterrupts);
        this.deviceName = deviceName;
        this.deviceLock = deviceLock;
        this.lines = lines;
        this.power = power;
        this.clock = clock;
        this.waker = waker;
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

    @Override
    public DmaMemory guestMemory() {
        return memory;
    }

    @Override
    public Optional<MessageInterrupts> messageInterrupts() {
        return messageInterrupts;
    }

}
