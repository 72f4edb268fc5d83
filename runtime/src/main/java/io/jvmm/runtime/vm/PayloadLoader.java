package io.jvmm.runtime.vm;

import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.Partition;

/** Puts the guest payload into a partition's memory; called at boot and after every reset. */
@FunctionalInterface
public interface PayloadLoader {
    /** Loads the payload and returns the boot processor's entry state. */
    CpuBootState load(Partition partition) throws Exception;
}
