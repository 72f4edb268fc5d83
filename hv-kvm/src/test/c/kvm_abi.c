/*
 * Prints the KVM ABI values jvmm hard-codes (io.jvmm.hv.kvm.Kvm) as "NAME value" lines, from this
 * host's <linux/kvm.h>. KvmAbiTest compiles and runs it when gcc is available and compares.
 */
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#define P(name, value) printf("%s %lu\n", name, (unsigned long)(value))
#define OFF(name, type, field) P(name, offsetof(struct type, field))

int main(void) {
    P("GET_API_VERSION", KVM_GET_API_VERSION);
    P("CREATE_VM", KVM_CREATE_VM);
    P("GET_MSR_INDEX_LIST", KVM_GET_MSR_INDEX_LIST);
    P("CHECK_EXTENSION", KVM_CHECK_EXTENSION);
    P("GET_VCPU_MMAP_SIZE", KVM_GET_VCPU_MMAP_SIZE);
    P("GET_SUPPORTED_CPUID", KVM_GET_SUPPORTED_CPUID);
    P("CREATE_VCPU", KVM_CREATE_VCPU);
    P("SET_USER_MEMORY_REGION", KVM_SET_USER_MEMORY_REGION);
    P("SET_TSS_ADDR", KVM_SET_TSS_ADDR);
    P("CREATE_IRQCHIP", KVM_CREATE_IRQCHIP);
    P("IRQ_LINE", KVM_IRQ_LINE);
    P("SET_GSI_ROUTING", KVM_SET_GSI_ROUTING);
    P("IRQ_ROUTING_IRQCHIP", KVM_IRQ_ROUTING_IRQCHIP);
    P("IRQ_ROUTING_HEADER_SIZE", sizeof(struct kvm_irq_routing));
    P("IRQ_ROUTING_ENTRY_SIZE", sizeof(struct kvm_irq_routing_entry));
    OFF("IRQ_ROUTING_ENTRY_U", kvm_irq_routing_entry, u);
    P("IOEVENTFD", KVM_IOEVENTFD);
    P("IOEVENTFD_SIZE", sizeof(struct kvm_ioeventfd));
    OFF("IOEVENTFD_DATAMATCH", kvm_ioeventfd, datamatch);
    OFF("IOEVENTFD_ADDR", kvm_ioeventfd, addr);
    OFF("IOEVENTFD_LEN", kvm_ioeventfd, len);
    OFF("IOEVENTFD_FD", kvm_ioeventfd, fd);
    OFF("IOEVENTFD_FLAGS", kvm_ioeventfd, flags);
    P("IOEVENTFD_FLAG_DATAMATCH", KVM_IOEVENTFD_FLAG_DATAMATCH);
    P("IOEVENTFD_FLAG_DEASSIGN", KVM_IOEVENTFD_FLAG_DEASSIGN);
    P("CAP_IOEVENTFD", KVM_CAP_IOEVENTFD);
    P("GET_IRQCHIP", KVM_GET_IRQCHIP);
    P("SET_IRQCHIP", KVM_SET_IRQCHIP);
    P("CREATE_PIT2", KVM_CREATE_PIT2);
    P("GET_PIT2", KVM_GET_PIT2);
    P("SET_PIT2", KVM_SET_PIT2);
    P("RUN", KVM_RUN);
    P("GET_REGS", KVM_GET_REGS);
    P("SET_REGS", KVM_SET_REGS);
    P("GET_SREGS", KVM_GET_SREGS);
    P("SET_SREGS", KVM_SET_SREGS);
    P("GET_MSRS", KVM_GET_MSRS);
    P("SET_MSRS", KVM_SET_MSRS);
    P("SET_FPU", KVM_SET_FPU);
    P("GET_LAPIC", KVM_GET_LAPIC);
    P("SET_LAPIC", KVM_SET_LAPIC);
    P("SET_CPUID2", KVM_SET_CPUID2);
    P("SET_MP_STATE", KVM_SET_MP_STATE);
    P("CAP_IRQCHIP", KVM_CAP_IRQCHIP);
    P("CAP_USER_MEMORY", KVM_CAP_USER_MEMORY);
    P("CAP_SET_TSS_ADDR", KVM_CAP_SET_TSS_ADDR);
    P("CAP_EXT_CPUID", KVM_CAP_EXT_CPUID);
    P("CAP_NR_VCPUS", KVM_CAP_NR_VCPUS);
    P("CAP_PIT2", KVM_CAP_PIT2);
    P("CAP_MAX_VCPUS", KVM_CAP_MAX_VCPUS);
    P("CAP_READONLY_MEM", KVM_CAP_READONLY_MEM);
    P("CAP_IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT);
    P("MEM_READONLY", KVM_MEM_READONLY);
    P("PIT_SPEAKER_DUMMY", KVM_PIT_SPEAKER_DUMMY);
    P("MP_STATE_RUNNABLE", KVM_MP_STATE_RUNNABLE);
    P("MP_STATE_UNINITIALIZED", KVM_MP_STATE_UNINITIALIZED);
    P("EXIT_IO", KVM_EXIT_IO);
    P("EXIT_HLT", KVM_EXIT_HLT);
    P("EXIT_MMIO", KVM_EXIT_MMIO);
    P("EXIT_SHUTDOWN", KVM_EXIT_SHUTDOWN);
    P("EXIT_FAIL_ENTRY", KVM_EXIT_FAIL_ENTRY);
    P("EXIT_INTR", KVM_EXIT_INTR);
    P("EXIT_INTERNAL_ERROR", KVM_EXIT_INTERNAL_ERROR);
    P("EXIT_SYSTEM_EVENT", KVM_EXIT_SYSTEM_EVENT);
    P("IO_IN", KVM_EXIT_IO_IN);
    P("INTERNAL_ERROR_EMULATION", KVM_INTERNAL_ERROR_EMULATION);
    P("SYSTEM_EVENT_SHUTDOWN", KVM_SYSTEM_EVENT_SHUTDOWN);
    P("SYSTEM_EVENT_RESET", KVM_SYSTEM_EVENT_RESET);
    OFF("RUN_IMMEDIATE_EXIT", kvm_run, immediate_exit);
    OFF("RUN_EXIT_REASON", kvm_run, exit_reason);
    OFF("RUN_IO_DIRECTION", kvm_run, io.direction);
    OFF("RUN_IO_SIZE", kvm_run, io.size);
    OFF("RUN_IO_PORT", kvm_run, io.port);
    OFF("RUN_IO_COUNT", kvm_run, io.count);
    OFF("RUN_IO_DATA_OFFSET", kvm_run, io.data_offset);
    OFF("RUN_MMIO_PHYS_ADDR", kvm_run, mmio.phys_addr);
    OFF("RUN_MMIO_DATA", kvm_run, mmio.data);
    OFF("RUN_MMIO_LEN", kvm_run, mmio.len);
    OFF("RUN_MMIO_IS_WRITE", kvm_run, mmio.is_write);
    OFF("RUN_FAIL_ENTRY_REASON", kvm_run, fail_entry.hardware_entry_failure_reason);
    OFF("RUN_INTERNAL_SUBERROR", kvm_run, internal.suberror);
    OFF("RUN_INTERNAL_NDATA", kvm_run, internal.ndata);
    OFF("RUN_EMULATION_FLAGS", kvm_run, emulation_failure.flags);
    OFF("RUN_EMULATION_INSN_SIZE", kvm_run, emulation_failure.insn_size);
    OFF("RUN_EMULATION_INSN_BYTES", kvm_run, emulation_failure.insn_bytes);
    OFF("RUN_SYSTEM_EVENT_TYPE", kvm_run, system_event.type);
    P("REGS_SIZE", sizeof(struct kvm_regs));
    OFF("REGS_RAX", kvm_regs, rax);
    OFF("REGS_RBX", kvm_regs, rbx);
    OFF("REGS_RDX", kvm_regs, rdx);
    OFF("REGS_RSI", kvm_regs, rsi);
    OFF("REGS_RSP", kvm_regs, rsp);
    OFF("REGS_RBP", kvm_regs, rbp);
    OFF("REGS_RIP", kvm_regs, rip);
    OFF("REGS_RFLAGS", kvm_regs, rflags);
    P("SREGS_SIZE", sizeof(struct kvm_sregs));
    OFF("SREGS_CS", kvm_sregs, cs);
    OFF("SREGS_DS", kvm_sregs, ds);
    OFF("SREGS_ES", kvm_sregs, es);
    OFF("SREGS_FS", kvm_sregs, fs);
    OFF("SREGS_GS", kvm_sregs, gs);
    OFF("SREGS_SS", kvm_sregs, ss);
    OFF("SREGS_TR", kvm_sregs, tr);
    OFF("SREGS_LDT", kvm_sregs, ldt);
    OFF("SREGS_GDT", kvm_sregs, gdt);
    OFF("SREGS_IDT", kvm_sregs, idt);
    OFF("SREGS_CR0", kvm_sregs, cr0);
    OFF("SREGS_CR2", kvm_sregs, cr2);
    OFF("SREGS_CR3", kvm_sregs, cr3);
    OFF("SREGS_CR4", kvm_sregs, cr4);
    OFF("SREGS_CR8", kvm_sregs, cr8);
    OFF("SREGS_EFER", kvm_sregs, efer);
    OFF("SREGS_APIC_BASE", kvm_sregs, apic_base);
    OFF("SREGS_INTERRUPT_BITMAP", kvm_sregs, interrupt_bitmap);
    OFF("SEG_BASE", kvm_segment, base);
    OFF("SEG_LIMIT", kvm_segment, limit);
    OFF("SEG_SELECTOR", kvm_segment, selector);
    OFF("SEG_TYPE", kvm_segment, type);
    OFF("SEG_PRESENT", kvm_segment, present);
    OFF("SEG_DPL", kvm_segment, dpl);
    OFF("SEG_DB", kvm_segment, db);
    OFF("SEG_S", kvm_segment, s);
    OFF("SEG_L", kvm_segment, l);
    OFF("SEG_G", kvm_segment, g);
    OFF("SEG_AVL", kvm_segment, avl);
    OFF("SEG_UNUSABLE", kvm_segment, unusable);
    OFF("DTABLE_BASE", kvm_dtable, base);
    OFF("DTABLE_LIMIT", kvm_dtable, limit);
    P("FPU_SIZE", sizeof(struct kvm_fpu));
    OFF("FPU_FCW", kvm_fpu, fcw);
    OFF("FPU_MXCSR", kvm_fpu, mxcsr);
    P("LAPIC_SIZE", sizeof(struct kvm_lapic_state));
    P("CPUID_HEADER", offsetof(struct kvm_cpuid2, entries));
    P("CPUID_ENTRY_SIZE", sizeof(struct kvm_cpuid_entry2));
    P("MSRS_HEADER", offsetof(struct kvm_msrs, entries));
    P("MSR_ENTRY_SIZE", sizeof(struct kvm_msr_entry));
    P("USER_MEMORY_REGION_SIZE", sizeof(struct kvm_userspace_memory_region));
    P("PIT_CONFIG_SIZE", sizeof(struct kvm_pit_config));
    P("IRQCHIP_SIZE", sizeof(struct kvm_irqchip));
    P("PIT_STATE2_SIZE", sizeof(struct kvm_pit_state2));
    /* libc values the doorbell poller uses (io.jvmm.hv.kvm.LibC) */
    P("LibC.EFD_CLOEXEC", EFD_CLOEXEC);
    P("LibC.EFD_NONBLOCK", EFD_NONBLOCK);
    P("LibC.EPOLL_CLOEXEC", EPOLL_CLOEXEC);
    P("LibC.EPOLL_CTL_ADD", EPOLL_CTL_ADD);
    P("LibC.EPOLL_CTL_DEL", EPOLL_CTL_DEL);
    P("LibC.EPOLLIN", EPOLLIN);
    P("LibC.EPOLL_EVENT_SIZE", sizeof(struct epoll_event));
    P("LibC.EPOLL_EVENT_DATA", offsetof(struct epoll_event, data));
    return 0;
}
