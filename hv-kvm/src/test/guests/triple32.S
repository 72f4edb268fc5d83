# 32-bit test guest that triple-faults: loads an empty IDT, then executes ud2. #UD cannot be
# delivered (#GP), nor can #GP (#DF), nor #DF: the CPU shuts down.
        .code32
        .text
        .globl _start
_start:
        lidt    empty_idt
        mov     $1, %al
        out     %al, $0xf1              # about to fault
        ud2
1:      jmp     1b

        .p2align 3
empty_idt:
        .word   0
        .long   0
