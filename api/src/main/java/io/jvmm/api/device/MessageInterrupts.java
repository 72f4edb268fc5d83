package io.jvmm.api.device;

/**
 * Message-signalled interrupts (PCI Local Bus 3.0 §6.8): a function raises one by a DWORD memory
 * write of {@code data} to {@code address}. On x86 the address lies in the local APICs' window at
 * {@link #X86_ADDRESS_BASE} and names the destination, the data names the vector and delivery mode
 * (Intel SDM vol. 3 §11.11); the board delivers the message as if the write had reached the APIC
 * bus. Get one from {@link BoardServices#messageInterrupts()}; a board without it has none, and
 * its devices offer INTx only.
 *
 * <p>Safe from any thread (a device's worker, a vCPU thread writing a device register); allocates
 * nothing; never waits for the guest. A message the guest's APICs reject (a bad address) is lost,
 * as on hardware; the board may log it.
 */
@FunctionalInterface
public interface MessageInterrupts {
    /** The first address of the x86 MSI window, 0xFEE0_0000; messages go to 0xFEEx_xxxx. */
    long X86_ADDRESS_BASE = 0xFEE0_0000L;

    /**
     * Sends one message.
     *
     * @param address the 64-bit message address the guest programmed
     * @param data the 32-bit message data the guest programmed (only the low 16 bits are defined
     *     for MSI-X on x86; all 32 are passed on)
     */
    void signal(long address, int data);
}
