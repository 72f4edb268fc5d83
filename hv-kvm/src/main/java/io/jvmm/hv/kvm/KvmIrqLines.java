package io.jvmm.hv.kvm;

import com.sun.jna.Memory;
import io.jvmm.api.device.LineInterruptTarget;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The board's {@code irq} line set on KVM: line n is GSI n, driven with KVM_IRQ_LINE (which feeds
 * the in-kernel PIC for n &lt; 16 and IOAPIC pin n; GSI 0 goes to pin 2, see
 * {@link KvmPartition#pcRouting()}). Devices call this from vCPU and device
 * threads; each thread has its own 8-byte {@code kvm_irq_level} buffer, so there is no lock and,
 * after a thread's first call, no allocation.
 */
final class KvmIrqLines implements LineInterruptTarget {
    private static final Logger LOG = LoggerFactory.getLogger(KvmIrqLines.class);
    private static final int GSI_COUNT = 24; // IOAPIC pins; the PIC covers 0..15 of them
    private static final int MAX_WARNINGS = 10;

    private final int vmFd;
    private final ThreadLocal<Memory> level = ThreadLocal.withInitial(() -> new Memory(8));
    private final AtomicInteger warnings = new AtomicInteger();

    KvmIrqLines(int vmFd) {
        this.vmFd = vmFd;
    }

    @Override
    public void setIrq(int vector, boolean high) {
        if (vector < 0 || vector >= GSI_COUNT) {
            warn("ignoring interrupt line {}: the in-kernel irqchip has GSIs 0..23", vector, 0);
            return;
        }
        Memory irqLevel = level.get();
        irqLevel.setInt(0, vector);
        irqLevel.setInt(4, high ? 1 : 0);
        if (LibC.ioctl(vmFd, Kvm.IRQ_LINE, irqLevel) < 0) {
            warn("KVM_IRQ_LINE for GSI {} failed: errno {}", vector, LibC.errno());
        }
    }

    /** Logs the first few problems only: a misbehaving device must not flood the log. */
    private void warn(String format, int a, int b) {
        if (warnings.getAndIncrement() < MAX_WARNINGS) {
            LOG.warn(format, a, b);
        }
    }
}
