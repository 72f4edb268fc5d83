package io.jvmm.runtime.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of a bzImage's real-mode setup header (Documentation/arch/x86/boot.rst) that decide how
 * jvmm loads it. Offsets are the same in the file and in {@code boot_params}.
 *
 * @param setupSects 512-byte setup sectors after the boot sector, as stored (0 means 4)
 * @param version boot protocol, e.g. 0x020f for 2.15
 * @param loadFlags {@code loadflags}
 * @param xloadFlags {@code xloadflags}
 * @param relocatable whether {@code relocatable_kernel} is set
 * @param kernelAlignment {@code kernel_alignment}
 * @param prefAddress {@code pref_address}: where a non-relocated kernel runs
 * @param initSize {@code init_size}: bytes the kernel needs from its run address while unpacking
 * @param cmdlineSize {@code cmdline_size}: the longest command line, without the NUL
 * @param initrdAddrMax {@code initrd_addr_max}: the highest address the initrd may occupy
 * @param headerEnd one past the last header byte, from the jump at 0x200
 */
record BzImageHeader(
        int setupSects,
        int version,
        int loadFlags,
        int xloadFlags,
        boolean relocatable,
        long kernelAlignment,
        long prefAddress,
        long initSize,
        long cmdlineSize,
        long initrdAddrMax,
        int headerEnd) {

    static final int SETUP_SECTS = 0x1f1;
    static final int SYSSIZE = 0x1f4;
    static final int BOOT_FLAG = 0x1fe;
    static final int JUMP = 0x200;
    static final int HEADER_MAGIC = 0x202;
    static final int VERSION = 0x206;
    static final int TYPE_OF_LOADER = 0x210;
    static final int LOADFLAGS = 0x211;
    static final int RAMDISK_IMAGE = 0x218;
    static final int RAMDISK_SIZE = 0x21c;
    static final int CMD_LINE_PTR = 0x228;
    static final int INITRD_ADDR_MAX = 0x22c;
    static final int KERNEL_ALIGNMENT = 0x230;
    static final int RELOCATABLE_KERNEL = 0x234;
    static final int XLOADFLAGS = 0x236;
    static final int CMDLINE_SIZE = 0x238;
    static final int PREF_ADDRESS = 0x258;
    static final int INIT_SIZE = 0x260;
    /** One past {@code init_size}: every field jvmm reads lies below this. */
    static final int MIN_HEADER_END = 0x264;
    /** {@code boot_params} has room for the setup header up to here (then padding, then e820). */
    static final int MAX_HEADER_END = 0x290;

    static final int HDRS = 0x5372_6448; // "HdrS"
    static final int BOOT_FLAG_VALUE = 0xAA55;
    static final int LOADED_HIGH = 0x01;
    static final int XLF_KERNEL_64 = 0x01;
    static final int MIN_VERSION = 0x020c;
    static final int SECTOR = 512;

    /** Whether the image carries a setup header at all ("HdrS" at 0x202). */
    static boolean hasHeader(byte[] image) {
        return image.length >= HEADER_MAGIC + 4 && le(image).getInt(HEADER_MAGIC) == HDRS;
    }

    /**
     * Reads and checks the header: protocol 2.12+, loaded high, a 64-bit entry, and a file long enough
     * for its setup code and protected-mode part.
     *
     * @param what the kernel's name for messages
     */
    static BzImageHeader parse(byte[] image, String what) throws PayloadException {
        if (!hasHeader(image)) {
            throw new PayloadException(what + " has no bzImage setup header ('HdrS' at 0x202)");
        }
        if (image.length < VERSION + 2) {
            throw new PayloadException(what + " is truncated: " + image.length + " bytes, too short for a setup header");
        }
        ByteBuffer b = le(image);
        int version = b.getShort(VERSION) & 0xffff;
        if (version < MIN_VERSION) {
            throw new PayloadException(what + ": boot protocol " + versionText(version)
                    + " is too old; jvmm needs 2.12 or later (Linux 3.8+)");
        }
        if (image.length < MIN_HEADER_END) {
            throw new PayloadException(what + " is truncated: " + image.length + " bytes, too short for a boot protocol "
                    + versionText(version) + " setup header");
        }
        int loadFlags = b.get(LOADFLAGS) & 0xff;
        if ((loadFlags & LOADED_HIGH) == 0) {
            throw new PayloadException(what + " is a zImage (loaded below 1 MiB), not a bzImage; jvmm boots bzImages only");
        }
        int xloadFlags = b.getShort(XLOADFLAGS) & 0xffff;
        if ((xloadFlags & XLF_KERNEL_64) == 0) {
            throw new PayloadException(what + " has no 64-bit entry point (XLF_KERNEL_64 is clear in xloadflags); "
                    + "jvmm boots x86-64 kernels only");
        }
        int setupSects = b.get(SETUP_SECTS) & 0xff;
        BzImageHeader header = new BzImageHeader(
                setupSects,
                version,
                loadFlags,
                xloadFlags,
                b.get(RELOCATABLE_KERNEL) != 0,
                b.getInt(KERNEL_ALIGNMENT) & 0xffff_ffffL,
                b.getLong(PREF_ADDRESS),
                b.getInt(INIT_SIZE) & 0xffff_ffffL,
                b.getInt(CMDLINE_SIZE) & 0xffff_ffffL,
                b.getInt(INITRD_ADDR_MAX) & 0xffff_ffffL,
                Math.min(Math.min(HEADER_MAGIC + (b.get(JUMP + 1) & 0xff), MAX_HEADER_END), image.length));
        long setupBytes = header.setupBytes();
        if (image.length <= setupBytes) {
            throw new PayloadException(what + " is truncated: its setup code takes " + setupBytes
                    + " bytes but the file has only " + image.length);
        }
        // syssize counts 16-byte paragraphs, rounded up; a shorter file lost part of the kernel
        long sysBytes = (b.getInt(SYSSIZE) & 0xffff_ffffL) * 16;
        long protectedBytes = image.length - setupBytes;
        if (sysBytes > protectedBytes + 15) {
            throw new PayloadException(what + " is truncated: the header announces " + sysBytes
                    + " bytes of kernel after the setup code but the file has only " + protectedBytes);
        }
        return header;
    }

    /** Bytes before the protected-mode kernel: the boot sector plus the setup sectors. */
    long setupBytes() {
        return (long) ((setupSects == 0 ? 4 : setupSects) + 1) * SECTOR;
    }

    /**
     * Where the kernel's 64-bit entry code, once started at {@code loadAddr}, unpacks itself: the load
     * address rounded up to {@code kernel_alignment} if relocatable, but never below
     * {@code pref_address} (arch/x86/boot/compressed/head_64.S does exactly this).
     */
    long runAddress(long loadAddr) {
        long pref = prefAddress == 0 ? loadAddr : prefAddress;
        if (!relocatable) {
            return pref;
        }
        long align = Long.highestOneBit(Math.max(1, kernelAlignment));
        long aligned = (loadAddr + align - 1) & -align;
        return Math.max(aligned, pref);
    }

    /** {@code 2.12} for 0x020c. */
    static String versionText(int version) {
        int minor = version & 0xff;
        return (version >>> 8) + (minor < 10 ? ".0" : ".") + minor;
    }

    private static ByteBuffer le(byte[] image) {
        return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    }
}
