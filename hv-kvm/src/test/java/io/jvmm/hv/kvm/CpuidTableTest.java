package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class CpuidTableTest {
    /** A fake KVM_GET_SUPPORTED_CPUID answer: leaf 1 and leaf 0xB subleaves 0..2. */
    private static CpuidTable table() {
        int[][] leaves = {
            {1, 0, 0x00a50f00, 0xff00_0800, 0x0000_8201 | (1 << 15), 0x1789_fbff | (1 << 28)},
            {0xb, 0, 7, 7, 7, 7}, {0xb, 1, 7, 7, 7, 7}, {0xb, 2, 7, 7, 7, 7},
        };
        ByteBuffer b = ByteBuffer.allocate(leaves.length * Kvm.CPUID_ENTRY_SIZE).order(ByteOrder.nativeOrder());
        for (int i = 0; i < leaves.length; i++) {
            int e = i * Kvm.CPUID_ENTRY_SIZE;
            b.putInt(e, leaves[i][0]).putInt(e + 4, leaves[i][1]);
            for (int r = 0; r < 4; r++) {
                b.putInt(e + 12 + 4 * r, leaves[i][2 + r]);
            }
        }
        return new CpuidTable(b, leaves.length);
    }

    @Test
    void leaf1CarriesApicIdCountAndHypervisorBit() {
        NativeBuffer cpuid = table().forVcpu(2, 3);
        int ebx = CpuidTable.register(cpuid, 1, 0, 1);
        assertEquals(2, ebx >>> 24, "initial APIC id");
        assertEquals(3, (ebx >>> 16) & 0xff, "logical processors");
        assertEquals(8, (ebx >>> 8) & 0xff, "CLFLUSH size");
        int ecx = CpuidTable.register(cpuid, 1, 0, 2);
        assertEquals(1, ecx >>> 31, "hypervisor");
        assertEquals(0, (ecx >>> 15) & 1, "PDCM cleared");
        assertEquals(1, (CpuidTable.register(cpuid, 1, 0, 3) >>> 28) & 1, "HTT with 3 vCPUs");
        assertEquals(0x00a50f00, CpuidTable.register(cpuid, 1, 0, 0), "signature untouched");
    }

    @Test
    void singleVcpuHasNoHtt() {
        assertEquals(0, (CpuidTable.register(table().forVcpu(0, 1), 1, 0, 3) >>> 28) & 1);
    }

    @Test
    void leafBDescribesOneThreadPerCoreAndTheX2apicId() {
        NativeBuffer cpuid = table().forVcpu(5, 6);
        assertEquals(5, CpuidTable.register(cpuid, 0xb, 0, 3), "x2APIC id");
        assertEquals(5, CpuidTable.register(cpuid, 0xb, 1, 3), "x2APIC id");
        assertEquals(1, CpuidTable.register(cpuid, 0xb, 0, 1), "threads per core");
        assertEquals(0x100, CpuidTable.register(cpuid, 0xb, 0, 2), "level 0 is SMT");
        assertEquals(3, CpuidTable.register(cpuid, 0xb, 1, 0), "APIC id bits for 6 vCPUs");
        assertEquals(6, CpuidTable.register(cpuid, 0xb, 1, 1), "logical processors");
        assertEquals(0x201, CpuidTable.register(cpuid, 0xb, 1, 2), "level 1 is core");
        assertEquals(2, CpuidTable.register(cpuid, 0xb, 2, 2), "level 2 invalid");
    }

    @Test
    void theSupportedTableItselfIsNotChanged() {
        CpuidTable t = table();
        t.forVcpu(1, 2);
        NativeBuffer again = t.forVcpu(0, 1);
        assertEquals(0, CpuidTable.register(again, 1, 0, 1) >>> 24, "vCPU 0 still gets id 0");
        assertEquals(0, (CpuidTable.register(again, 1, 0, 3) >>> 28) & 1, "no HTT left over");
    }
}
