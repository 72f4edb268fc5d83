# 32-bit test guest for unrecoverable exits. Entry 0x1000 (ESI = 0): jumps to 0xD0000000, where
# nothing is mapped, so the instruction fetch cannot be served. Entry 0x1010: an x87 load from MMIO
# (0xD0000000), which KVM's instruction emulator does not implement, then done on 0xF0.
        .code32
        .text
        .globl _start
_start:
        mov     $0xd0000000, %eax
        jmp     *%eax
        .org    0x10, 0x90
fpu:
        fldl    0xd0000000
        mov     $1, %al
        out     %al, $0xf0
1:      cli
        hlt
        jmp     1b
