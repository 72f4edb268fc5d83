package io.jvmm.runtime.loader;

import io.jvmm.api.hv.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Writes the x86 boot structures a loader hands to the first instruction: GDT, IDT, page tables, e820. */
final class BootTables {
    /** Long mode: null, 64-bit code (L=1), flat data, 32-bit TSS (only so TR can be loaded). */
    static final long[] LONG_MODE_GDT = {0, 0x00af_9b00_0000_ffffL, 0x00cf_9300_0000_ffffL, 0x008f_8b00_0000_ffffL};
    /** PVH 32-bit: null, flat 32-bit code, flat data, TSS. Accessed bits pre-set (type 0x9b/0x93). */
    static final long[] PROTECTED32_GDT = {0, 0x00cf_9b00_0000_ffffL, 0x00cf_9300_0000_ffffL, 0x0000_8b00_0000_0067L};
    /** Page-table entry flags: present | writable. */
    static final long PRESENT_RW = 0x3;
    /** Page-directory entry flags: present | writable | 2 MiB page. */
    static final long PRESENT_RW_HUGE = 0x83;
    static final int PAGE = 4096;
    /** {@code boot_params.e820_entries}. */
    static final int ZP_E820_ENTRIES = 0x1e8;
    /** {@code boot_params.e820_table}. */
    static final int ZP_E820_TABLE = 0x2d0;
    /** Entries {@code boot_params} has room for. */
    static final int ZP_E820_MAX = 128;
    static final int E820_ENTRY_SIZE = 20;

    private BootTables() {}

    static void writeGdt(GuestMemory memory, long[] entries) {
        ByteBuffer gdt = le(entries.length * 8);
        for (long entry : entries) {
            gdt.putLong(entry);
        }
        memory.write(X86Layout.GDT_ADDR, gdt.array());
    }

    /** A single zero gate (limit 7): any exception before the kernel loads its own IDT shuts down. */
    static void writeIdt(GuestMemory memory) {
        memory.write(X86Layout.IDT_ADDR, new byte[8]);
    }

    /** Identity-maps the first 4 GiB with 2 MiB pages: PML4 -> one PDPT -> four page directories. */
    static void writeIdentityPageTables(GuestMemory memory) {
        ByteBuffer pml4 = le(PAGE);
        pml4.putLong(0, X86Layout.PDPT_ADDR | PRESENT_RW);
        memory.write(X86Layout.PML4_ADDR, pml4.array());

        ByteBuffer pdpt = le(PAGE);
        for (int i = 0; i < X86Layout.PD_COUNT; i++) {
            pdpt.putLong(i * 8, (X86Layout.PD_ADDR + (long) i * PAGE) | PRESENT_RW);
        }
        memory.write(X86Layout.PDPT_ADDR, pdpt.array());

        ByteBuffer pds = le(X86Layout.PD_COUNT * PAGE);
        for (int i = 0; i < X86Layout.PD_COUNT * 512; i++) {
            pds.putLong(i * 8, ((long) i << 21) | PRESENT_RW_HUGE);
        }
        memory.write(X86Layout.PD_ADDR, pds.array());
    }

    /** Fills {@code boot_params.e820_entries} and {@code e820_table}. */
    static void putZeroPageE820(ByteBuffer zeroPage, List<E820Entry> map) {
        if (map.size() > ZP_E820_MAX) {
            throw new IllegalArgumentException("e820 map has " + map.size() + " entries; the zero page holds " + ZP_E820_MAX);
        }
        zeroPage.put(ZP_E820_ENTRIES, (byte) map.size());
        int at = ZP_E820_TABLE;
        for (E820Entry e : map) {
            zeroPage.putLong(at, e.addr());
            zeroPage.putLong(at + 8, e.size());
            zeroPage.putInt(at + 16, e.type().code());
            at += E820_ENTRY_SIZE;
        }
    }

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
