package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SavedStateBlob;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The KVM backend's saved-state blobs and the CPUID check, without KVM. */
class KvmSavedStateTest {
    private static byte[] filled(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + 7 * i);
        }
        return b;
    }

    private static byte[] cpuid(int[]... leaves) {
        ByteBuffer b = ByteBuffer.allocate(leaves.length * Kvm.CPUID_ENTRY_SIZE).order(ByteOrder.nativeOrder());
        for (int i = 0; i < leaves.length; i++) {
            int e = i * Kvm.CPUID_ENTRY_SIZE;
            b.putInt(e, leaves[i][0]).putInt(e + 4, leaves[i][1]);
            for (int r = 0; r < 4; r++) {
                b.putInt(e + 12 + 4 * r, leaves[i][2 + r]);
            }
        }
        return b.array();
    }

    private static CpuidTable table(byte[] entries) {
        return new CpuidTable(ByteBuffer.wrap(entries).order(ByteOrder.nativeOrder()), entries.length / Kvm.CPUID_ENTRY_SIZE);
    }

    private static KvmVcpuState vcpuState() {
        byte[] msrs = new byte[3 * Kvm.MSR_ENTRY_SIZE];
        ByteBuffer m = ByteBuffer.wrap(msrs).order(ByteOrder.nativeOrder());
        m.putInt(0, 0x10).putLong(8, 123456789L).putInt(16, 0x4b564d01).putLong(24, 0x5001).putInt(32, 0x6e0).putLong(40, 99);
        return new KvmVcpuState(cpuid(new int[] {1, 0, 0x806f8, 0, 1 << 28, 1}, new int[] {7, 0, 0, 1 << 16, 0, 0}),
                2_500_000, filled(Kvm.MP_STATE_SIZE, 1), filled(Kvm.REGS_SIZE, 2), filled(Kvm.SREGS_SIZE, 3),
                filled(Kvm.XSAVE_SIZE + 64, 4), filled(Kvm.XCRS_SIZE, 5), filled(Kvm.DEBUGREGS_SIZE, 6),
                filled(Kvm.LAPIC_SIZE, 7), msrs, filled(Kvm.VCPU_EVENTS_SIZE, 8));
    }

    @Test
    void aVcpuStateRoundTripsThroughItsBlob() {
        KvmVcpuState state = vcpuState();
        SavedStateBlob blob = state.toBlob();
        assertEquals("kvm.x86.vcpu", blob.format());
        assertEquals(1, blob.version());
        KvmVcpuState back = KvmVcpuState.fromBlob(blob);
        assertArrayEquals(state.cpuid(), back.cpuid());
        assertEquals(2_500_000, back.tscKhz());
        assertArrayEquals(state.mpState(), back.mpState());
        assertArrayEquals(state.regs(), back.regs());
        assertArrayEquals(state.sregs(), back.sregs());
        assertArrayEquals(state.xsave(), back.xsave());
        assertArrayEquals(state.xcrs(), back.xcrs());
        assertArrayEquals(state.debugregs(), back.debugregs());
        assertArrayEquals(state.lapic(), back.lapic());
        assertArrayEquals(state.msrs(), back.msrs());
        assertArrayEquals(state.events(), back.events());
        assertArrayEquals(new int[] {0x10, 0x4b564d01, 0x6e0}, back.msrIndices());
        assertEquals(0x5001, back.msr(0x4b564d01, -1));
        assertEquals(-1, back.msr(0x277, -1));
    }

    @Test
    void aHostWithoutXcrsSavesAnEmptySection() {
        KvmVcpuState s = vcpuState();
        KvmVcpuState noXcrs = new KvmVcpuState(s.cpuid(), 0, s.mpState(), s.regs(), s.sregs(), s.xsave(), new byte[0],
                s.debugregs(), s.lapic(), s.msrs(), s.events());
        assertEquals(0, KvmVcpuState.fromBlob(noXcrs.toBlob()).xcrs().length);
    }

    @Test
    void everyTruncationOfAVcpuBlobIsRefusedNamingWhatIsWrong() {
        byte[] data = vcpuState().toBlob().data();
        for (int length = 0; length < data.length; length += length < 64 ? 1 : 97) {
            SavedStateBlob cut = new SavedStateBlob("kvm.x86.vcpu", 1, Arrays.copyOf(data, length));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KvmVcpuState.fromBlob(cut),
                    "truncated to " + length);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("corrupt"), e.getMessage());
        }
        SavedStateBlob longer = new SavedStateBlob("kvm.x86.vcpu", 1, Arrays.copyOf(data, data.length + 1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KvmVcpuState.fromBlob(longer))
                .getMessage().contains("1 bytes after its last section"));
    }

    @Test
    void aSectionOfTheWrongLengthIsRefused() {
        byte[] data = vcpuState().toBlob().data();
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int cpuidLength = b.getInt(4);
        int khzAt = 8 + cpuidLength; // tsc_khz section header
        int mpAt = khzAt + 8 + 4;
        assertEquals(2, b.getInt(mpAt), "mp_state is section 2");
        b.putInt(mpAt + 4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvmVcpuState.fromBlob(new SavedStateBlob("kvm.x86.vcpu", 1, data)));
        assertTrue(e.getMessage().contains("mp_state is 8 bytes, expected 4"), e.getMessage());
        b.putInt(mpAt + 4, 4);
        b.putInt(mpAt, 3);
        e = assertThrows(IllegalArgumentException.class,
                () -> KvmVcpuState.fromBlob(new SavedStateBlob("kvm.x86.vcpu", 1, data)));
        assertTrue(e.getMessage().contains("section 3 where mp_state (2) belongs"), e.getMessage());
    }

    @Test
    void anotherFormatOrVersionIsRefused() {
        byte[] data = vcpuState().toBlob().data();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvmVcpuState.fromBlob(new SavedStateBlob("mshv.x86.vcpu", 1, data)));
        assertTrue(e.getMessage().contains("'mshv.x86.vcpu' given where 'kvm.x86.vcpu' is needed"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> KvmVcpuState.fromBlob(new SavedStateBlob("kvm.x86.vcpu", 2, data)));
        assertTrue(e.getMessage().contains("version 2; this jvmm reads version 1 only"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> KvmPartitionState.fromBlob(new SavedStateBlob("kvm.x86.vcpu", 1, data)));
        assertTrue(e.getMessage().contains("where 'kvm.x86.partition' is needed"), e.getMessage());
    }

    private static byte[] irqchip(int id) {
        byte[] b = filled(Kvm.IRQCHIP_SIZE, id);
        ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putInt(0, id);
        return b;
    }

    @Test
    void aPartitionStateRoundTripsAndItsChipsMustBeInPlace() {
        byte[] clock = new byte[Kvm.CLOCK_DATA_SIZE];
        ByteBuffer.wrap(clock).order(ByteOrder.nativeOrder()).putLong(0, 5_000_000_123L);
        KvmPartitionState state = new KvmPartitionState(irqchip(0), irqchip(1), irqchip(2),
                filled(Kvm.PIT_STATE2_SIZE, 9), clock);
        KvmPartitionState back = KvmPartitionState.fromBlob(state.toBlob());
        assertArrayEquals(state.ioapic(), back.ioapic());
        assertArrayEquals(state.pit(), back.pit());
        assertEquals(5_000_000_123L, back.clockNanos());

        KvmPartitionState swapped = new KvmPartitionState(irqchip(1), irqchip(0), irqchip(2),
                filled(Kvm.PIT_STATE2_SIZE, 9), clock);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvmPartitionState.fromBlob(swapped.toBlob()));
        assertTrue(e.getMessage().contains("pic_master holds irqchip 1, not 0"), e.getMessage());
        byte[] data = state.toBlob().data();
        assertThrows(IllegalArgumentException.class, () -> KvmPartitionState.fromBlob(
                new SavedStateBlob("kvm.x86.partition", 1, Arrays.copyOf(data, data.length - 1))));
    }

    @Test
    void aSavedCpuidTheHostCanGiveIsAccepted() {
        byte[] host = cpuid(new int[] {1, 0, 0, 0, (1 << 28) | (1 << 26), 0x0789fbff},
                new int[] {7, 0, 0, (1 << 5) | (1 << 16), 0, 0}, new int[] {0xd, 0, 0x7, 0, 0, 0});
        byte[] saved = cpuid(new int[] {1, 0, 0, 0x01000800, (1 << 28) | (1 << 31) | (1 << 27), 0x0789fbff | (1 << 28)},
                new int[] {7, 0, 0, 1 << 5, 0, 0}, new int[] {0xd, 0, 0x7, 0, 0, 0}, new int[] {0xb, 1, 1, 2, 0x201, 1});
        // EBX of leaf 1 (APIC id, counts) is not a feature register; the hypervisor, OSXSAVE and
        // HTT bits are set by jvmm or by the guest, not offered by KVM
        assertEquals(List.of(), CpuidCompatibility.missingFeatures(saved, table(host)));
    }

    @Test
    void aSavedCpuidWithFeaturesTheHostLacksIsNamedBitByBit() {
        byte[] host = cpuid(new int[] {1, 0, 0, 0, 1 << 26, 0x0789fbff}, new int[] {7, 0, 0, 1 << 5, 0, 0},
                new int[] {0xd, 0, 0x7, 0, 0, 0});
        byte[] saved = cpuid(new int[] {1, 0, 0, 0, (1 << 26) | (1 << 28), 0x0789fbff},
                new int[] {7, 0, 0, (1 << 5) | (1 << 16) | (1 << 30), 0, 0}, new int[] {0xd, 0, 0xe7, 0, 0, 0},
                new int[] {0x8000_0001, 0, 0, 0, 0, 1 << 29});
        assertEquals(List.of("CPUID.1.0:ECX bit 28 (AVX)", "CPUID.7.0:EBX bits 16 (AVX512F), 30 (AVX512BW)",
                "CPUID.0xd.0:EAX bits 5 (AVX-512 opmask state), 6 (AVX-512 ZMM_Hi256 state), 7 (AVX-512 Hi16_ZMM state)",
                "CPUID.0x80000001.0:EDX bit 29 (long mode)"), CpuidCompatibility.missingFeatures(saved, table(host)));
    }

    @Test
    void msrsAreSavedTscFirstAndTscDeadlineLast() {
        int[] list = {0x174, KvmVcpu.IA32_TSC_DEADLINE, 0x4b564d01, 0x10, 0x277};
        int[] order = KvmVcpu.msrsToSave(list, false);
        assertArrayEquals(new int[] {0x10, 0x174, 0x4b564d01, 0x277, KvmVcpu.IA32_TSC_DEADLINE}, order);
        int[] withMtrr = KvmVcpu.msrsToSave(list, true);
        assertEquals(0x10, withMtrr[0]);
        assertEquals(KvmVcpu.IA32_TSC_DEADLINE, withMtrr[withMtrr.length - 1]);
        assertTrue(Arrays.stream(withMtrr).anyMatch(i -> i == 0x2ff), "MTRRdefType");
        assertTrue(Arrays.stream(withMtrr).anyMatch(i -> i == 0x20f), "the last variable-range MTRR mask");
        assertEquals(Arrays.stream(withMtrr).distinct().count(), withMtrr.length, "no MSR twice");
    }
}
