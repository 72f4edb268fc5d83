# 32-bit protected-mode test guest for snapshot/restore, loaded at 0x1000 and started flat
# (X86Protected32, code selector 0x08). It keeps one count in four places and checks at the top
# of every loop that they agree: ESI, the dword at 0x2000, XMM0's low dword and, where the CPU
# has AVX and keeps XCR0 = x87|SSE|AVX, the low dword of YMM2's upper half (which only XSAVE's
# AVX component holds). Two interrupt sources tick on their own: the PIT (channel 0, mode 2,
# about 100 Hz) through the in-kernel 8259 (IRQ0 -> vector 0x20) counts at 0x2004, and the
# local APIC timer (periodic, vector 0x30, 10 ms at KVM's 1 GHz APIC bus) counts at 0x2008.
# A snapshot restored anywhere in the loop must continue with the four counts equal and both
# ticks coming; if the counts ever disagree the guest writes a code to port 0xF3 (1: memory,
# 2: XMM0, 3: YMM2) and reports done on 0xF0. Port 0x31 gets 1 when the AVX count is on, else 0;
# port 0xF1 "ready" once everything is programmed. The IDT is built at 0x3000.
        .code32
        .text
        .globl _start
        .equ    IDT, 0x3000
        .equ    COUNT, 0x2000
        .equ    PIT_TICKS, 0x2004
        .equ    APIC_TICKS, 0x2008
        .equ    APIC, 0xfee00000
_start:
        cli
        mov     %cr0, %eax              # SSE: CR0.EM = 0, CR0.MP = 1
        and     $~4, %eax
        or      $2, %eax
        mov     %eax, %cr0
        mov     %cr4, %eax              # CR4.OSFXSR | CR4.OSXMMEXCPT
        or      $0x600, %eax
        mov     %eax, %cr4
        mov     $1, %eax                # AVX needs CPUID.1:ECX.XSAVE (26) and .AVX (28)
        cpuid
        and     $0x14000000, %ecx
        cmp     $0x14000000, %ecx
        jne     1f
        mov     %cr4, %eax              # CR4.OSXSAVE, then XCR0 = x87 | SSE | AVX
        or      $0x40000, %eax
        mov     %eax, %cr4
        xor     %ecx, %ecx
        xor     %edx, %edx
        mov     $7, %eax
        xsetbv
        # Only if XCR0 still says AVX after an exit: QEMU's TCG emulation of SVM (the nested-KVM
        # L1) does not intercept an L2 XSETBV, so KVM never learns of it and loads its own XCR0
        # (x87 only) on the next VMRUN; a VEX instruction would then raise #UD.
        mov     $7, %al
        out     %al, $0xf2              # an exit, and the XCR0 asked for
        xor     %ecx, %ecx
        xgetbv
        and     $6, %eax
        cmp     $6, %eax
        jne     1f
        movb    $1, avx_on
1:      movzbl  avx_on, %eax
        out     %al, $0x31

        mov     $IDT, %edi              # every vector: iret
        mov     $256, %ecx
2:      mov     $ignore, %eax
        call    gate
        loop    2b
        mov     $IDT + 8 * 0x20, %edi
        mov     $pit_tick, %eax
        call    gate
        mov     $IDT + 8 * 0x30, %edi
        mov     $apic_tick, %eax
        call    gate
        lidt    idtr

        mov     $0x11, %al              # 8259 master: ICW1 edge + ICW4, base 0x20, slave on 2, 8086
        out     %al, $0x20
        mov     $0x20, %al
        out     %al, $0x21
        mov     $0x04, %al
        out     %al, $0x21
        mov     $0x01, %al
        out     %al, $0x21
        mov     $0xfe, %al              # only IRQ0 (the PIT) unmasked
        out     %al, $0x21
        mov     $0x11, %al              # slave: base 0x28, all masked
        out     %al, $0xa0
        mov     $0x28, %al
        out     %al, $0xa1
        mov     $0x02, %al
        out     %al, $0xa1
        mov     $0x01, %al
        out     %al, $0xa1
        mov     $0xff, %al
        out     %al, $0xa1
        mov     $0x34, %al              # PIT channel 0, lobyte/hibyte, mode 2 (rate generator)
        out     %al, $0x43
        mov     $11932 & 0xff, %al      # 1193182 Hz / 11932 = 100 Hz
        out     %al, $0x40
        mov     $11932 >> 8, %al
        out     %al, $0x40
        movl    $0x1ff, APIC + 0xf0     # SVR: APIC software-enabled, spurious vector 0xFF
        movl    $0xb, APIC + 0x3e0      # timer divide by 1
        movl    $0x20030, APIC + 0x320  # LVT timer: periodic, vector 0x30
        movl    $10000000, APIC + 0x380 # initial count: 10 ms

        xor     %esi, %esi
        movl    $0, COUNT
        pxor    %xmm0, %xmm0
        mov     $1, %eax
        movd    %eax, %xmm1
        cmpb    $0, avx_on
        je      3f
        vxorps  %ymm2, %ymm2, %ymm2
3:      mov     $1, %al
        out     %al, $0xf1              # ready
        sti

count:
        cmp     COUNT, %esi
        jne     bad_memory
        movd    %xmm0, %eax
        cmp     %eax, %esi
        jne     bad_xmm
        cmpb    $0, avx_on
        je      4f
        vextractf128 $1, %ymm2, %xmm3
        vmovd   %xmm3, %eax
        cmp     %eax, %esi
        jne     bad_ymm
        vpaddd  %xmm1, %xmm3, %xmm3
        vinsertf128 $1, %xmm3, %ymm2, %ymm2
4:      inc     %esi
        paddd   %xmm1, %xmm0
        mov     %esi, COUNT
        jmp     count

bad_memory:
        mov     $1, %al
        jmp     bad
bad_xmm:
        mov     $2, %al
        jmp     bad
bad_ymm:
        mov     $3, %al
bad:    out     %al, $0xf3
        out     %al, $0xf0
5:      jmp     5b

# an interrupt gate at EDI for the handler at EAX (below 64 KiB); EDI moves to the next gate
gate:
        mov     %ax, (%edi)
        movw    $0x08, 2(%edi)
        movw    $0x8e00, 4(%edi)        # present, DPL 0, 32-bit interrupt gate
        movw    $0, 6(%edi)
        add     $8, %edi
        ret

pit_tick:
        push    %eax
        incl    PIT_TICKS
        mov     $0x20, %al              # non-specific EOI
        out     %al, $0x20
        pop     %eax
        iret

apic_tick:
        incl    APIC_TICKS
        movl    $0, APIC + 0xb0         # EOI
        iret

ignore:
        iret

avx_on:
        .byte   0
        .align  4
idtr:
        .word   256 * 8 - 1
        .long   IDT
