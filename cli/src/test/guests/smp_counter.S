/*
 * Two vCPUs hammer the test counter devices (cli tests, SmpCounterGuestTest).
 *
 * The BSP comes up at the reset vector, enters flat 32-bit protected mode (GDT in ROM, descriptors
 * pre-marked accessed) and wakes the other vCPU with INIT + SIPI through its local APIC; the SIPI
 * vector 0xFF starts it in real mode at 0xFF000, which is offset 0xF000 of this image. Both then
 * read N from port 0x503 and do N times: a write to the counter port 0x500 (device A) and a write
 * of 0/1 alternately to their own line port (vCPU 0: A's 0x501, vCPU 1: B's 0x511). At the end
 * vCPU 0 leaves its line high and vCPU 1 leaves its line low, then each reports done on 0x502.
 * Avoids x87, XSAVE and int3 (this machine's KVM is kvm_pvm). Rebuild with build.sh.
 */
        .set COUNT,     0x500
        .set LINE_A,    0x501
        .set DONE,      0x502
        .set CONFIG,    0x503
        .set LINE_B,    0x511
        .set ICR_LOW,   0xfee00300
        .set INIT_ALL,  0x000c4500      /* INIT, assert, all excluding self */
        .set SIPI_ALL,  0x000c46ff      /* start-up, vector 0xFF, all excluding self */

        .text
        .code16
        .globl _start
_start:
        cli
        cld
        lgdtl   %cs:(gdt_desc - _start)
        movl    %cr0, %eax
        orl     $1, %eax
        movl    %eax, %cr0
        ljmpl   $0x08, $bsp32

        .code32
bsp32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    %ax, %fs
        movw    %ax, %gs
        movl    $0x7000, %esp
        movl    $INIT_ALL, ICR_LOW
        call    delay
        movl    $SIPI_ALL, ICR_LOW
        call    delay
        movl    $SIPI_ALL, ICR_LOW
        jmp     work

/* About a millisecond of busy wait between INIT and SIPI (uses the BSP stack at 0x7000). */
delay:
        movl    $1000000, %ecx
1:      decl    %ecx
        jnz     1b
        ret

work:
        movl    $1, %eax
        cpuid
        shrl    $24, %ebx               /* initial APIC id: 0 (BSP) or 1 */
        movw    $CONFIG, %dx
        inl     %dx, %eax
        movl    %eax, %ecx              /* N */
        movl    $LINE_A, %edi
        testl   %ebx, %ebx
        jz      1f
        movl    $LINE_B, %edi
1:      xorl    %esi, %esi              /* the next line level */
2:      movw    $COUNT, %dx
        outb    %al, %dx
        movl    %edi, %edx
        movl    %esi, %eax
        outb    %al, %dx
        xorl    $1, %esi
        decl    %ecx
        jnz     2b
        movl    %edi, %edx              /* final level: vCPU 0 high, vCPU 1 low */
        movl    %ebx, %eax
        xorl    $1, %eax
        outb    %al, %dx
        movw    $DONE, %dx
        movl    %ebx, %eax
        outb    %al, %dx
3:      cli
        hlt
        jmp     3b

        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9b000000ffff      /* 0x08: flat code, accessed (ROM cannot take the A bit) */
        .quad   0x00cf93000000ffff      /* 0x10: flat data, accessed */
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt

/* The application processor's start-up code: SIPI vector 0xFF starts it at FF00:0000. */
        .org    0xf000
ap_entry:
        .code16
        cli
        cld
        movw    $0xf000, %ax
        movw    %ax, %ds
        lgdtl   (gdt_desc - _start)
        movl    %cr0, %eax
        orl     $1, %eax
        movl    %eax, %cr0
        ljmpl   $0x08, $ap32

        .code32
ap32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    %ax, %fs
        movw    %ax, %gs
        movl    $0x6000, %esp
        jmp     work

        .org    0xfff0
reset_vector:
        .code16
        ljmp    $0xf000, $(_start - _start)     /* the low copy at 0xF0000 */
        .org    0x10000, 0
