package io.jvmm.hv.kvm;

import io.jvmm.api.device.SavedStateBlob;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A KVM x86 VM's own state outside vCPUs and RAM, as the kernel's structures: the in-kernel PICs
 * and IOAPIC (struct kvm_irqchip for chips 0, 1, 2), the PIT (struct kvm_pit_state2) and the VM
 * clock behind kvmclock (struct kvm_clock_data). Blob format {@value #FORMAT}, version {@value #VERSION}.
 */
record KvmPartitionState(byte[] picMaster, byte[] picSlave, byte[] ioapic, byte[] pit, byte[] clock) {
    static final String FORMAT = "kvm.x86.partition";
    static final int VERSION = 1;

    static final List<StateSections.Section> LAYOUT = List.of(
            StateSections.Section.fixed("pic_master", Kvm.IRQCHIP_SIZE),
            StateSections.Section.fixed("pic_slave", Kvm.IRQCHIP_SIZE),
            StateSections.Section.fixed("ioapic", Kvm.IRQCHIP_SIZE),
            StateSections.Section.fixed("pit2", Kvm.PIT_STATE2_SIZE),
            StateSections.Section.fixed("clock", Kvm.CLOCK_DATA_SIZE));

    SavedStateBlob toBlob() {
        return new SavedStateBlob(FORMAT, VERSION,
                StateSections.encode(LAYOUT, List.of(picMaster, picSlave, ioapic, pit, clock)));
    }

    /** @throws IllegalArgumentException for a blob of another format or version, or malformed bytes */
    static KvmPartitionState fromBlob(SavedStateBlob blob) {
        List<byte[]> p = StateSections.decode(blob, FORMAT, VERSION, LAYOUT);
        String[] names = {"pic_master", "pic_slave", "ioapic"};
        for (int chip = 0; chip < 3; chip++) {
            int id = ByteBuffer.wrap(p.get(chip)).order(ByteOrder.nativeOrder()).getInt(Kvm.IRQCHIP_CHIP_ID);
            if (id != chip) {
                throw new IllegalArgumentException("saved " + FORMAT + " state is corrupt: section " + names[chip]
                        + " holds irqchip " + id + ", not " + chip);
            }
        }
        return new KvmPartitionState(p.get(0), p.get(1), p.get(2), p.get(3), p.get(4));
    }

    /** The saved kvmclock value in nanoseconds. */
    long clockNanos() {
        return ByteBuffer.wrap(clock).order(ByteOrder.nativeOrder()).getLong(Kvm.CLOCK_DATA_CLOCK);
    }
}
