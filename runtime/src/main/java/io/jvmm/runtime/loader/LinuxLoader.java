package io.jvmm.runtime.loader;

import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.runtime.acpi.AcpiTables;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * Loads an x86-64 Linux kernel, an optional initrd and a command line into guest memory.
 *
 * <ul>
 *   <li>bzImage (boot protocol 2.12+ with {@code XLF_KERNEL_64}): the protected-mode part at 1 MiB,
 *       started at its 64-bit entry (load address + 0x200) in long mode with identity page tables,
 *       RSI pointing at a zero page seeded from the image's own setup header.
 *   <li>ELF vmlinux: {@code PT_LOAD} segments at their physical addresses; with a Xen PVH note the
 *       kernel starts at that 32-bit entry with {@code hvm_start_info} in RBX, otherwise at
 *       {@code e_entry} in long mode with a zero page built from scratch (as Firecracker does).
 * </ul>
 *
 * Everything is checked before the first byte is written, so a bad image leaves memory untouched
 * and fails before any vCPU runs.
 */
public final class LinuxLoader {
    /** Command-line limit for ELF kernels, which carry no {@code cmdline_size}; excludes the NUL. */
    public static final int ELF_CMDLINE_MAX = 2047;
    /** bzImages run from 1 MiB; the 64-bit entry is 0x200 bytes in. */
    public static final long KERNEL_LOAD_ADDR = X86Layout.HIMEM_START;
    public static final long BZIMAGE_64BIT_ENTRY_OFFSET = 0x200;
    /** ELF kernels: what Firecracker reports, the usual CONFIG_PHYSICAL_ALIGN. */
    static final long ELF_KERNEL_ALIGNMENT = 0x0100_0000;
    /** {@code type_of_loader} "undefined" (not a registered boot loader). */
    static final int LOADER_TYPE_UNDEFINED = 0xFF;
    static final int PVH_START_INFO_MAGIC = 0x336e_c578;
    static final int PVH_START_INFO_SIZE = 56;
    static final int PVH_MODLIST_ENTRY_SIZE = 32;
    static final int PVH_MEMMAP_ENTRY_SIZE = 24;
    private static final long INITRD_ALIGN = 4096;
    /** The command line must end before the EBDA. */
    private static final long CMDLINE_AREA_MAX = X86Layout.EBDA_START - X86Layout.CMDLINE_ADDR - 1;
    /** {@code boot_params.acpi_rsdp_addr} (boot protocol 2.14; older kernels scan the BIOS area instead). */
    static final int ZP_ACPI_RSDP_ADDR = 0x070;
    /** {@code hvm_start_info.rsdp_paddr}. */
    static final int PVH_RSDP_PADDR = 32;
    private static final String KERNEL = "kernel";
    private static final String INITRD = "initrd";

    private LinuxLoader() {}

    /** {@link #load(GuestMemory, ImageFile, ImageFile, String)} for images without file names. */
    public static LoadedPayload load(GuestMemory memory, byte[] kernel, byte[] initrd, String cmdline)
            throws PayloadException {
        return load(memory, new ImageFile(KERNEL, kernel), initrd == null ? null : new ImageFile(INITRD, initrd), cmdline);
    }

    /**
     * Checks and loads the kernel.
     *
     * @param initrd the initial ramdisk, or null for none
     * @param cmdline the kernel command line; null means empty
     */
    public static LoadedPayload load(GuestMemory memory, ImageFile kernel, ImageFile initrd, String cmdline)
            throws PayloadException {
        return load(memory, kernel, initrd, cmdline, null);
    }

    /**
     * {@link #load(GuestMemory, ImageFile, ImageFile, String, AcpiTables)}, and the reset-vector stub's
     * ROM page at the top of the 4 GiB space ({@link ResetVectorStub#mapTop}), so that a CPU reset
     * state finds it too.
     */
    public static LoadedPayload load(GuestMemory memory, RomMapper rom, ImageFile kernel, ImageFile initrd,
            String cmdline, AcpiTables acpi) throws PayloadException, HypervisorException {
        LoadedPayload loaded = load(memory, kernel, initrd, cmdline, acpi);
        ResetVectorStub.mapTop(rom);
        return loaded;
    }

    /**
     * Checks and loads the kernel, and the board's ACPI tables: written at their place (inside the
     * e820-reserved BIOS area), their RSDP named in the zero page or the PVH start info. The
     * reset-vector stub ({@link ResetVectorStub}) goes to F000:FF00, where Linux's BIOS reboot method
     * jumps to.
     *
     * @param acpi the tables, or null for none
     */
    public static LoadedPayload load(GuestMemory memory, ImageFile kernel, ImageFile initrd, String cmdline,
            AcpiTables acpi) throws PayloadException {
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(kernel, "kernel");
        byte[] image = kernel.bytes();
        String what = kernel.describe(KERNEL);
        if (memory.size() < X86Layout.HIMEM_START) {
            throw new PayloadException("the VM has only " + MemorySize.format(memory.size())
                    + " of RAM; a Linux guest needs far more (--memory)");
        }
        if (initrd != null && initrd.bytes().length == 0) {
            throw new PayloadException(initrd.describe(INITRD) + " is empty; leave it out or pass a real initramfs");
        }
        byte[] cmdlineBytes = commandLineBytes(cmdline);
        // inside [EBDA_START, HIMEM_START), which the e820 map reserves, so the OS leaves the tables intact
        if (acpi != null && (acpi.base() < X86Layout.EBDA_START
                || acpi.base() + acpi.image().length > ResetVectorStub.LOW_ADDRESS)) {
            throw new IllegalArgumentException(String.format("ACPI tables at 0x%x are outside the reserved "
                    + "BIOS area below the reset-vector stub [0x%x, 0x%x)", acpi.base(), X86Layout.EBDA_START,
                    ResetVectorStub.LOW_ADDRESS));
        }
        if (ElfKernel.hasElfMagic(image)) {
            return loadElf(memory, ElfKernel.parse(image, what), image, what, initrd, cmdlineBytes, acpi);
        }
        if (BzImageHeader.hasHeader(image)) {
            return loadBzImage(memory, BzImageHeader.parse(image, what), image, what, initrd, cmdlineBytes, acpi);
        }
        throw new PayloadException(what + " is neither a bzImage nor an ELF vmlinux "
                + "(no 'HdrS' setup header at 0x202, no ELF magic); pass arch/x86/boot/bzImage or vmlinux");
    }

    private static LoadedPayload loadBzImage(GuestMemory memory, BzImageHeader header, byte[] image, String what,
            ImageFile initrd, byte[] cmdline, AcpiTables acpi) throws PayloadException {
        checkCommandLine(cmdline, Math.min(header.cmdlineSize(), CMDLINE_AREA_MAX));
        long lowRamEnd = X86Layout.lowRamEnd(memory.size());
        int setupBytes = (int) header.setupBytes();
        int protectedBytes = image.length - setupBytes;
        long runAddr = header.runAddress(KERNEL_LOAD_ADDR);
        // the kernel copies itself to the top of [runAddr, runAddr + init_size) and unpacks below that
        long unpackedSize = Math.max(header.initSize(), protectedBytes);
        long kernelEnd = Math.max(KERNEL_LOAD_ADDR + protectedBytes, runAddr + unpackedSize);
        if (kernelEnd > lowRamEnd) {
            throw new PayloadException(String.format("%s needs RAM up to 0x%x (it unpacks to %s at 0x%x) but the VM's RAM "
                    + "below the 3 GiB hole ends at 0x%x; give the VM more memory (--memory)",
                    what, kernelEnd, MemorySize.format(unpackedSize), runAddr, lowRamEnd));
        }
        long initrdCeiling = Math.min(header.initrdAddrMax() + 1, lowRamEnd);
        InitrdPlacement ramdisk = placeInitrd(initrd, initrdCeiling, kernelEnd);

        memory.write(KERNEL_LOAD_ADDR, image, setupBytes, protectedBytes);
        ByteBuffer zeroPage = BootTables.le(BootTables.PAGE);
        // the kernel reads its own header back from boot_params, so start from the image's copy
        zeroPage.put(BzImageHeader.SETUP_SECTS, image, BzImageHeader.SETUP_SECTS,
                header.headerEnd() - BzImageHeader.SETUP_SECTS);
        zeroPage.putShort(BzImageHeader.BOOT_FLAG, (short) BzImageHeader.BOOT_FLAG_VALUE);
        // CAN_USE_HEAP/heap_end_ptr only matter to the real-mode setup code, which the 64-bit entry skips
        zeroPage.put(BzImageHeader.TYPE_OF_LOADER, (byte) LOADER_TYPE_UNDEFINED);
        zeroPage.putInt(BzImageHeader.CMD_LINE_PTR, (int) X86Layout.CMDLINE_ADDR);
        zeroPage.putInt(BzImageHeader.RAMDISK_IMAGE, (int) ramdisk.addr());
        zeroPage.putInt(BzImageHeader.RAMDISK_SIZE, (int) ramdisk.size());
        BootTables.putZeroPageE820(zeroPage, X86Layout.e820(memory.size()));
        putRsdp(zeroPage, ZP_ACPI_RSDP_ADDR, acpi);
        memory.write(X86Layout.ZERO_PAGE_ADDR, zeroPage.array());
        writeCommon(memory, cmdline, initrd, ramdisk, acpi);
        BootTables.writeGdt(memory, BootTables.LONG_MODE_GDT);
        BootTables.writeIdt(memory);
        BootTables.writeIdentityPageTables(memory);

        long entry = KERNEL_LOAD_ADDR + BZIMAGE_64BIT_ENTRY_OFFSET;
        String description = "Linux bzImage " + what + ", boot protocol " + BzImageHeader.versionText(header.version())
                + ", 64-bit entry at " + Hex.of(entry) + ", " + tail(cmdline, ramdisk);
        return new LoadedPayload(new CpuBootState.X86Long64(entry, X86Layout.BOOT_STACK_POINTER,
                X86Layout.ZERO_PAGE_ADDR, X86Layout.PML4_ADDR, X86Layout.GDT_ADDR), description);
    }

    private static LoadedPayload loadElf(GuestMemory memory, ElfKernel elf, byte[] image, String what,
            ImageFile initrd, byte[] cmdline, AcpiTables acpi) throws PayloadException {
        checkCommandLine(cmdline, ELF_CMDLINE_MAX);
        for (ElfKernel.Segment s : elf.segments()) {
            if (s.paddr() < X86Layout.HIMEM_START) {
                throw new PayloadException(String.format("%s: segment %d at 0x%x lies below 1 MiB, where jvmm keeps "
                        + "its boot structures; jvmm loads kernels linked at 1 MiB or above", what, s.index(), s.paddr()));
            }
            if (!memory.isRam(s.paddr(), s.memSize())) {
                throw new PayloadException(String.format("%s: segment %d [0x%x, 0x%x) lies outside guest RAM (%s: below "
                        + "0x%x, and above 4 GiB for the rest); give the VM more memory (--memory)", what, s.index(),
                        s.paddr(), s.end(), MemorySize.format(memory.size()), X86Layout.lowRamEnd(memory.size())));
            }
        }
        long lowRamEnd = X86Layout.lowRamEnd(memory.size());
        InitrdPlacement ramdisk = placeInitrd(initrd, lowRamEnd, Math.min(elf.end(), lowRamEnd));

        for (ElfKernel.Segment s : elf.segments()) {
            memory.write(s.paddr(), image, (int) s.fileOffset(), (int) s.fileSize());
            zero(memory, s.paddr() + s.fileSize(), s.memSize() - s.fileSize());
        }
        writeCommon(memory, cmdline, initrd, ramdisk, acpi);
        List<E820Entry> map = X86Layout.e820(memory.size());
        if (elf.hasPvhEntry()) {
            writePvhStartInfo(memory, map, ramdisk, acpi);
            BootTables.writeGdt(memory, BootTables.PROTECTED32_GDT);
            String description = "Linux ELF vmlinux " + what + ", PVH 32-bit entry at " + Hex.of(elf.pvhEntry()) + ", "
                    + tail(cmdline, ramdisk);
            return new LoadedPayload(new CpuBootState.X86Protected32(elf.pvhEntry(), X86Layout.BOOT_STACK_POINTER,
                    X86Layout.PVH_START_INFO_ADDR, 0, X86Layout.GDT_ADDR), description);
        }

        ByteBuffer zeroPage = BootTables.le(BootTables.PAGE);
        zeroPage.putShort(BzImageHeader.BOOT_FLAG, (short) BzImageHeader.BOOT_FLAG_VALUE);
        zeroPage.putInt(BzImageHeader.HEADER_MAGIC, BzImageHeader.HDRS);
        zeroPage.put(BzImageHeader.TYPE_OF_LOADER, (byte) LOADER_TYPE_UNDEFINED);
        zeroPage.putInt(BzImageHeader.CMD_LINE_PTR, (int) X86Layout.CMDLINE_ADDR);
        zeroPage.putInt(BzImageHeader.CMDLINE_SIZE, cmdline.length + 1);
        zeroPage.putInt(BzImageHeader.KERNEL_ALIGNMENT, (int) ELF_KERNEL_ALIGNMENT);
        zeroPage.putInt(BzImageHeader.RAMDISK_IMAGE, (int) ramdisk.addr());
        zeroPage.putInt(BzImageHeader.RAMDISK_SIZE, (int) ramdisk.size());
        BootTables.putZeroPageE820(zeroPage, map);
        putRsdp(zeroPage, ZP_ACPI_RSDP_ADDR, acpi);
        memory.write(X86Layout.ZERO_PAGE_ADDR, zeroPage.array());
        BootTables.writeGdt(memory, BootTables.LONG_MODE_GDT);
        BootTables.writeIdt(memory);
        BootTables.writeIdentityPageTables(memory);
        String description = "Linux ELF vmlinux " + what + ", 64-bit entry at " + Hex.of(elf.entry()) + ", "
                + tail(cmdline, ramdisk);
        return new LoadedPayload(new CpuBootState.X86Long64(elf.entry(), X86Layout.BOOT_STACK_POINTER,
                X86Layout.ZERO_PAGE_ADDR, X86Layout.PML4_ADDR, X86Layout.GDT_ADDR), description);
    }

    /** {@code hvm_start_info} v1 at 0x6000, the initrd module at 0x6040, the memory map at 0x7000. */
    private static void writePvhStartInfo(GuestMemory memory, List<E820Entry> map, InitrdPlacement ramdisk,
            AcpiTables acpi) {
        boolean hasModule = ramdisk.size() > 0;
        ByteBuffer info = BootTables.le(PVH_START_INFO_SIZE);
        info.putInt(0, PVH_START_INFO_MAGIC);
        info.putInt(4, 1); // version 1: has the memory map fields
        info.putInt(8, 0); // flags
        info.putInt(12, hasModule ? 1 : 0);
        info.putLong(16, hasModule ? X86Layout.PVH_MODLIST_ADDR : 0);
        info.putLong(24, X86Layout.CMDLINE_ADDR);
        putRsdp(info, PVH_RSDP_PADDR, acpi); // 0 without tables: the kernel scans the BIOS area itself
        info.putLong(40, X86Layout.PVH_MEMMAP_ADDR);
        info.putInt(48, map.size());
        memory.write(X86Layout.PVH_START_INFO_ADDR, info.array());

        ByteBuffer module = BootTables.le(PVH_MODLIST_ENTRY_SIZE);
        if (hasModule) {
            module.putLong(0, ramdisk.addr());
            module.putLong(8, ramdisk.size());
        }
        memory.write(X86Layout.PVH_MODLIST_ADDR, module.array());

        ByteBuffer memmap = BootTables.le(map.size() * PVH_MEMMAP_ENTRY_SIZE);
        for (E820Entry e : map) {
            memmap.putLong(e.addr()).putLong(e.size()).putInt(e.type().code()).putInt(0);
        }
        memory.write(X86Layout.PVH_MEMMAP_ADDR, memmap.array());
    }

    private static void putRsdp(ByteBuffer buffer, int offset, AcpiTables acpi) {
        buffer.putLong(offset, acpi == null ? 0 : acpi.rsdpAddress());
    }

    /**
     * The command line (NUL-terminated), the initrd, the ACPI tables and the reset-vector stub: the same
     * for every protocol.
     */
    private static void writeCommon(GuestMemory memory, byte[] cmdline, ImageFile initrd, InitrdPlacement ramdisk,
            AcpiTables acpi) {
        byte[] terminated = new byte[cmdline.length + 1];
        System.arraycopy(cmdline, 0, terminated, 0, cmdline.length);
        memory.write(X86Layout.CMDLINE_ADDR, terminated);
        if (initrd != null) {
            memory.write(ramdisk.addr(), initrd.bytes());
        }
        if (acpi != null) {
            memory.write(acpi.base(), acpi.image());
        }
        ResetVectorStub.writeLow(memory);
    }

    /**
     * Where the initrd goes: as high as possible below {@code ceiling}, page-aligned, above the kernel.
     *
     * @param ceiling one past the highest byte the initrd may occupy
     * @param kernelEnd one past the kernel's highest byte
     */
    static InitrdPlacement placeInitrd(ImageFile initrd, long ceiling, long kernelEnd) throws PayloadException {
        if (initrd == null) {
            return new InitrdPlacement(0, 0);
        }
        long size = initrd.bytes().length;
        long addr = ((ceiling - size) & -INITRD_ALIGN);
        if (size > ceiling || addr < kernelEnd) {
            throw new PayloadException(String.format("%s (%d bytes) does not fit below 0x%x above the kernel end 0x%x; "
                    + "give the VM more memory (--memory)", initrd.describe(INITRD), size, ceiling, kernelEnd));
        }
        return new InitrdPlacement(addr, size);
    }

    /** Where the initrd went; size 0 when there is none. */
    record InitrdPlacement(long addr, long size) {}

    private static byte[] commandLineBytes(String cmdline) throws PayloadException {
        String text = cmdline == null ? "" : cmdline;
        if (text.indexOf('\0') >= 0) {
            throw new PayloadException("the kernel command line contains a NUL character, which would end it early");
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void checkCommandLine(byte[] cmdline, long max) throws PayloadException {
        if (cmdline.length > max) {
            throw new PayloadException("the kernel command line is " + cmdline.length
                    + " bytes; this kernel accepts at most " + max);
        }
    }

    private static void zero(GuestMemory memory, long gpa, long length) {
        byte[] zeros = new byte[(int) Math.min(64 * 1024, length)];
        long done = 0;
        while (done < length) {
            int chunk = (int) Math.min(zeros.length, length - done);
            memory.write(gpa + done, zeros, 0, chunk);
            done += chunk;
        }
    }

    private static String tail(byte[] cmdline, InitrdPlacement ramdisk) {
        String initrd = ramdisk.size() == 0 ? "no initrd"
                : "initrd " + ramdisk.size() + " bytes at " + Hex.of(ramdisk.addr());
        return "command line " + cmdline.length + " bytes, " + initrd;
    }
}
