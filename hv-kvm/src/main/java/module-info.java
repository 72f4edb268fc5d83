/**
 * The Linux KVM hypervisor backend for x86_64 hosts: VM, guest memory, in-kernel PIC/IOAPIC/PIT,
 * vCPUs and their exit loop, bound to libc through JNA direct mapping.
 *
 * @provides io.jvmm.api.hv.HypervisorProvider
 */
module io.jvmm.hv.kvm {
    requires io.jvmm.api;
    requires com.sun.jna;
    requires org.slf4j;

    provides io.jvmm.api.hv.HypervisorProvider with io.jvmm.hv.kvm.KvmProvider;
}
