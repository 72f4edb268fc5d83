package io.jvmm.api.device;

/**
 * A device that is a PCI function (a {@link Capabilities#pciFunction()}): it describes its header
 * ({@link #info()}) and serves its BARs and capability bytes; the PCI bus device emulates the rest
 * of the type-0 configuration space (command and status, BAR sizing and programming, interrupt
 * line), and the board maps each BAR where the guest programs it while memory decoding is on.
 *
 * <p>Accesses arrive like {@link MmioIntercept}'s: {@code bar} is the BAR's register index and
 * {@code offset} is from the BAR's programmed address; {@code data.length} is 1, 2, 4 or 8,
 * little-endian; the access may run past the BAR's end only if the guest made it so (check).
 * Every method but {@link #doorbellRung} is called under the device's own lock and must not allocate.
 */
public interface PciFunction {
    /** The fixed header; read once when the board attaches the function. */
    PciFunctionInfo info();

    IoResult barRead(int bar, long offset, byte[] data);

    IoResult barWrite(int bar, long offset, byte[] data);

    /**
     * Reads bytes of capability {@code capability} (its index in {@link PciFunctionInfo#capabilities()})
     * from {@code offset} within the entry. The bus overwrites the entry's bytes 0 (ID) and 1 (next).
     * The default reads zeroes.
     */
    default IoResult capabilityRead(int capability, int offset, byte[] data) {
        IoData.put(data, 0);
        return IoResult.OK;
    }

    /** A write to capability bytes; bytes 0 and 1 of the entry are read-only (ignore them). */
    default IoResult capabilityWrite(int capability, int offset, byte[] data) {
        return IoResult.OK;
    }

    /**
     * The function's doorbells (see {@link PciDoorbell}); read once, when the board attaches the
     * function. The default has none.
     */
    default java.util.List<PciDoorbell> doorbells() {
        return java.util.List.of();
    }

    /**
     * Doorbell {@code index} (of {@link #doorbells()}) was rung at least once since the previous
     * call: the hypervisor absorbed the guest's write(s). Unlike every other method this one is
     * called from a host thread of the board without the device's lock, possibly at the same time
     * as the others: it must be thread-safe, allocate nothing, never block, and be short (mark the
     * work, wake the device's poll).
     */
    default void doorbellRung(int index) {}

    /** Command register bits, PCI Local Bus 3.0 §6.2.2. */
    int COMMAND_MEMORY = 1 << 1;
    int COMMAND_BUS_MASTER = 1 << 2;
    int COMMAND_INTX_DISABLE = 1 << 10;

    /**
     * The guest wrote the command register; {@code command} is its new value. A function must not
     * start DMA while {@link #COMMAND_BUS_MASTER} is clear, and must keep its INTx deasserted while
     * {@link #COMMAND_INTX_DISABLE} is set. Called after reset with 0.
     */
    default void commandWritten(int command) {}
}
