/*
 * acpi_off: powers the machine off the way an ACPI OS does, finding everything in the tables
 * (ACPI 6.x §5.2.5.1, §5.2.9, §7.4.2, §4.8.3.2.1):
 *   - scans the BIOS read-only area 0xE0000-0xFFFFF on 16-byte boundaries for "RSD PTR " with a
 *     valid checksum (and, for revision 2+, a valid extended checksum over its 36 bytes);
 *   - walks the XSDT (revision 2+ with an XSDT below 4 GiB) or else the RSDT to the table "FACP",
 *     checking each table's checksum;
 *   - reads PM1a_CNT_BLK and the DSDT from the FADT, and \_S5's first element (SLP_TYPa) from the
 *     DSDT's AML: NameOp, "_S5_" (optionally after "\"), PackageOp, PkgLength, NumElements, then
 *     Zero, One or BytePrefix n;
 *   - writes SLP_TYPa << 10 | SLP_EN to PM1a_CNT.
 * Output on COM1, one line per step ("acpi: ..."), "FAIL <why>" if a step fails (then it powers off
 * through dev-pm's fixed port, so the run still ends, and the test sees the FAIL).
 */
        .set CONSOLE_COM1, 1
        .include "lib.inc"

        .set SCAN_START, 0xe0000
        .set SCAN_END,   0x100000
        .set SLP_EN,     0x2000
        .set SLP_TYP_MASK, 0x1c00
        /* variables live in RAM below the stack (the image is ROM) */
        .set pm1a_cnt, 0x6000
        .set dsdt,     0x6004
        .set slp_typ,  0x6008

main:
        call    serial_init
        movl    $msg_hello, %esi
        call    puts

/* ---- RSDP ---- */
        movl    $SCAN_START, %ebx
1:      cmpl    $0x20445352, (%ebx)             /* "RSD " */
        jne     2f
        cmpl    $0x20525450, 4(%ebx)            /* "PTR " */
        jne     2f
        movl    $20, %ecx
        call    checksum
        jnz     2f
        cmpb    $2, 15(%ebx)
        jb      3f
        movl    $36, %ecx
        call    checksum
        jnz     2f
        jmp     3f
2:      addl    $16, %ebx
        cmpl    $SCAN_END, %ebx
        jb      1b
        movl    $fail_rsdp, %esi
        jmp     fail

3:      movl    $msg_rsdp, %esi
        call    puts
        movl    %ebx, %eax
        call    hex8
        movl    $msg_rev, %esi
        call    puts
        movzbl  15(%ebx), %eax
        call    print_dec
        call    crlf

/* ---- XSDT (8-byte entries) or RSDT (4-byte entries) ---- */
        movl    $4, %edi                        /* entry size */
        movl    16(%ebx), %edx                  /* RsdtAddress */
        cmpb    $2, 15(%ebx)
        jb      4f
        cmpl    $0, 28(%ebx)                    /* XsdtAddress high half */
        jne     4f
        movl    24(%ebx), %eax
        testl   %eax, %eax
        jz      4f
        movl    %eax, %edx
        movl    $8, %edi
4:      testl   %edx, %edx
        jz      fail_no_root
        movl    %edx, %ebx
        call    table_ok
        jnz     fail_root_sum
        movl    $msg_root, %esi
        call    puts
        movl    (%ebx), %eax                    /* the signature, as text */
        call    put4
        movl    $msg_at, %esi
        call    puts
        movl    %ebx, %eax
        call    hex8
        call    crlf

        movl    4(%ebx), %ecx                   /* length */
        leal    (%ebx,%ecx), %ebp               /* end */
        leal    36(%ebx), %esi                  /* first entry */
5:      cmpl    %ebp, %esi
        jae     fail_no_fadt
        movl    (%esi), %edx
        cmpl    $8, %edi
        jne     6f
        cmpl    $0, 4(%esi)
        jne     7f                              /* above 4 GiB: not ours to read */
6:      cmpl    $0x50434146, (%edx)             /* "FACP" */
        je      8f
7:      addl    %edi, %esi
        jmp     5b

/* ---- FADT ---- */
8:      movl    %edx, %ebx
        call    table_ok
        jnz     fail_fadt_sum
        movl    64(%ebx), %eax                  /* PM1a_CNT_BLK */
        testl   %eax, %eax
        jz      fail_no_pm1a
        movl    %eax, pm1a_cnt
        movl    40(%ebx), %eax                  /* DSDT */
        movl    %eax, dsdt
        movl    $msg_fadt, %esi
        call    puts
        movl    %ebx, %eax
        call    hex8
        movl    $msg_pm1a, %esi
        call    puts
        movl    pm1a_cnt, %eax
        movl    $4, %ecx
        call    print_hex
        call    crlf

/* ---- \_S5 in the DSDT ---- */
        movl    dsdt, %ebx
        cmpl    $0x54445344, (%ebx)             /* "DSDT" */
        jne     fail_dsdt
        call    table_ok
        jnz     fail_dsdt
        movl    4(%ebx), %ecx
        leal    -8(%ebx,%ecx), %ebp             /* the last place a whole \_S5 package header can start */
        leal    36(%ebx), %esi
9:      cmpl    %ebp, %esi
        jae     fail_no_s5
        cmpl    $0x5f35535f, 1(%esi)            /* "_S5_" after the opcode byte */
        jne     10f
        cmpb    $0x08, (%esi)                   /* NameOp _S5_ */
        je      11f
        cmpb    $0x5c, (%esi)                   /* \_S5_: NameOp is one byte earlier */
        jne     10f
        cmpb    $0x08, -1(%esi)
        je      11f
10:     incl    %esi
        jmp     9b
11:     addl    $5, %esi                        /* past the opcode byte and "_S5_" */
        cmpb    $0x12, (%esi)                   /* PackageOp */
        jne     fail_s5_form
        movzbl  1(%esi), %eax                   /* PkgLength lead byte: bits 7-6 = bytes that follow */
        shrl    $6, %eax
        leal    3(%esi,%eax), %esi              /* past PackageOp, PkgLength, NumElements */
        movzbl  (%esi), %eax
        cmpb    $0x0a, %al                      /* BytePrefix */
        jne     12f
        movzbl  1(%esi), %eax
        jmp     13f
12:     cmpb    $1, %al                         /* ZeroOp 0x00, OneOp 0x01: the value itself */
        ja      fail_s5_form
13:     cmpl    $7, %eax
        ja      fail_s5_form
        movl    %eax, slp_typ
        movl    $msg_s5, %esi
        call    puts
        movl    slp_typ, %eax
        call    print_dec
        call    crlf

/* ---- S5 ---- */
        movl    $msg_off, %esi
        call    puts
        movl    pm1a_cnt, %edx
        inw     %dx, %ax
        andw    $~(SLP_TYP_MASK | SLP_EN), %ax
        movl    slp_typ, %ecx
        shll    $10, %ecx
        orw     %cx, %ax
        orw     $SLP_EN, %ax
        outw    %ax, %dx
        movl    $str_still_running, %esi
        call    puts
14:     cli
        hlt
        jmp     14b

/* checksum: ZF set if the %ecx bytes at %ebx sum to 0 mod 256. */
checksum:
        pushl   %ecx
        pushl   %esi
        xorl    %eax, %eax
        movl    %ebx, %esi
1:      addb    (%esi), %al
        incl    %esi
        loop    1b
        testb   %al, %al
        popl    %esi
        popl    %ecx
        ret

/* table_ok: ZF set if the table at %ebx (length at +4, at least a header, at most 64 KiB) sums to 0. */
table_ok:
        pushl   %ecx
        movl    4(%ebx), %ecx
        cmpl    $36, %ecx
        jb      1f
        cmpl    $0x10000, %ecx
        ja      1f
        call    checksum
        popl    %ecx
        ret
1:      orl     $1, %ecx                        /* ZF clear */
        popl    %ecx
        ret

/* hex8: "0x" and %eax as 8 hex digits. */
hex8:
        pushl   %ecx
        pushl   %esi
        movl    $str_0x, %esi
        call    puts
        movl    $8, %ecx
        call    print_hex
        popl    %esi
        popl    %ecx
        ret

/* put4: the 4 bytes of %eax as characters, low byte first. */
put4:
        pushl   %ecx
        movl    $4, %ecx
1:      call    putc
        shrl    $8, %eax
        loop    1b
        popl    %ecx
        ret

fail_no_root:   movl $fail_root, %esi;     jmp fail
fail_root_sum:  movl $fail_rootsum, %esi;  jmp fail
fail_no_fadt:   movl $fail_fadt, %esi;     jmp fail
fail_fadt_sum:  movl $fail_fadtsum, %esi;  jmp fail
fail_no_pm1a:   movl $fail_pm1a, %esi;     jmp fail
fail_dsdt:      movl $fail_dsdt_msg, %esi; jmp fail
fail_no_s5:     movl $fail_s5, %esi;       jmp fail
fail_s5_form:   movl $fail_s5form, %esi;   jmp fail

/* fail: "FAIL" and the reason at %esi, then dev-pm's fixed power-off so the run ends. */
fail:
        pushl   %esi
        movl    $msg_fail, %esi
        call    puts
        popl    %esi
        call    puts
        call    crlf
        jmp     power_off

msg_hello:      .asciz "acpi: looking for the RSDP\r\n"
msg_rsdp:       .asciz "acpi: RSDP at "
msg_rev:        .asciz " revision "
msg_root:       .asciz "acpi: root table "
msg_at:         .asciz " at "
msg_fadt:       .asciz "acpi: FACP at "
msg_pm1a:       .asciz " PM1a_CNT_BLK 0x"
msg_s5:         .asciz "acpi: \\_S5 SLP_TYPa "
msg_off:        .asciz "acpi: entering S5\r\n"
msg_fail:       .asciz "FAIL "
str_0x:         .asciz "0x"
fail_rsdp:      .asciz "no RSDP with a valid checksum in 0xE0000-0xFFFFF"
fail_root:      .asciz "the RSDP names no RSDT or XSDT"
fail_rootsum:   .asciz "the root table's checksum or length is wrong"
fail_fadt:      .asciz "no FACP in the root table"
fail_fadtsum:   .asciz "the FADT's checksum or length is wrong"
fail_pm1a:      .asciz "the FADT has no PM1a_CNT_BLK"
fail_dsdt_msg:  .asciz "the FADT's DSDT is not a valid DSDT"
fail_s5:        .asciz "no \\_S5 in the DSDT"
fail_s5form:    .asciz "\\_S5 is not a package starting with a small integer"

        ROM_END
