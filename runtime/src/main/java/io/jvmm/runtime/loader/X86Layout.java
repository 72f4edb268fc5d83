package io.jvmm.runtime.loader;

import io.jvmm.api.device.PciPlatform;
import java.util.ArrayList;
import java.util.List;

/**
 * Where things live in an x86 guest's physical address space. RAM fills [0, 3 GiB); whatever does
 * not fit there continues at 4 GiB, leaving [3 GiB, 4 GiB) for MMIO (IOAPIC, LAPIC, firmware ROM).
 * The low boot structures are the ones Firecracker and Cloud Hypervisor use; none of them overlap.
 */
public final class X86Layout {
    /**
     * Start of the 32-bit MMIO hole; RAM below it is "low RAM". The hole's lower part is PCI bus 0's
     * memory window ({@link PciPlatform#MMIO32_WINDOW_START}), where BARs go.
     */
    public static final long MMIO_HOLE_START = PciPlatform.MMIO32_WINDOW_START;
    /**
     * Start of the platform's own MMIO at the top of the hole (IOAPIC, battery, LAPIC, firmware ROM),
     * right above the PCI window; the e820 map reserves [this, 4 GiB).
     */
    public static final long PLATFORM_MMIO_START = PciPlatform.MMIO32_WINDOW_END + 1;
    /** End of the 32-bit MMIO hole; RAM that does not fit below the hole resumes here. */
    public static final long MMIO_HOLE_END = 1L << 32;

    /** Boot GDT (4 entries: null, code 0x08, data 0x10, TSS 0x18). */
    public static final long GDT_ADDR = 0x500;
    /** Boot IDT: one zero entry, limit 7. */
    public static final long IDT_ADDR = 0x520;
    /** PVH {@code hvm_start_info}. */
    public static final long PVH_START_INFO_ADDR = 0x6000;
    /** PVH module list (the initrd). */
    public static final long PVH_MODLIST_ADDR = 0x6040;
    /** PVH memory map (shares the page with the zero page: a kernel uses one protocol or the other). */
    public static final long PVH_MEMMAP_ADDR = 0x7000;
    /** Linux {@code boot_params} ("zero page"). */
    public static final long ZERO_PAGE_ADDR = 0x7000;
    /** Initial RSP and RBP; the stack grows down inside the page at 0x8000. */
    public static final long BOOT_STACK_POINTER = 0x8ff0;
    /** PML4 of the boot identity map. */
    public static final long PML4_ADDR = 0x9000;
    /** The one PDPT; its first 4 entries point at the 4 page directories. */
    public static final long PDPT_ADDR = 0xa000;
    /** Four page directories, 0xb000..0xefff, 2 MiB pages identity-mapping the first 4 GiB. */
    public static final long PD_ADDR = 0xb000;
    /** How many page directories (each maps 1 GiB). */
    public static final int PD_COUNT = 4;
    /** Kernel command line. */
    public static final long CMDLINE_ADDR = 0x20000;
    /** Start of the EBDA/VGA/BIOS area, reserved in the e820 map up to 1 MiB. */
    public static final long EBDA_START = 0x9fc00;
    /** First byte above the legacy area; Linux kernels load here. */
    public static final long HIMEM_START = 0x10_0000;

    private X86Layout() {}

    /** Bytes of RAM below the MMIO hole, starting at 0. */
    public static long lowRamEnd(long ramBytes) {
        return Math.min(ramBytes, MMIO_HOLE_START);
    }

    /** Bytes of RAM placed from 4 GiB up. */
    public static long highRamSize(long ramBytes) {
        return Math.max(0, ramBytes - MMIO_HOLE_START);
    }

    /** Whether {@code [gpa, gpa + length)} is RAM under this layout for a VM with {@code ramBytes}. */
    public static boolean isRam(long ramBytes, long gpa, long length) {
        if (gpa < 0 || length < 0 || gpa + length < gpa) {
            return false;
        }
        long end = gpa + length;
        if (end <= lowRamEnd(ramBytes)) {
            return true;
        }
        return gpa >= MMIO_HOLE_END && end <= MMIO_HOLE_END + highRamSize(ramBytes);
    }

    /**
     * The e820 map for {@code ramBytes} of RAM, sorted by address: RAM [0, 0x9fc00), the legacy area
     * [0x9fc00, 1 MiB) reserved, RAM from 1 MiB to the hole, the platform MMIO at the top of the hole
     * reserved, RAM above 4 GiB. The legacy area and the platform MMIO are backed by RAM or devices
     * but must not be used as RAM by the guest: the EBDA/BIOS area carries firmware tables, the top
     * of the hole the IOAPIC, LAPIC and ROM. The PCI window below them is left out of the map (a gap,
     * as on PCs and under QEMU): it is free address space for BARs, and Linux clips the host bridge's
     * ACPI windows by e820 reservations ("PCI: Using E820 reservations for host bridge windows"), so
     * reserving it would leave PCI without memory.
     */
    public static List<E820Entry> e820(long ramBytes) {
        if (ramBytes < HIMEM_START) {
            throw new IllegalArgumentException("the x86 layout needs at least 1 MiB of RAM, got " + ramBytes);
        }
        List<E820Entry> map = new ArrayList<>(5);
        map.add(new E820Entry(0, EBDA_START, E820Entry.Type.RAM));
        map.add(new E820Entry(EBDA_START, HIMEM_START - EBDA_START, E820Entry.Type.RESERVED));
        long lowEnd = lowRamEnd(ramBytes);
        if (lowEnd > HIMEM_START) {
            map.add(new E820Entry(HIMEM_START, lowEnd - HIMEM_START, E820Entry.Type.RAM));
        }
        map.add(new E820Entry(PLATFORM_MMIO_START, MMIO_HOLE_END - PLATFORM_MMIO_START, E820Entry.Type.RESERVED));
        long high = highRamSize(ramBytes);
        if (high > 0) {
            map.add(new E820Entry(MMIO_HOLE_END, high, E820Entry.Type.RAM));
        }
        return List.copyOf(map);
    }
}
