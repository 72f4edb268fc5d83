package io.jvmm.runtime.board;

import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.resource.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A built board: the I/O bus for the vCPUs, the devices in board order, their runner and the
 * line sets. {@link #close()} ends the runner's threads.
 */
public final class Chipset implements AutoCloseable {
    private final Board board;
    private final List<BoardDevice> devices;
    private final DeviceRunner runner;
    private static final Logger LOG = LoggerFactory.getLogger(Chipset.class);

    private final InterruptLines lines;
    private final List<Resolved> resolved;

    /**
     * A nested resource a device resolved (a serial backend, a battery source, …).
     *
     * @param device the device that asked for it
     * @param resource what was asked for
     * @param object what it resolved to
     */
    public record Resolved(String device, Resource<?> resource, Object object) {}

    private final LateDmaMemory memory;
    private final DoorbellWiring doorbells;
    /** Null when the board was built without MSI delivery. */
    private final LateMessageInterrupts messageInterrupts;

    Chipset(Board board, List<BoardDevice> devices, DeviceRunner runner, InterruptLines lines, List<Resolved> resolved,
            LateDmaMemory memory, DoorbellWiring doorbells, LateMessageInterrupts messageInterrupts) {
        this.memory = memory;
        this.doorbells = doorbells;
        this.messageInterrupts = messageInterrupts;
        this.board = board;
        this.devices = List.copyOf(devices);
        this.runner = runner;
        this.lines = lines;
        this.resolved = List.copyOf(resolved);
    }

    /** Every nested object of {@code type} the devices resolved, in resolution order. */
    public <T> List<T> resolved(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Resolved r : resolved) {
            if (type.isInstance(r.object())) {
                out.add(type.cast(r.object()));
            }
        }
        return out;
    }

    /** The first nested object of {@code type} that {@code device} resolved. */
    public <T> Optional<T> resolvedBy(String device, Class<T> type) {
        for (Resolved r : resolved) {
            if (r.device().equals(device) && type.isInstance(r.object())) {
                return Optional.of(type.cast(r.object()));
            }
        }
        return Optional.empty();
    }

    /** The serial backend of the device called {@code device} (e.g. {@code serial-com1}). */
    public Optional<io.jvmm.api.serial.SerialBackend> serialBackend(String device) {
        return resolvedBy(device, io.jvmm.api.serial.SerialBackend.class);
    }

    /**
     * Lets every device release its host resources ({@link DeviceLifecycle#close}, e.g. a disk's
     * image file and its lock), last first, after the runner stopped their polls.
     */
    static void closeDevices(List<BoardDevice> devices) {
        for (int i = devices.size() - 1; i >= 0; i--) {
            BoardDevice d = devices.get(i);
            try {
                d.device().capabilities().lifecycle().ifPresent(DeviceLifecycle::close);
            } catch (RuntimeException e) {
                LOG.warn("closing device {} failed: {}", d.name(), e.toString());
            }
        }
    }

    /** Closes the resolved objects that hold host resources (backends flush here), last first. */
    static void closeAll(List<Resolved> resolved) {
        for (int i = resolved.size() - 1; i >= 0; i--) {
            if (resolved.get(i).object() instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("closing {} of {} failed: {}", resolved.get(i).resource(), resolved.get(i).device(),
                            e.toString());
                }
            }
        }
    }

    /** The bus to hand to the vCPUs. */
    public Board board() {
        return board;
    }

    /** Every device, base-chipset devices first, then the manifest's devices in list order. */
    public List<BoardDevice> devices() {
        return devices;
    }

    /** Lifecycle and polling of the devices. */
    public DeviceRunner runner() {
        return runner;
    }

    public InterruptLines lines() {
        return lines;
    }

    /**
     * Routes the {@code irq} line set (lines 0..{@value ChipsetBuilder#MAX_EXTERNAL_IRQ}, as the
     * same numbers) to the hypervisor's interrupt injection. Done once the partition exists, after
     * the board was built; lines the devices already raised are delivered at once.
     */
    public void connectExternalIrq(io.jvmm.api.device.LineInterruptTarget target) {
        lines.addTarget(io.jvmm.api.device.LineSets.IRQ, 0, ChipsetBuilder.MAX_EXTERNAL_IRQ, 0, target, null);
    }

    /**
     * Gives the devices the partition's RAM for DMA (until then their accesses fail). Done once the
     * partition exists, like {@link #connectExternalIrq}.
     */
    public void connectGuestMemory(io.jvmm.api.device.DmaMemory ram) {
        memory.connect(ram);
    }

    /**
     * Gives the board the partition's doorbell support ({@link io.jvmm.api.hv.Partition#doorbells()}):
     * from now on the doorbells of mapped PCI BARs are absorbed by the hypervisor. Done once the
     * partition exists, like {@link #connectGuestMemory}; without it (or with an empty one) doorbell
     * writes are ordinary MMIO exits.
     */
    public void connectDoorbells(Optional<io.jvmm.api.hv.DoorbellSupport> support) {
        doorbells.connect(support);
    }

    /** Whether the board was built to deliver message-signalled interrupts (its devices may use MSI-X). */
    public boolean usesMessageInterrupts() {
        return messageInterrupts != null;
    }

    /**
     * Gives the devices the partition's MSI delivery, when the board was built for it (see
     * {@link ChipsetBuilder#messageInterrupts}); until then their messages are dropped. Done once the
     * partition exists, like {@link #connectExternalIrq}; a no-op on a board built without MSIs.
     */
    public void connectMessageInterrupts(io.jvmm.api.device.MessageInterrupts target) {
        if (messageInterrupts != null) {
            messageInterrupts.connect(target);
        }
    }

    @Override
    public void close() {
        doorbells.close();
        runner.close();
        closeDevices(devices);
        closeAll(resolved);
    }
}
