package io.jvmm.hv.kvm;

/**
 * KVM ABI constants for x86_64: ioctl numbers, capabilities, exit reasons and structure offsets.
 * Values were printed from this host's {@code <linux/kvm.h>} with a small C program
 * ({@code offsetof}/{@code sizeof}/the ioctl macros); they are part of the stable kernel ABI.
 */
final class Kvm {
    private Kvm() {}

    static final int API_VERSION = 12;

    // system ioctls (on the /dev/kvm fd)
    static final long GET_API_VERSION = 0xae00L;
    static final long CREATE_VM = 0xae01L;
    static final long GET_MSR_INDEX_LIST = 0xc004ae02L;
    static final long CHECK_EXTENSION = 0xae03L;
    static final long GET_VCPU_MMAP_SIZE = 0xae04L;
    static final long GET_SUPPORTED_CPUID = 0xc008ae05L;

    // VM ioctls
    static final long CREATE_VCPU = 0xae41L;
    static final long SET_USER_MEMORY_REGION = 0x4020ae46L;
    static final long SET_TSS_ADDR = 0xae47L;
    static final long CREATE_IRQCHIP = 0xae60L;
    static final long IRQ_LINE = 0x4008ae61L;
    static final long SET_GSI_ROUTING = 0x4008ae6aL;
    /** struct kvm_irq_routing: u32 nr, u32 flags, then the entries. */
    static final int IRQ_ROUTING_HEADER_SIZE = 8;
    /** struct kvm_irq_routing_entry: u32 gsi, type, flags, pad, then a 32-byte union. */
    static final int IRQ_ROUTING_ENTRY_SIZE = 48;
    static final int IRQ_ROUTING_ENTRY_U = 16;
    static final int IRQ_ROUTING_IRQCHIP = 1;
    static final long IOEVENTFD = 0x4040ae79L;
    /** struct kvm_ioeventfd: u64 datamatch, u64 addr, u32 len, s32 fd, u32 flags, u8 pad[36]. */
    static final int IOEVENTFD_SIZE = 64;
    static final int IOEVENTFD_DATAMATCH = 0;
    static final int IOEVENTFD_ADDR = 8;
    static final int IOEVENTFD_LEN = 16;
    static final int IOEVENTFD_FD = 20;
    static final int IOEVENTFD_FLAGS = 24;
    static final int IOEVENTFD_FLAG_DATAMATCH = 1;
    static final int IOEVENTFD_FLAG_DEASSIGN = 4;
    /** _IOW(KVMIO, 0xa5, struct kvm_msi): inject one MSI (address, data) through the in-kernel LAPICs. */
    static final long SIGNAL_MSI = 0x4020aea5L;
    static final int MSI_SIZE = 32;
    static final int MSI_ADDRESS_LO = 0;
    static final int MSI_ADDRESS_HI = 4;
    static final int MSI_DATA = 8;
    static final int MSI_FLAGS = 12;
    static final long GET_IRQCHIP = 0xc208ae62L;
    static final long SET_IRQCHIP = 0x8208ae63L;
    static final long CREATE_PIT2 = 0x4040ae77L;
    static final long GET_PIT2 = 0x8070ae9fL;
    static final long SET_PIT2 = 0x4070aea0L;
    /** struct kvm_clock_data: u64 clock, u32 flags, u32 pad0, u64 realtime, u64 host_tsc, u32 pad[4]. */
    static final long GET_CLOCK = 0x8030ae7cL;
    static final long SET_CLOCK = 0x4030ae7bL;
    static final int CLOCK_DATA_SIZE = 48;
    static final int CLOCK_DATA_CLOCK = 0;
    static final int CLOCK_DATA_FLAGS = 8;

    // vCPU ioctls
    static final long RUN = 0xae80L;
    static final long GET_REGS = 0x8090ae81L;
    static final long SET_REGS = 0x4090ae82L;
    static final long GET_SREGS = 0x8138ae83L;
    static final long SET_SREGS = 0x4138ae84L;
    static final long GET_MSRS = 0xc008ae88L;
    static final long SET_MSRS = 0x4008ae89L;
    static final long SET_FPU = 0x41a0ae8dL;
    static final long GET_LAPIC = 0x8400ae8eL;
    static final long SET_LAPIC = 0x4400ae8fL;
    static final long SET_CPUID2 = 0x4008ae90L;
    static final long GET_MP_STATE = 0x8004ae98L;
    static final long SET_MP_STATE = 0x4004ae99L;
    static final long GET_FPU = 0x81a0ae8cL;
    static final long GET_VCPU_EVENTS = 0x8040ae9fL;
    static final long SET_VCPU_EVENTS = 0x4040aea0L;
    static final long GET_DEBUGREGS = 0x8080aea1L;
    static final long SET_DEBUGREGS = 0x4080aea2L;
    static final long GET_XCRS = 0x8188aea6L;
    static final long SET_XCRS = 0x4188aea7L;
    /**
     * struct kvm_xsave is 4096 bytes; with KVM_CAP_XSAVE2 the kernel reads and writes the larger
     * size the capability reports.
     */
    static final long GET_XSAVE = 0x9000aea4L;
    static final long SET_XSAVE = 0x5000aea5L;
    static final long GET_XSAVE2 = 0x9000aecfL;
    static final int XSAVE_SIZE = 4096;
    /** KVM_GET_TSC_KHZ / KVM_SET_TSC_KHZ on a vCPU fd: the value is the return value / the argument. */
    static final long GET_TSC_KHZ = 0xaea3L;
    static final long SET_TSC_KHZ = 0xaea2L;

    // capabilities (KVM_CHECK_EXTENSION arguments)
    static final int CAP_IRQCHIP = 0;
    static final int CAP_USER_MEMORY = 3;
    static final int CAP_SET_TSS_ADDR = 4;
    static final int CAP_EXT_CPUID = 7;
    static final int CAP_NR_VCPUS = 9;
    static final int CAP_PIT2 = 33;
    static final int CAP_IOEVENTFD = 36;
    static final int CAP_SIGNAL_MSI = 77;
    static final int CAP_MAX_VCPUS = 66;
    static final int CAP_READONLY_MEM = 81;
    static final int CAP_XCRS = 56;
    static final int CAP_IMMEDIATE_EXIT = 136;
    static final int CAP_ADJUST_CLOCK = 39;
    static final int CAP_VCPU_EVENTS = 41;
    static final int CAP_DEBUGREGS = 50;
    static final int CAP_XSAVE = 55;
    static final int CAP_TSC_CONTROL = 60;
    static final int CAP_GET_TSC_KHZ = 61;
    /** Answers the size KVM_GET_XSAVE2 needs (0 without it). */
    static final int CAP_XSAVE2 = 208;

    static final int MEM_READONLY = 2;
    static final int PIT_SPEAKER_DUMMY = 1;
    static final int MP_STATE_RUNNABLE = 0;
    static final int MP_STATE_UNINITIALIZED = 1;
    static final int MP_STATE_SIZE = 4;

    // exit reasons
    static final int EXIT_UNKNOWN = 0;
    static final int EXIT_EXCEPTION = 1;
    static final int EXIT_IO = 2;
    static final int EXIT_HLT = 5;
    static final int EXIT_MMIO = 6;
    static final int EXIT_SHUTDOWN = 8;
    static final int EXIT_FAIL_ENTRY = 9;
    static final int EXIT_INTR = 10;
    static final int EXIT_INTERNAL_ERROR = 17;
    static final int EXIT_SYSTEM_EVENT = 24;

    static final int IO_IN = 0;
    static final int INTERNAL_ERROR_EMULATION = 1;
    static final long INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES = 1;
    static final int SYSTEM_EVENT_SHUTDOWN = 1;
    static final int SYSTEM_EVENT_RESET = 2;

    // struct kvm_run
    static final int RUN_IMMEDIATE_EXIT = 1; // u8
    static final int RUN_EXIT_REASON = 8; // u32
    static final int RUN_IO_DIRECTION = 32; // u8
    static final int RUN_IO_SIZE = 33; // u8
    static final int RUN_IO_PORT = 34; // u16
    static final int RUN_IO_COUNT = 36; // u32
    static final int RUN_IO_DATA_OFFSET = 40; // u64
    static final int RUN_MMIO_PHYS_ADDR = 32; // u64
    static final int RUN_MMIO_DATA = 40; // u8[8]
    static final int RUN_MMIO_LEN = 48; // u32
    static final int RUN_MMIO_IS_WRITE = 52; // u8
    static final int RUN_FAIL_ENTRY_REASON = 32; // u64
    static final int RUN_INTERNAL_SUBERROR = 32; // u32
    static final int RUN_INTERNAL_NDATA = 36; // u32
    static final int RUN_EMULATION_FLAGS = 40; // u64
    static final int RUN_EMULATION_INSN_SIZE = 48; // u8
    static final int RUN_EMULATION_INSN_BYTES = 49; // u8[15]
    static final int RUN_SYSTEM_EVENT_TYPE = 32; // u32

    // struct kvm_regs (144 bytes): rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags, all u64
    static final int REGS_SIZE = 144;
    static final int REGS_RAX = 0;
    static final int REGS_RBX = 8;
    static final int REGS_RDX = 24;
    static final int REGS_RSI = 32;
    static final int REGS_RSP = 48;
    static final int REGS_RBP = 56;
    static final int REGS_RIP = 128;
    static final int REGS_RFLAGS = 136;

    // struct kvm_sregs (312 bytes)
    static final int SREGS_SIZE = 312;
    static final int SREGS_CS = 0;
    static final int SREGS_DS = 24;
    static final int SREGS_ES = 48;
    static final int SREGS_FS = 72;
    static final int SREGS_GS = 96;
    static final int SREGS_SS = 120;
    static final int SREGS_TR = 144;
    static final int SREGS_LDT = 168;
    static final int SREGS_GDT = 192; // struct kvm_dtable {u64 base; u16 limit; u16 pad[3]}
    static final int SREGS_IDT = 208;
    static final int SREGS_CR0 = 224;
    static final int SREGS_CR2 = 232;
    static final int SREGS_CR3 = 240;
    static final int SREGS_CR4 = 248;
    static final int SREGS_CR8 = 256;
    static final int SREGS_EFER = 264;
    static final int SREGS_APIC_BASE = 272;
    static final int SREGS_INTERRUPT_BITMAP = 280; // u64[4]

    // struct kvm_segment (24 bytes)
    static final int SEG_BASE = 0; // u64
    static final int SEG_LIMIT = 8; // u32
    static final int SEG_SELECTOR = 12; // u16
    static final int SEG_TYPE = 14; // then u8 present, dpl, db, s, l, g, avl, unusable, padding
    static final int SEG_PRESENT = 15;
    static final int SEG_DPL = 16;
    static final int SEG_DB = 17;
    static final int SEG_S = 18;
    static final int SEG_L = 19;
    static final int SEG_G = 20;
    static final int SEG_AVL = 21;
    static final int SEG_UNUSABLE = 22;
    static final int DTABLE_BASE = 0;
    static final int DTABLE_LIMIT = 8;

    // struct kvm_fpu (416 bytes)
    static final int FPU_SIZE = 416;
    static final int FPU_FCW = 128;
    static final int FPU_MXCSR = 408;

    // struct kvm_vcpu_events (64 bytes): exception, interrupt, nmi, sipi_vector u32, flags u32 at 20, smi, ...
    static final int VCPU_EVENTS_SIZE = 64;
    static final int VCPU_EVENTS_FLAGS = 20;
    static final int VCPUEVENT_VALID_NMI_PENDING = 0x1;
    static final int VCPUEVENT_VALID_SIPI_VECTOR = 0x2;
    static final int VCPUEVENT_VALID_SHADOW = 0x4;
    static final int VCPUEVENT_VALID_SMM = 0x8;
    static final int DEBUGREGS_SIZE = 128;
    static final int XCRS_SIZE = 392;

    static final int LAPIC_SIZE = 1024;
    static final int LAPIC_LVT0 = 0x350;
    static final int LAPIC_LVT1 = 0x360;

    // struct kvm_cpuid2 {u32 nent; u32 pad; struct kvm_cpuid_entry2 entries[]}
    static final int CPUID_HEADER = 8;
    static final int CPUID_ENTRY_SIZE = 40; // function, index, flags, eax, ebx, ecx, edx, padding[3]

    // struct kvm_msrs {u32 nmsrs; u32 pad; struct kvm_msr_entry {u32 index; u32 reserved; u64 data}[]}
    static final int MSRS_HEADER = 8;
    static final int MSR_ENTRY_SIZE = 16;

    static final int USER_MEMORY_REGION_SIZE = 32; // slot u32, flags u32, gpa u64, size u64, uaddr u64
    static final int PIT_CONFIG_SIZE = 64;
    static final int IRQCHIP_SIZE = 520; // chip_id u32, pad u32, union (512 bytes)
    static final int PIT_STATE2_SIZE = 112;
    static final int IRQCHIP_CHIP_ID = 0;
}
