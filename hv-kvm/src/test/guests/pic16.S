# Real-mode firmware test guest for PIC interrupts: programs the in-kernel 8259 master (vectors
# 0x08-0x0F, only IRQ4 unmasked), installs an IVT entry for vector 0x0C, reports ready on port
# 0xF1 and waits with sti; hlt. The handler prints 'I' on 0xE9, sends EOI and reports done on 0xF0.
        .code16
        .text
        .globl _start
_start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x7000, %sp
        movw    $irq4, 0x0c * 4         # IVT[0x0C] = F000:irq4
        movw    $0xf000, 0x0c * 4 + 2
        mov     $0x11, %al              # ICW1: edge, cascade, ICW4 follows
        out     %al, $0x20
        mov     $0x08, %al              # ICW2: vector base 8
        out     %al, $0x21
        mov     $0x04, %al              # ICW3: slave on IRQ2
        out     %al, $0x21
        mov     $0x01, %al              # ICW4: 8086 mode
        out     %al, $0x21
        mov     $0xef, %al              # OCW1: only IRQ4 unmasked
        out     %al, $0x21
        mov     $1, %al
        out     %al, $0xf1              # ready for the interrupt
1:      sti
        hlt
        jmp     1b

irq4:
        push    %ax
        mov     $'I', %al
        out     %al, $0xe9
        mov     $0x20, %al              # non-specific EOI
        out     %al, $0x20
        mov     $1, %al
        out     %al, $0xf0
        pop     %ax
        iret

        .org    0xff0
reset:
        ljmp    $0xf000, $_start
        .org    0x1000, 0xff
