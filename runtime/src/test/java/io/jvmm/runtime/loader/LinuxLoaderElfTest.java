package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.CpuBootState;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LinuxLoaderElfTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final long KERNEL_VIRT = 0xffff_ffff_8100_0000L;
    private static final long ZP = 0x7000;

    private final byte[] text = SyntheticBzImage.pattern(8000, 11);
    private final byte[] data = SyntheticBzImage.pattern(3000, 12);

    /** Shaped like a real vmlinux: physical e_entry, text at 16 MiB, data with bss after it. */
    private SyntheticElf vmlinux() {
        SyntheticElf elf = new SyntheticElf();
        elf.entry = 0x100_0000;
        elf.load(0x100_0000, KERNEL_VIRT, text, 0x2000);
        elf.load(0x120_0000, KERNEL_VIRT + 0x20_0000, data, 0x10000);
        return elf;
    }

    @Test
    void loadsSegmentsAtTheirPhysicalAddressesAndZeroesBss() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(128 * MIB);
        // stale bytes where bss goes: the loader must clear them
        memory.write(0x120_0000 + data.length, SyntheticBzImage.pattern(0x10000 - data.length, 5));
        LoadedPayload payload = LinuxLoader.load(memory, vmlinux().build(), null, "console=ttyS0");

        assertEquals(new CpuBootState.X86Long64(0x100_0000, 0x8ff0, 0x7000, 0x9000, 0x500), payload.bootState());
        assertArrayEquals(text, memory.read(0x100_0000, text.length));
        assertArrayEquals(data, memory.read(0x120_0000, data.length));
        assertArrayEquals(new byte[0x10000 - data.length], memory.read(0x120_0000 + data.length, 0x10000 - data.length));
        assertTrue(payload.description().contains("64-bit entry at 0x1000000"), payload.description());
    }

    @Test
    void virtualEntryIsTranslatedThroughItsSegment() throws Exception {
        SyntheticElf elf = vmlinux();
        elf.entry = KERNEL_VIRT + 0x20_0100;
        LoadedPayload payload = LinuxLoader.load(new SparseGuestMemory(128 * MIB), elf.build(), null, "");
        assertEquals(0x120_0100, ((CpuBootState.X86Long64) payload.bootState()).rip());
    }

    @Test
    void sixtyFourBitZeroPageIsBuiltFromScratch() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(256 * MIB);
        byte[] initrd = SyntheticBzImage.pattern(5000, 6);
        LinuxLoader.load(memory, vmlinux().build(), initrd, "console=ttyS0");

        assertEquals(0xAA55, memory.readShort(ZP + 0x1fe));
        assertEquals(0x5372_6448, memory.readInt(ZP + 0x202));
        assertEquals(0xFF, memory.readByte(ZP + 0x210));
        assertEquals(0x20000, memory.readInt(ZP + 0x228));
        assertEquals("console=ttyS0".length() + 1, memory.readInt(ZP + 0x238));
        assertEquals(0x100_0000, memory.readInt(ZP + 0x230));
        assertEquals(0xFFFE000, memory.readInt(ZP + 0x218));
        assertEquals(5000, memory.readInt(ZP + 0x21c));
        assertEquals(4, memory.readByte(ZP + 0x1e8));
        assertEquals(0x100000, memory.readLong(ZP + 0x2d0 + 40));
        assertEquals(256 * MIB - 0x100000, memory.readLong(ZP + 0x2d0 + 48));
        assertArrayEquals(initrd, memory.read(0xFFFE000, initrd.length));
        assertArrayEquals("console=ttyS0\0".getBytes(StandardCharsets.US_ASCII), memory.read(0x20000, 14));
        assertEquals(0x00af9b000000ffffL, memory.readLong(0x508));
        assertEquals(0xa003, memory.readLong(0x9000));
    }

    @Test
    void pvhNoteSelectsTheThirtyTwoBitEntryWithStartInfo() throws Exception {
        SyntheticElf elf = vmlinux();
        elf.note("GNU", 3, SyntheticBzImage.pattern(20, 1)); // a build-id note first: the walk must skip it
        elf.note("Linux", 6, new byte[] {1, 2, 3}); // odd length: padding must be honoured
        elf.pvhNote(0x100_0400, 4);
        SparseGuestMemory memory = new SparseGuestMemory(256 * MIB);
        byte[] initrd = SyntheticBzImage.pattern(5000, 6);
        LoadedPayload payload = LinuxLoader.load(memory, elf.build(), initrd, "console=hvc0");

        assertEquals(new CpuBootState.X86Protected32(0x100_0400, 0x8ff0, 0x6000, 0, 0x500), payload.bootState());
        assertTrue(payload.description().contains("PVH 32-bit entry at 0x1000400"), payload.description());
        // hvm_start_info
        assertEquals(0x336e_c578, memory.readInt(0x6000));
        assertEquals(1, memory.readInt(0x6004));
        assertEquals(0, memory.readInt(0x6008));
        assertEquals(1, memory.readInt(0x600c));
        assertEquals(0x6040, memory.readLong(0x6010));
        assertEquals(0x20000, memory.readLong(0x6018));
        assertEquals(0, memory.readLong(0x6020));
        assertEquals(0x7000, memory.readLong(0x6028));
        assertEquals(4, memory.readInt(0x6030));
        // the initrd module
        assertEquals(0xFFFE000, memory.readLong(0x6040));
        assertEquals(5000, memory.readLong(0x6048));
        assertEquals(0, memory.readLong(0x6050));
        assertArrayEquals(initrd, memory.read(0xFFFE000, initrd.length));
        // memory map: 24-byte entries
        long[][] expected = {{0, 0x9fc00, 1}, {0x9fc00, 0x60400, 2}, {0x100000, 255 * MIB, 1},
            {0xFEC0_0000L, 4 * GIB - 0xFEC0_0000L, 2}};
        for (int i = 0; i < expected.length; i++) {
            long at = 0x7000 + 24L * i;
            assertEquals(expected[i][0], memory.readLong(at));
            assertEquals(expected[i][1], memory.readLong(at + 8));
            assertEquals(expected[i][2], memory.readInt(at + 16));
            assertEquals(0, memory.readInt(at + 20));
        }
        // PVH GDT, and no long-mode page tables
        assertEquals(0, memory.readLong(0x500));
        assertEquals(0x00cf9b000000ffffL, memory.readLong(0x508));
        assertEquals(0x00cf93000000ffffL, memory.readLong(0x510));
        assertEquals(0x0000_8b00_0000_0067L, memory.readLong(0x518));
        assertEquals(0, memory.readLong(0x9000));
        assertArrayEquals("console=hvc0\0".getBytes(StandardCharsets.US_ASCII), memory.read(0x20000, 13));
    }

    @Test
    void pvhWithoutInitrdHasNoModules() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(64 * MIB);
        LinuxLoader.load(memory, vmlinux().pvhNote(0x100_0010, 8).build(), null, "");
        assertEquals(0, memory.readInt(0x600c));
        assertEquals(0, memory.readLong(0x6010));
    }

    @Test
    void eightBytePvhNoteIsRead() throws Exception {
        LoadedPayload payload = LinuxLoader.load(new SparseGuestMemory(64 * MIB),
                vmlinux().pvhNote(0x120_0008, 8).build(), null, "");
        assertEquals(0x120_0008, ((CpuBootState.X86Protected32) payload.bootState()).rip());
    }

    @Test
    void notesFromOtherOwnersAreIgnored() throws Exception {
        SyntheticElf elf = vmlinux().note("Xenx", 18, new byte[4]).note("GNU", 18, new byte[] {0, 4, 0, 1});
        LoadedPayload payload = LinuxLoader.load(new SparseGuestMemory(64 * MIB), elf.build(), null, "");
        assertTrue(payload.bootState() instanceof CpuBootState.X86Long64);
    }

    @Test
    void rejectsElfFilesThatAreNotX8664Executables() {
        SyntheticElf elf = vmlinux();
        elf.elfClass = 1;
        assertRejected(elf.build(), "kernel is a 32-bit ELF (ELFCLASS32); jvmm needs an x86-64 (ELF64) vmlinux");
        elf = vmlinux();
        elf.dataEncoding = 2;
        assertRejected(elf.build(), "kernel is a big-endian ELF; jvmm needs an x86-64 vmlinux");
        elf = vmlinux();
        elf.machine = 183;
        assertRejected(elf.build(), "kernel is an ELF for AArch64, not x86-64");
        elf.machine = 99;
        assertRejected(elf.build(), "kernel is an ELF for machine 99, not x86-64");
        elf = vmlinux();
        elf.type = 1;
        assertRejected(elf.build(),
                "kernel is not an executable ELF (e_type 1); pass the kernel's vmlinux, not an object file or module");
        assertRejected(Arrays.copyOf(vmlinux().build(), 40), "kernel is truncated: 40 bytes, shorter than an ELF64 header");
    }

    @Test
    void rejectsBrokenProgramHeaders() {
        SyntheticElf empty = new SyntheticElf();
        assertRejected(empty.build(), "kernel has no program headers, so nothing to load");
        SyntheticElf notesOnly = new SyntheticElf().pvhNote(0x100_0000, 4);
        assertRejected(notesOnly.build(), "kernel has no loadable (PT_LOAD) segments");
        SyntheticElf odd = vmlinux();
        odd.phentsize = 32;
        assertRejected(odd.build(), "kernel has 32-byte program headers; ELF64 uses 56");
        byte[] whole = vmlinux().build();
        assertRejected(Arrays.copyOf(whole, 64 + 56),
                "kernel is truncated: its program header table lies past the end of the file");
        assertRejected(Arrays.copyOf(whole, whole.length - 10),
                "kernel is truncated: segment 1 needs file bytes [8176, 11176) but the file has 11166");
        SyntheticElf shrunk = new SyntheticElf().load(0x100_0000, 0x100_0000, text, 100);
        assertRejected(shrunk.build(),
                "kernel: segment 0 is malformed (paddr 0x1000000, file size 8000, memory size 100)");
    }

    @Test
    void rejectsEntryPointsOutsideTheSegments() {
        SyntheticElf elf = vmlinux();
        elf.entry = 0x500_0000;
        assertRejected(elf.build(), "kernel: entry point 0x5000000 lies in none of its loadable segments");
        assertRejected(vmlinux().pvhNote(0x900_0000, 4).build(),
                "kernel: PVH entry point 0x9000000 lies in none of its loadable segments");
    }

    @Test
    void rejectsSegmentsBelowOneMibOrOutsideRam() {
        SyntheticElf low = new SyntheticElf().load(0x8000, 0x8000, text, text.length);
        low.entry = 0x8000;
        assertRejected(low.build(), "kernel: segment 0 at 0x8000 lies below 1 MiB, where jvmm keeps its boot structures; "
                + "jvmm loads kernels linked at 1 MiB or above");

        SparseGuestMemory small = new SparseGuestMemory(16 * MIB);
        PayloadException e = assertThrows(PayloadException.class, () -> LinuxLoader.load(small, vmlinux().build(), null, ""));
        assertEquals("kernel: segment 0 [0x1000000, 0x1002000) lies outside guest RAM (16 MiB: below 0x1000000, and above "
                + "4 GiB for the rest); give the VM more memory (--memory)", e.getMessage());
        assertEquals(0, small.writes());

        SyntheticElf intoHole = new SyntheticElf().load(3 * GIB - 4096, 3 * GIB - 4096, text, 8192);
        intoHole.entry = 3 * GIB - 4096;
        SparseGuestMemory big = new SparseGuestMemory(5 * GIB);
        PayloadException hole = assertThrows(PayloadException.class, () -> LinuxLoader.load(big, intoHole.build(), null, ""));
        assertTrue(hole.getMessage().startsWith("kernel: segment 0 [0xbffff000, 0xc0001000) lies outside guest RAM"),
                hole.getMessage());
    }

    @Test
    void rejectsLongCommandLinesAndInitrdsThatDoNotFit() {
        assertRejected(vmlinux().build(), null, "z".repeat(2048),
                "the kernel command line is 2048 bytes; this kernel accepts at most 2047");
        // kernel ends at 0x1210000; a 32 MiB VM leaves 0xdf0000 bytes above it
        SparseGuestMemory memory = new SparseGuestMemory(32 * MIB);
        PayloadException e = assertThrows(PayloadException.class,
                () -> LinuxLoader.load(memory, vmlinux().build(), new byte[0xdf0000 + 1], ""));
        assertEquals("initrd (14614529 bytes) does not fit below 0x2000000 above the kernel end 0x1210000; "
                + "give the VM more memory (--memory)", e.getMessage());
        assertEquals(0, memory.writes());
    }

    @Test
    void initrdThatExactlyFillsTheSpaceAboveTheKernelIsAccepted() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(32 * MIB);
        LinuxLoader.load(memory, vmlinux().build(), new byte[0xdf0000], "");
        assertEquals(0x121_0000, memory.readInt(ZP + 0x218));
    }

    @Test
    void commandLineOfTwoThousandFortySevenBytesIsAccepted() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(64 * MIB);
        LinuxLoader.load(memory, vmlinux().build(), null, "q".repeat(2047));
        assertEquals(0, memory.readByte(0x20000 + 2047));
    }

    private static void assertRejected(byte[] kernel, String message) {
        assertRejected(kernel, null, "", message);
    }

    private static void assertRejected(byte[] kernel, byte[] initrd, String cmdline, String message) {
        SparseGuestMemory memory = new SparseGuestMemory(256 * MIB);
        PayloadException e = assertThrows(PayloadException.class, () -> LinuxLoader.load(memory, kernel, initrd, cmdline));
        assertEquals(message, e.getMessage());
        assertEquals(0, memory.writes(), "a rejected kernel must leave memory untouched");
    }
}
