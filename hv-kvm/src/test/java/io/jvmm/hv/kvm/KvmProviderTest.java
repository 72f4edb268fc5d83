package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.Availability;
import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.testkit.RequiresKvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KvmProviderTest {
    @Test
    void identity() {
        KvmProvider provider = new KvmProvider();
        assertEquals("kvm", provider.name());
        assertEquals(Set.of("generic_pic", "generic_ioapic", "generic_pit"), provider.suppliedDevices(MachineArch.X86_64));
        assertEquals(Set.of(), provider.suppliedDevices(MachineArch.AARCH64));
    }

    /** Warm-up runs before the configuration is checked, so it must not open the device. */
    @Test
    void warmUpLeavesNoDeviceDescriptorAndDoesNotThrow() throws Exception {
        long before = kvmDescriptors();
        new KvmProvider().warmUp();
        new KvmProvider().warmUp();
        assertEquals(before, kvmDescriptors());
        assertTrue(LibC.errno() >= 0, "libc is linked");
    }

    private static long kvmDescriptors() throws java.io.IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("/dev/kvm");
                } catch (java.io.IOException e) {
                    return false; // the listing's own descriptor, closed meanwhile
                }
            }).count();
        }
    }

    @Test
    void availabilityMatchesTheDevice() {
        Availability a = new KvmProvider().availability();
        if (!Files.exists(Path.of("/dev/kvm"))) {
            assertFalse(a.available());
            assertTrue(a.reason().contains("/dev/kvm"), a.reason());
        } else if (a.available()) {
            assertEquals("", a.reason());
            assertTrue(new KvmProvider().maxVcpus() >= 1);
        } else {
            assertFalse(a.reason().isBlank());
        }
    }

    @Test
    void missingDeviceSaysHowToFixIt() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> KvmSystem.open("/nonexistent/kvm"));
        assertTrue(e.getMessage().contains("/nonexistent/kvm does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("modprobe"), e.getMessage());
    }

    @Test
    void aDeviceThatIsNotKvmIsRejected() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> KvmSystem.open("/dev/null"));
        assertTrue(e.getMessage().contains("not a KVM device"), e.getMessage());
    }

    /** The run loop relies on reading errno after a non-throwing direct call that returned -1. */
    @Test
    void errnoIsReadableAfterAFailedDirectCall() {
        assertEquals(-1, LibC.ioctl(-1, Kvm.RUN, 0L));
        assertEquals(9, LibC.errno(), "EBADF");
        assertEquals(-1, LibC.close(-1));
        assertEquals(9, LibC.errno(), "EBADF");
        assertEquals(-1, LibC.open("/nonexistent/file", LibC.O_RDWR));
        assertEquals(LibC.ENOENT, LibC.errno());
    }

    @Test
    @RequiresKvm
    void partitionArgumentsAreChecked() {
        KvmProvider provider = new KvmProvider();
        HypervisorException tooMany = assertThrows(HypervisorException.class, () -> provider.createPartition(
                new PartitionConfig(MachineArch.X86_64, 1 << 20, provider.maxVcpus() + 1)));
        assertTrue(tooMany.getMessage().contains("at most"), tooMany.getMessage());
        HypervisorException arm = assertThrows(HypervisorException.class,
                () -> provider.createPartition(new PartitionConfig(MachineArch.AARCH64, 1 << 20, 1)));
        assertTrue(arm.getMessage().contains("x86_64"), arm.getMessage());
    }

    @Test
    @RequiresKvm
    void freshVcpusAreAtTheResetVectorAndBootStatesLoadAsAsked() throws Exception {
        try (Partition p = new KvmProvider().createPartition(new PartitionConfig(MachineArch.X86_64, 1 << 20, 2))) {
            KvmVcpu bsp = (KvmVcpu) p.vcpu(0);
            NativeBuffer s = bsp.specialRegisters();
            assertEquals(0xf000, s.bytes.getShort(Kvm.SREGS_CS + Kvm.SEG_SELECTOR) & 0xffff);
            assertEquals(0xffff_0000L, s.bytes.getLong(Kvm.SREGS_CS + Kvm.SEG_BASE));
            assertEquals(0xfff0, bsp.registers().bytes.getLong(Kvm.REGS_RIP));
            assertEquals(0xfee0_0900L, s.bytes.getLong(Kvm.SREGS_APIC_BASE), "BSP flag set on vCPU 0 only");
            assertEquals(0xfee0_0800L, ((KvmVcpu) p.vcpu(1)).specialRegisters().bytes.getLong(Kvm.SREGS_APIC_BASE));

            bsp.setBootState(new CpuBootState.X86Long64(0x100000, 0x8ff0, 0x7000, 0x9000, 0x500));
            s = bsp.specialRegisters();
            NativeBuffer r = bsp.registers();
            assertEquals(0x8000_0011L, s.bytes.getLong(Kvm.SREGS_CR0) & 0x8000_0011L);
            assertEquals(0x9000, s.bytes.getLong(Kvm.SREGS_CR3));
            assertEquals(0x20, s.bytes.getLong(Kvm.SREGS_CR4) & 0x20);
            assertEquals(0x500, s.bytes.getLong(Kvm.SREGS_EFER) & 0x500);
            assertEquals(1, s.bytes.get(Kvm.SREGS_CS + Kvm.SEG_L));
            assertEquals(0x500, s.bytes.getLong(Kvm.SREGS_GDT + Kvm.DTABLE_BASE));
            assertEquals(31, s.bytes.getShort(Kvm.SREGS_GDT + Kvm.DTABLE_LIMIT));
            assertEquals(0x100000, r.bytes.getLong(Kvm.REGS_RIP));
            assertEquals(0x8ff0, r.bytes.getLong(Kvm.REGS_RSP));
            assertEquals(0x8ff0, r.bytes.getLong(Kvm.REGS_RBP));
            assertEquals(0x7000, r.bytes.getLong(Kvm.REGS_RSI));
            assertEquals(2, r.bytes.getLong(Kvm.REGS_RFLAGS));

            bsp.setBootState(new CpuBootState.X86Protected32(0x100000, 0x8ff0, 0x6000, 0x1234, 0x500));
            s = bsp.specialRegisters();
            r = bsp.registers();
            assertEquals(0x11, s.bytes.getLong(Kvm.SREGS_CR0));
            assertEquals(0, s.bytes.getLong(Kvm.SREGS_EFER) & 0x500);
            assertEquals(1, s.bytes.get(Kvm.SREGS_CS + Kvm.SEG_DB));
            assertEquals(0x6000, r.bytes.getLong(Kvm.REGS_RBX));
            assertEquals(0x1234, r.bytes.getLong(Kvm.REGS_RSI));
            assertFalse(bsp.bootMsrs().msrs().isEmpty(), "some boot MSRs were accepted");
        }
    }

    @Test
    @RequiresKvm
    void memoryBeyond3GiBIsRegisteredAbove4GiB() throws Exception {
        long size = 3L * 1024 * 1024 * 1024 + (64 << 20); // only reserved: untouched pages cost nothing
        try (Partition p = new KvmProvider().createPartition(new PartitionConfig(MachineArch.X86_64, size, 1))) {
            assertTrue(p.memory().isRam(0x1_0000_0000L, 64 << 20));
            assertFalse(p.memory().isRam(0xc000_0000L, 1));
            p.memory().write(0x1_0000_0000L, new byte[] {42});
            assertEquals(42, p.memory().read(0x1_0000_0000L, 1)[0]);
        }
    }

    @Test
    @RequiresKvm
    void romArgumentsAreChecked() throws Exception {
        try (Partition p = new KvmProvider().createPartition(new PartitionConfig(MachineArch.X86_64, 1 << 20, 1))) {
            HypervisorException odd = assertThrows(HypervisorException.class, () -> p.mapRom(0xfffff000L, new byte[100]));
            assertTrue(odd.getMessage().contains("4 KiB"), odd.getMessage());
            p.mapRom(0xffff_0000L, new byte[0x10000]);
            HypervisorException overlap = assertThrows(HypervisorException.class,
                    () -> p.mapRom(0xffff_f000L, new byte[0x1000]));
            assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
            HypervisorException straddle = assertThrows(HypervisorException.class,
                    () -> p.mapRom(0xff000, new byte[0x2000]));
            assertTrue(straddle.getMessage().contains("straddles"), straddle.getMessage());
            p.mapRom(0xf0000, new byte[0x10000]);
            assertFalse(p.memory().isRam(0xf0000, 1), "RAM under a ROM is hidden");
            assertTrue(p.memory().isRam(0xeffff, 1));
        }
    }
}
