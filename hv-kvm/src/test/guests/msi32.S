# 32-bit protected-mode test guest for message-signalled interrupts, loaded at 0x1000 and started
# flat (X86Protected32, code selector 0x08): software-enables its local APIC (spurious-interrupt
# vector register at 0xFEE000F0, bit 8; Intel SDM vol. 3 §11.9), loads an IDT whose only gate is
# vector 0x41, reports ready on port 0xF1 and waits with sti; hlt. The handler prints 'M' on 0xE9,
# writes the APIC's EOI register and reports done on 0xF0. The interrupt can only come as an MSI:
# nothing else in the VM is programmed to send vector 0x41.
        .code32
        .text
        .globl _start
_start:
        cli
        movl    $0x1ff, 0xfee000f0      # SVR: APIC software-enabled, spurious vector 0xFF
        lidt    idtr
        mov     $1, %al
        out     %al, $0xf1              # ready for the message
1:      sti
        hlt
        jmp     1b

msi:
        push    %eax
        mov     $'M', %al
        out     %al, $0xe9
        movl    $0, 0xfee000b0          # EOI
        mov     $1, %al
        out     %al, $0xf0
        pop     %eax
        iret

        .align  8
idt:
        .fill   0x41, 8, 0
        .word   msi, 0x08               # offset 15:0 (the guest lies below 64 KiB), code selector
        .byte   0, 0x8e                 # present, DPL 0, 32-bit interrupt gate
        .word   0                       # offset 31:16
idt_end:
idtr:
        .word   idt_end - idt - 1
        .long   idt
