package io.jvmm.hv.kvm;

import com.sun.jna.Memory;
import io.jvmm.api.device.MessageInterrupts;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Message-signalled interrupts on KVM: each message is one KVM_SIGNAL_MSI on the VM fd, which the
 * in-kernel irqchip delivers like a write to the local APICs' 0xFEEx_xxxx window (Documentation/
 * virt/kvm/api.rst, "KVM_SIGNAL_MSI"). Devices send from vCPU and device threads; each thread has
 * its own {@code struct kvm_msi}, so there is no lock and, after a thread's first message, no
 * allocation.
 */
final class KvmMsi implements MessageInterrupts {
    private static final Logger LOG = LoggerFactory.getLogger(KvmMsi.class);
    private static final int MAX_WARNINGS = 10;

    private final int vmFd;
    private final ThreadLocal<Memory> msi = ThreadLocal.withInitial(() -> {
        Memory m = new Memory(Kvm.MSI_SIZE);
        m.clear();
        return m;
    });
    private final AtomicInteger warnings = new AtomicInteger();
    /** Senders inside signal(): close() waits for them, so no ioctl reaches a closed (perhaps reused) fd. */
    private final AtomicInteger sending = new AtomicInteger();
    private volatile boolean closed;

    KvmMsi(int vmFd) {
        this.vmFd = vmFd;
    }

    @Override
    public void signal(long address, int data) {
        sending.incrementAndGet();
        try {
            if (!closed) {
                send(address, data);
            } // else: a device still polling after its VM closed (the message has nowhere to go)
        } finally {
            sending.decrementAndGet();
        }
    }

    /**
     * No message is sent after this returns: called by the partition before it closes the VM fd,
     * whose number another VM in this JVM may get next. Waits (briefly: one ioctl) for senders in flight.
     */
    void close() {
        closed = true;
        while (sending.get() != 0) {
            Thread.onSpinWait();
        }
    }

    private void send(long address, int data) {
        Memory m = msi.get();
        m.setInt(Kvm.MSI_ADDRESS_LO, (int) address);
        m.setInt(Kvm.MSI_ADDRESS_HI, (int) (address >>> 32));
        m.setInt(Kvm.MSI_DATA, data);
        m.setInt(Kvm.MSI_FLAGS, 0); // no KVM_MSI_VALID_DEVID: x86 does not use device ids
        // > 0: delivered; 0: the guest blocked it (e.g. its APIC is software-disabled); < 0: refused
        if (LibC.ioctl(vmFd, Kvm.SIGNAL_MSI, m) < 0 && warnings.getAndIncrement() < MAX_WARNINGS) {
            LOG.warn("KVM_SIGNAL_MSI to address 0x{} data 0x{} failed: errno {}", Long.toHexString(address),
                    Integer.toHexString(data), LibC.errno());
        }
    }
}
