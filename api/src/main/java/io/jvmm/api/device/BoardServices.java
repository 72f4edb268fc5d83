package io.jvmm.api.device;

import java.util.Optional;

/**
 * What the board offers a chipset-device resolver while it builds one device. Address regions are
 * not claimed here: the device declares them ({@link PortIoIntercept#pioRegions()},
 * {@link MmioIntercept#mmioRegions()}) and the board claims them from the built device, checking
 * the whole board for conflicts and reporting them all together.
 */
public interface BoardServices {
    /**
     * A new source on line {@code vector} of {@code lineSet} (see {@link LineSets}), labelled for
     * diagnostics. Throws {@link IllegalStateException} when the line already has 16 sources.
     */
    LineInterrupt newLine(String lineSet, String label, int vector);

    /**
     * Makes {@code target} receive lines {@code [firstSource, lastSource]} of {@code lineSet}, as
     * vectors starting at {@code firstTarget}. Lines already high are delivered at once.
     */
    void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target);

    /** Asks the VM to power off or reset. Safe from any thread; never blocks. */
    void requestPower(PowerAction action);

    /**
     * {@link #requestPower(PowerAction)}, saying what the guest did, in the device's terms and as a
     * phrase that follows the device's name: "pulsed the reset line (command 0xfe)". When this
     * request ends the run, jvmm reports it as the cause ({@code jvmm: the guest reset: i8042
     * pulsed the reset line (command 0xfe)}). Called on a rare path, so building the text may
     * allocate. Boards that do not report causes drop it (this default).
     */
    default void requestPower(PowerAction action, String cause) {
        requestPower(action);
    }

    VmClock clock();

    /** The waker of the device being built; it drives {@link PollDevice#poll()}. */
    DeviceWaker waker();

    /**
     * Guest RAM for DMA. The board may hand it out before the VM's memory exists (the board is
     * built before the partition): until then every access fails with a
     * {@link GuestMemoryException}, as it does on boards without memory (this default).
     */
    default DmaMemory guestMemory() {
        return DmaMemory.NONE;
    }

    /**
     * Where the device sends message-signalled interrupts (MSI, MSI-X), when the board's hypervisor
     * delivers them; empty on boards that cannot (this default), and then a PCI device must not
     * offer an MSI or MSI-X capability. Like {@link #guestMemory()}, it may be handed out before
     * the VM exists; messages sent before the VM runs are dropped.
     */
    default Optional<MessageInterrupts> messageInterrupts() {
        return Optional.empty();
    }
}
