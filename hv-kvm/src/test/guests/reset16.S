# Real-mode firmware test guest: a 4 KiB ROM mapped so that it ends at 4 GiB and again at 1 MiB.
# Starts at the reset vector (F000:FFF0 with CS.base 0xFFFF0000), far-jumps into the low alias,
# prints a message on the debug port 0xE9, writes to its own first byte (ROM: the write must not
# stick) and reports what it reads back on port 0xF3, then reports done on port 0xF0 and halts.
# Linked at 0xF000: offsets are relative to segment 0xF000 (linear 0xF0000 / 0xFFFF0000).
        .code16
        .text
        .globl _start
_start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x7000, %sp
        mov     $message, %si
        mov     $0xe9, %dx
1:      lods    %cs:(%si), %al
        test    %al, %al
        jz      2f
        out     %al, %dx
        jmp     1b
2:      mov     %cs, %ax
        mov     %ax, %es
        movb    $0x55, %es:_start       # ROM write: an MMIO exit, the byte stays 0xFA (cli)
        movzbw  %es:_start, %ax
        out     %ax, $0xf3
        mov     %cs, %ax                # report the code segment we run in (0xF000 after the far jump)
        out     %ax, $0xf2
        mov     $1, %al
        out     %al, $0xf0
3:      cli
        hlt
        jmp     3b

message:
        .asciz  "reset vector ok"

        .org    0xff0                   # linear 0xFFFFFFF0: the first instruction fetched
reset:
        ljmp    $0xf000, $_start
        .org    0x1000, 0xff
