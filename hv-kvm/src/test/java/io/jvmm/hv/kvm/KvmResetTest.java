package io.jvmm.hv.kvm;

import static io.jvmm.hv.kvm.KvmTestSupport.GDT;
import static io.jvmm.hv.kvm.KvmTestSupport.LOAD;
import static io.jvmm.hv.kvm.KvmTestSupport.STACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.hv.VcpuExit;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A vCPU that triple-faulted (a Shutdown exit) is put back into a boot state and runs again. On AMD
 * SVM, KVM has INITed the vCPU and cleared its VMCB by the time the Shutdown exit arrives, so this
 * is where a reset that leaves KVM's state behind shows: the guest would never run again.
 */
@ScaledTimeout(60)
@RequiresKvm
class KvmResetTest {
    private static final long MIB = 1 << 20;

    private static Partition partition() throws Exception {
        return new KvmProvider().createPartition(new PartitionConfig(MachineArch.X86_64, 64 * MIB, 1));
    }

    /** The state as describeState gives it, without the TSC, which moves on. */
    private static String stateWithoutTsc(KvmVcpu vcpu) {
        return vcpu.describeState().replaceAll(" msr10=[0-9a-f]+", "");
    }

    @Test
    void aFirmwareThatTripleFaultsBootsAgainAfterEveryReset() throws Exception {
        try (Partition p = partition()) {
            // triple16 enters protected mode by setting CR0.PE alone, so the CR0 an INIT leaves is
            // the power-on CR0 the reset vector state sets again
            KvmTestSupport.mapFirmware(p, KvmTestSupport.guest("triple16"));
            KvmVcpu vcpu = (KvmVcpu) p.vcpu(0);
            TestBus bus = new TestBus();
            for (int boot = 1; boot <= 3; boot++) {
                if (boot > 1) {
                    vcpu.setBootState(new CpuBootState.X86ResetVector());
                }
                VcpuExit exit = KvmTestSupport.runWithTimeout(vcpu, bus, TestTime.seconds(10));
                assertInstanceOf(VcpuExit.Shutdown.class, exit, "boot " + boot);
                assertEquals("T".repeat(boot), bus.debug.toString(StandardCharsets.US_ASCII), "boot " + boot);
            }
        }
    }

    @Test
    void aProtectedModeGuestRunsAgainAfterATripleFault() throws Exception {
        try (Partition p = partition()) {
            KvmTestSupport.writeGdt(p.memory(), Segments.CODE32, Segments.TSS32);
            p.memory().write(LOAD, KvmTestSupport.guest("triple32"));
            for (int run = 1; run <= 2; run++) {
                p.vcpu(0).setBootState(new CpuBootState.X86Protected32(LOAD, STACK, 0, 0, GDT));
                TestBus bus = new TestBus();
                assertInstanceOf(VcpuExit.Shutdown.class, KvmTestSupport.runWithTimeout(p.vcpu(0), bus, TestTime.seconds(10)));
                assertEquals(0, bus.ready.getCount(), "run " + run + " reached the ud2");
            }
        }
    }

    @Test
    void aVcpuResetAfterATripleFaultHasAFreshVcpusState() throws Exception {
        try (Partition fresh = partition(); Partition p = partition()) {
            KvmTestSupport.mapFirmware(p, KvmTestSupport.guest("triple16"));
            KvmVcpu vcpu = (KvmVcpu) p.vcpu(0);
            assertInstanceOf(VcpuExit.Shutdown.class, KvmTestSupport.runWithTimeout(vcpu, new TestBus(), TestTime.seconds(10)));
            vcpu.setBootState(new CpuBootState.X86ResetVector());
            assertEquals(stateWithoutTsc((KvmVcpu) fresh.vcpu(0)), stateWithoutTsc(vcpu));
        }
    }
}
