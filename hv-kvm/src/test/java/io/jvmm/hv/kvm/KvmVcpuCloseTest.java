package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.hv.Vcpu;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import org.junit.jupiter.api.Test;

/**
 * A kick that arrives after the partition is closed (a control request racing the guest's own
 * power-off) must be ignored: before the fix it stored into the unmapped kvm_run page and the JVM
 * died with SIGSEGV, which this test would show as a crashed fork.
 */
@ScaledTimeout(60)
@RequiresKvm
class KvmVcpuCloseTest {
    @Test
    void kickAfterCloseIsIgnored() throws Exception {
        Partition p = new KvmProvider().createPartition(new PartitionConfig(MachineArch.X86_64, 16 << 20, 1));
        Vcpu vcpu = p.vcpu(0);
        p.close();
        assertDoesNotThrow(vcpu::kick);
        assertDoesNotThrow(vcpu::kick);
    }
}
