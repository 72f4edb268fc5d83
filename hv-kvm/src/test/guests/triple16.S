# Firmware test guest that triple-faults: a 4 KiB ROM mapped so that it ends at 4 GiB and again at
# 1 MiB (like reset16). From the reset vector it far-jumps into the low alias, enters flat 32-bit
# protected mode by setting CR0.PE alone (CD, NW and ET stay as at power-on, as firmware leaves
# them), writes 'T' to the debug port 0xE9, loads an empty IDT and executes ud2: #UD cannot be
# delivered (#GP), nor can #GP (#DF), nor #DF: the CPU shuts down, with paging never enabled.
# Linked at 0xF000: offsets are relative to segment 0xF000 (linear 0xF0000 / 0xFFFF0000).
        .code16
        .text
        .globl _start
_start:
        cli
        lgdtl   %cs:gdt_desc
        movl    %cr0, %eax
        orl     $1, %eax
        movl    %eax, %cr0
        ljmpl   $0x08, $(0xf0000 + pm32)

        .code32
pm32:
        movw    $0x10, %ax
        movw    %ax, %ds
        mov     $'T', %al
        out     %al, $0xe9
        lidt    0xf0000 + empty_idt
        ud2
1:      jmp     1b

        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9b000000ffff      # 0x08: flat code, accessed (the CPU cannot set it in ROM)
        .quad   0x00cf93000000ffff      # 0x10: flat data, accessed
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   0xf0000 + gdt
empty_idt:
        .word   0
        .long   0

        .org    0xff0                   # linear 0xFFFFFFF0: the first instruction fetched
        .code16
reset:
        ljmp    $0xf000, $_start
        .org    0x1000, 0xff
