package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.CpuBootState;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LinuxLoaderBzImageTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final long ZP = 0x7000;
    private static final String CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0,115200 reboot=k panic=1";

    private final SyntheticBzImage kernel = new SyntheticBzImage();

    @Test
    void loadsTheProtectedModeKernelAtOneMibAndStartsAtItsSixtyFourBitEntry() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(256 * MIB);
        LoadedPayload payload = LinuxLoader.load(memory, kernel.build(), null, CMDLINE);

        assertEquals(new CpuBootState.X86Long64(0x100200, 0x8ff0, 0x7000, 0x9000, 0x500), payload.bootState());
        assertArrayEquals(kernel.protectedMode, memory.read(0x100000, kernel.protectedMode.length));
        // the real-mode setup code is not loaded anywhere low
        assertArrayEquals(new byte[0x10000], memory.read(0x90000, 0x10000));
        assertTrue(payload.description().contains("boot protocol 2.15"), payload.description());
        assertTrue(payload.description().contains("0x100200"), payload.description());
    }

    @Test
    void zeroPageStartsFromTheImageHeaderAndCarriesTheLoaderFields() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(256 * MIB);
        byte[] initrd = SyntheticBzImage.pattern(10_000, 4);
        LinuxLoader.load(memory, kernel.build(), initrd, CMDLINE);

        // copied from the image
        assertEquals(30, memory.readByte(ZP + 0x1f1));
        assertEquals(1, memory.readShort(ZP + 0x1f2));
        assertEquals(0x5372_6448, memory.readInt(ZP + 0x202));
        assertEquals(0x020f, memory.readShort(ZP + 0x206));
        assertEquals(0x01, memory.readByte(ZP + 0x211));
        assertEquals(0x7fff_ffff, memory.readInt(ZP + 0x22c));
        assertEquals(2047, memory.readInt(ZP + 0x238));
        assertEquals(0x100_0000L, memory.readLong(ZP + 0x258));
        assertEquals(0x1234, memory.readInt(ZP + 0x264));
        // the copy stops where the jump at 0x200 says the header ends (0x268)
        assertEquals(0, memory.readInt(ZP + 0x268));
        // written by the loader
        assertEquals(0xAA55, memory.readShort(ZP + 0x1fe));
        assertEquals(0xFF, memory.readByte(ZP + 0x210));
        assertEquals(0x20000, memory.readInt(ZP + 0x228));
        assertEquals(0xFFFD000, memory.readInt(ZP + 0x218));
        assertEquals(10_000, memory.readInt(ZP + 0x21c));
        // nothing else before the header but the e820 count (the sentinel at 0x1ef must stay 0 or
        // Linux wipes fields it thinks a careless loader left behind)
        assertArrayEquals(new byte[0x1e8], memory.read(ZP, 0x1e8));
        assertEquals(4, memory.readByte(ZP + 0x1e8));
        assertArrayEquals(new byte[0x1f1 - 0x1e9], memory.read(ZP + 0x1e9, 0x1f1 - 0x1e9));
    }

    @Test
    void zeroPageCarriesTheE820Map() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(6 * GIB);
        LinuxLoader.load(memory, kernel.build(), null, "");

        assertEquals(5, memory.readByte(ZP + 0x1e8));
        long[][] expected = {
            {0, 0x9fc00, 1},
            {0x9fc00, 0x60400, 2},
            {0x100000, 3 * GIB - 0x100000, 1},
            {0xFEC0_0000L, 4 * GIB - 0xFEC0_0000L, 2},
            {4 * GIB, 3 * GIB, 1},
        };
        for (int i = 0; i < expected.length; i++) {
            long at = ZP + 0x2d0 + 20L * i;
            assertEquals(expected[i][0], memory.readLong(at), "addr of entry " + i);
            assertEquals(expected[i][1], memory.readLong(at + 8), "size of entry " + i);
            assertEquals(expected[i][2], memory.readInt(at + 16), "type of entry " + i);
        }
        assertEquals(0, memory.readLong(ZP + 0x2d0 + 20L * 5));
    }

    @Test
    void commandLineIsNulTerminatedAtTheFixedAddress() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(128 * MIB);
        // make the byte after the command line non-zero first, so the NUL must really be written
        memory.write(0x20000, SyntheticBzImage.pattern(256, 1));
        LinuxLoader.load(memory, kernel.build(), null, CMDLINE);

        byte[] expected = Arrays.copyOf(CMDLINE.getBytes(StandardCharsets.UTF_8), CMDLINE.length() + 1);
        assertArrayEquals(expected, memory.read(0x20000, expected.length));
    }

    @Test
    void writesTheLongModeGdtIdtAndIdentityPageTables() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(128 * MIB);
        memory.write(0x520, SyntheticBzImage.pattern(8, 2));
        LinuxLoader.load(memory, kernel.build(), null, CMDLINE);

        assertEquals(0, memory.readLong(0x500));
        assertEquals(0x00af9b000000ffffL, memory.readLong(0x508));
        assertEquals(0x00cf93000000ffffL, memory.readLong(0x510));
        assertEquals(0x008f8b000000ffffL, memory.readLong(0x518));
        assertEquals(0, memory.readLong(0x520));

        assertEquals(0xa003, memory.readLong(0x9000));
        assertEquals(0, memory.readLong(0x9008));
        for (int i = 0; i < 4; i++) {
            assertEquals(0xb003 + 0x1000L * i, memory.readLong(0xa000 + 8L * i));
        }
        assertEquals(0, memory.readLong(0xa020));
        for (int i = 0; i < 2048; i++) {
            assertEquals(((long) i << 21) | 0x83, memory.readLong(0xb000 + 8L * i), "PD entry " + i);
        }
        assertEquals(0xFFE0_0083L, memory.readLong(0xeff8));
    }

    @Test
    void initrdGoesToTheTopOfLowRamPageAligned() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(256 * MIB);
        byte[] initrd = SyntheticBzImage.pattern(10_000, 4);
        LoadedPayload payload = LinuxLoader.load(memory, kernel.build(), initrd, CMDLINE);

        assertArrayEquals(initrd, memory.read(0xFFFD000, initrd.length));
        assertTrue(payload.description().contains("initrd 10000 bytes at 0xfffd000"), payload.description());
    }

    @Test
    void initrdStaysBelowInitrdAddrMaxAndTheHole() throws Exception {
        kernel.initrdAddrMax = 0x37FF_FFFF;
        SparseGuestMemory memory = new SparseGuestMemory(2 * GIB);
        LinuxLoader.load(memory, kernel.build(), new byte[] {1, 2, 3}, "");
        assertEquals(0x37FF_F000, memory.readInt(ZP + 0x218));

        kernel.initrdAddrMax = 0xFFFF_FFFFL;
        SparseGuestMemory big = new SparseGuestMemory(8 * GIB);
        LinuxLoader.load(big, kernel.build(), new byte[] {1, 2, 3}, "");
        assertEquals(3 * GIB - 4096, big.readInt(ZP + 0x218) & 0xffff_ffffL);
    }

    @Test
    void zeroSetupSectsMeansFour() throws Exception {
        kernel.setupSects = 0;
        SparseGuestMemory memory = new SparseGuestMemory(128 * MIB);
        LinuxLoader.load(memory, kernel.build(), null, "");
        assertArrayEquals(kernel.protectedMode, memory.read(0x100000, kernel.protectedMode.length));
    }

    @Test
    void runAddressFollowsTheKernelsOwnRelocationRule() throws Exception {
        kernel.kernelAlignment = 32 * MIB;
        BzImageHeader relocatable = BzImageHeader.parse(kernel.build(), "kernel");
        assertEquals(32 * MIB, relocatable.runAddress(MIB));

        kernel.relocatable = false;
        BzImageHeader fixed = BzImageHeader.parse(kernel.build(), "kernel");
        assertEquals(16 * MIB, fixed.runAddress(MIB));
    }

    @Test
    void rejectsOldBootProtocol() {
        kernel.version = 0x0206;
        assertRejected(kernel.build(), null, "",
                "kernel: boot protocol 2.06 is too old; jvmm needs 2.12 or later (Linux 3.8+)");
        kernel.version = 0x020b;
        assertRejected(kernel.build(), null, "",
                "kernel: boot protocol 2.11 is too old; jvmm needs 2.12 or later (Linux 3.8+)");
    }

    @Test
    void rejectsZImageAndKernelsWithoutSixtyFourBitEntry() {
        kernel.loadFlags = 0;
        assertRejected(kernel.build(), null, "",
                "kernel is a zImage (loaded below 1 MiB), not a bzImage; jvmm boots bzImages only");
        kernel.loadFlags = 1;
        kernel.xloadFlags = 0x02;
        assertRejected(kernel.build(), null, "",
                "kernel has no 64-bit entry point (XLF_KERNEL_64 is clear in xloadflags); jvmm boots x86-64 kernels only");
    }

    @Test
    void rejectsFilesThatAreNoKernel() {
        String message = "kernel is neither a bzImage nor an ELF vmlinux (no 'HdrS' setup header at 0x202, no ELF magic); "
                + "pass arch/x86/boot/bzImage or vmlinux";
        assertRejected(SyntheticBzImage.pattern(100_000, 3), null, "", message);
        assertRejected(new byte[0], null, "", message);
        SparseGuestMemory memory = new SparseGuestMemory(128 * MIB);
        PayloadException named = assertThrows(PayloadException.class, () -> LinuxLoader.load(memory,
                new ImageFile("/srv/notes.txt", "hello".getBytes(StandardCharsets.US_ASCII)), null, ""));
        assertTrue(named.getMessage().startsWith("kernel '/srv/notes.txt' is neither a bzImage nor an ELF vmlinux"),
                named.getMessage());
    }

    @Test
    void rejectsTruncatedImages() {
        byte[] whole = kernel.build();
        assertRejected(Arrays.copyOf(whole, 0x240), null, "",
                "kernel is truncated: 576 bytes, too short for a boot protocol 2.15 setup header");
        assertRejected(Arrays.copyOf(whole, 31 * 512), null, "",
                "kernel is truncated: its setup code takes 15872 bytes but the file has only 15872");
        assertRejected(Arrays.copyOf(whole, whole.length - 100), null, "",
                "kernel is truncated: the header announces 40000 bytes of kernel after the setup code but the file has only 39900");
    }

    @Test
    void rejectsAKernelThatDoesNotFitInRam() {
        // runs at pref_address 16 MiB and needs init_size 32 MiB from there
        PayloadException e = assertThrows(PayloadException.class,
                () -> LinuxLoader.load(new SparseGuestMemory(32 * MIB), kernel.build(), null, ""));
        assertEquals("kernel needs RAM up to 0x3000000 (it unpacks to 32 MiB at 0x1000000) but the VM's RAM below the "
                + "3 GiB hole ends at 0x2000000; give the VM more memory (--memory)", e.getMessage());
    }

    @Test
    void rejectsAnInitrdThatDoesNotFitAboveTheKernel() {
        SparseGuestMemory memory = new SparseGuestMemory(64 * MIB);
        PayloadException e = assertThrows(PayloadException.class, () -> LinuxLoader.load(memory,
                new ImageFile("kernel", kernel.build()), new ImageFile("/srv/initrd.img", new byte[20 << 20]), ""));
        assertEquals("initrd '/srv/initrd.img' (20971520 bytes) does not fit below 0x4000000 above the kernel end "
                + "0x3000000; give the VM more memory (--memory)", e.getMessage());
        assertEquals(0, memory.writes());

        // 16 MiB fits exactly: [48 MiB, 64 MiB)
        assertThrows(PayloadException.class, () -> LinuxLoader.load(memory, kernel.build(), new byte[(16 << 20) + 1], ""));
    }

    @Test
    void initrdThatExactlyFillsTheGapIsAccepted() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(64 * MIB);
        LinuxLoader.load(memory, kernel.build(), new byte[16 << 20], "");
        assertEquals(48 * MIB, memory.readInt(ZP + 0x218));
    }

    @Test
    void rejectsCommandLinesLongerThanTheKernelAccepts() {
        kernel.cmdlineSize = 255;
        assertRejected(kernel.build(), null, "x".repeat(256),
                "the kernel command line is 256 bytes; this kernel accepts at most 255");
        assertRejected(kernel.build(), null, "a\0b",
                "the kernel command line contains a NUL character, which would end it early");
    }

    @Test
    void commandLineOfExactlyTheMaximumIsAccepted() throws Exception {
        kernel.cmdlineSize = 255;
        SparseGuestMemory memory = new SparseGuestMemory(128 * MIB);
        LinuxLoader.load(memory, kernel.build(), null, "y".repeat(255));
        assertEquals(0, memory.readByte(0x20000 + 255));
        assertEquals('y', memory.readByte(0x20000 + 254));
    }

    @Test
    void rejectsAnEmptyInitrdAndTinyMemory() {
        assertRejected(kernel.build(), new byte[0], "", "initrd is empty; leave it out or pass a real initramfs");
        PayloadException e = assertThrows(PayloadException.class,
                () -> LinuxLoader.load(new SparseGuestMemory(512 * 1024), kernel.build(), null, ""));
        assertEquals("the VM has only 512 KiB of RAM; a Linux guest needs far more (--memory)", e.getMessage());
    }

    private static void assertRejected(byte[] kernelBytes, byte[] initrd, String cmdline, String message) {
        SparseGuestMemory memory = new SparseGuestMemory(256 * MIB);
        PayloadException e = assertThrows(PayloadException.class, () -> LinuxLoader.load(memory, kernelBytes, initrd, cmdline));
        assertEquals(message, e.getMessage());
        assertEquals(0, memory.writes(), "a rejected kernel must leave memory untouched");
    }
}
