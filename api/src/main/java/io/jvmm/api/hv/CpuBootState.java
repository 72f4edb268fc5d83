package io.jvmm.api.hv;

/** The register state a payload needs at its entry point. */
public sealed interface CpuBootState {
    /** An application processor after a reset: it waits for the boot processor's INIT/SIPI. */
    CpuBootState APPLICATION_PROCESSOR = new X86WaitForSipi();

    /** x86 application processor waiting for INIT/SIPI (its state at power-on). */
    record X86WaitForSipi() implements CpuBootState {}

    /** x86 power-on state: real mode at F000:FFF0 (firmware images). */
    record X86ResetVector() implements CpuBootState {}

    /**
     * x86 flat 32-bit protected mode, paging off (PVH entry, 32-bit test guests).
     *
     * @param rip entry point
     * @param rsp stack pointer
     * @param rbx passed to the entry (PVH: the start-info address)
     * @param rsi passed to the entry
     * @param gdtBase guest address of a 4-entry GDT: null, code 0x08, data 0x10, TSS 0x18
     */
    record X86Protected32(long rip, long rsp, long rbx, long rsi, long gdtBase) implements CpuBootState {}

    /**
     * x86 64-bit long mode with identity page tables (Linux 64-bit boot protocol, 64-bit test guests).
     *
     * @param rip entry point
     * @param rsp stack pointer (also RBP)
     * @param rsi passed to the entry (Linux: the zero page)
     * @param cr3 the PML4 address
     * @param gdtBase guest address of a 4-entry GDT: null, code 0x08, data 0x10, TSS 0x18
     */
    record X86Long64(long rip, long rsp, long rsi, long cr3, long gdtBase) implements CpuBootState {}
}
