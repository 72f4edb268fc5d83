package io.jvmm.runtime.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed ELF64 x86-64 vmlinux: its loadable segments, its 64-bit entry as a physical address and,
 * if it has one, its PVH entry (Xen note {@code XEN_ELFNOTE_PHYS32_ENTRY} in a {@code PT_NOTE}).
 *
 * @param entry physical address of the 64-bit entry ({@code e_entry}, translated if virtual)
 * @param pvhEntry physical 32-bit PVH entry, or -1 when the kernel has none
 * @param segments the {@code PT_LOAD} segments with a non-zero memory size
 */
record ElfKernel(long entry, long pvhEntry, List<Segment> segments) {
    /**
     * One {@code PT_LOAD} segment.
     *
     * @param index position in the program header table, for messages
     * @param fileOffset where its bytes start in the file
     * @param fileSize bytes taken from the file
     * @param paddr physical load address
     * @param vaddr virtual address (to translate a virtual entry point)
     * @param memSize bytes in memory; past {@code fileSize} they are zero
     */
    record Segment(int index, long fileOffset, long fileSize, long paddr, long vaddr, long memSize) {
        long end() {
            return paddr + memSize;
        }
    }

    static final int EM_X86_64 = 62;
    static final int ET_EXEC = 2;
    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;
    static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;
    private static final int EHDR_SIZE = 64;
    private static final int PHDR_SIZE = 56;

    boolean hasPvhEntry() {
        return pvhEntry >= 0;
    }

    /** One past the highest byte any segment occupies. */
    long end() {
        long end = 0;
        for (Segment s : segments) {
            end = Math.max(end, s.end());
        }
        return end;
    }

    static boolean hasElfMagic(byte[] image) {
        return image.length >= 4 && image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
    }

    /**
     * Parses and checks the headers: ELF64, little-endian, x86-64, executable, segments inside the
     * file, an entry point inside a segment. Where the segments go in guest memory is the loader's check.
     *
     * @param what the kernel's name for messages
     */
    static ElfKernel parse(byte[] image, String what) throws PayloadException {
        if (!hasElfMagic(image)) {
            throw new PayloadException(what + " is not an ELF file");
        }
        if (image.length < EHDR_SIZE) {
            throw new PayloadException(what + " is truncated: " + image.length + " bytes, shorter than an ELF64 header");
        }
        if (image[4] != 2) {
            throw new PayloadException(what + " is a 32-bit ELF (ELFCLASS32); jvmm needs an x86-64 (ELF64) vmlinux");
        }
        if (image[5] != 1) {
            throw new PayloadException(what + " is a big-endian ELF; jvmm needs an x86-64 vmlinux");
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int machine = b.getShort(0x12) & 0xffff;
        if (machine != EM_X86_64) {
            throw new PayloadException(what + " is an ELF for " + machineName(machine) + ", not x86-64");
        }
        int type = b.getShort(0x10) & 0xffff;
        if (type != ET_EXEC) {
            throw new PayloadException(what + " is not an executable ELF (e_type " + type
                    + "); pass the kernel's vmlinux, not an object file or module");
        }
        long entry = b.getLong(0x18);
        long phoff = b.getLong(0x20);
        int phentsize = b.getShort(0x36) & 0xffff;
        int phnum = b.getShort(0x38) & 0xffff;
        if (phnum == 0) {
            throw new PayloadException(what + " has no program headers, so nothing to load");
        }
        if (phentsize != PHDR_SIZE) {
            throw new PayloadException(what + " has " + phentsize + "-byte program headers; ELF64 uses " + PHDR_SIZE);
        }
        if (phoff < 0 || phoff > image.length || (long) phnum * PHDR_SIZE > image.length - phoff) {
            throw new PayloadException(what + " is truncated: its program header table lies past the end of the file");
        }

        List<Segment> segments = new ArrayList<>();
        long pvhEntry = -1;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * PHDR_SIZE);
            int pType = b.getInt(ph);
            long offset = b.getLong(ph + 8);
            long vaddr = b.getLong(ph + 16);
            long paddr = b.getLong(ph + 24);
            long fileSize = b.getLong(ph + 32);
            long memSize = b.getLong(ph + 40);
            if (pType != PT_LOAD && pType != PT_NOTE) {
                continue;
            }
            if (offset < 0 || fileSize < 0 || offset > image.length || fileSize > image.length - offset) {
                throw new PayloadException(what + " is truncated: segment " + i + " needs file bytes [" + offset
                        + ", " + (offset + fileSize) + ") but the file has " + image.length);
            }
            if (pType == PT_NOTE) {
                long found = findPvhEntry(b, (int) offset, (int) fileSize);
                if (found >= 0) {
                    pvhEntry = found;
                }
                continue;
            }
            if (memSize == 0) {
                continue;
            }
            if (Long.compareUnsigned(memSize, fileSize) < 0 || paddr < 0 || memSize < 0 || paddr + memSize < paddr) {
                throw new PayloadException(String.format("%s: segment %d is malformed (paddr 0x%x, file size %d, memory size %d)",
                        what, i, paddr, fileSize, memSize));
            }
            segments.add(new Segment(i, offset, fileSize, paddr, vaddr, memSize));
        }
        if (segments.isEmpty()) {
            throw new PayloadException(what + " has no loadable (PT_LOAD) segments");
        }
        long physEntry = physicalEntry(entry, segments);
        if (physEntry < 0) {
            throw new PayloadException(String.format("%s: entry point 0x%x lies in none of its loadable segments", what, entry));
        }
        if (pvhEntry >= 0 && !insideSegment(pvhEntry, segments)) {
            throw new PayloadException(String.format("%s: PVH entry point 0x%x lies in none of its loadable segments", what, pvhEntry));
        }
        return new ElfKernel(physEntry, pvhEntry, List.copyOf(segments));
    }

    /**
     * {@code e_entry} as a physical address: a vmlinux normally gives a physical entry already, but if
     * it is a virtual address (e.g. 0xffffffff81000000) the segment that contains it says the offset.
     */
    private static long physicalEntry(long entry, List<Segment> segments) {
        for (Segment s : segments) {
            if (Long.compareUnsigned(entry - s.vaddr(), s.memSize()) < 0) {
                return entry - s.vaddr() + s.paddr();
            }
        }
        return insideSegment(entry, segments) ? entry : -1;
    }

    private static boolean insideSegment(long paddr, List<Segment> segments) {
        for (Segment s : segments) {
            if (Long.compareUnsigned(paddr - s.paddr(), s.memSize()) < 0) {
                return true;
            }
        }
        return false;
    }

    /** Walks the notes in {@code [offset, offset + size)}; returns the PVH entry or -1. */
    private static long findPvhEntry(ByteBuffer b, int offset, int size) {
        int pos = offset;
        int end = offset + size;
        while (end - pos >= 12) {
            long nameSize = b.getInt(pos) & 0xffff_ffffL;
            long descSize = b.getInt(pos + 4) & 0xffff_ffffL;
            int noteType = b.getInt(pos + 8);
            long nameStart = pos + 12L;
            long descStart = nameStart + align4(nameSize);
            long next = descStart + align4(descSize);
            if (next > end) {
                return -1; // a malformed note table: ignore the rest rather than guess
            }
            if (noteType == XEN_ELFNOTE_PHYS32_ENTRY && isXenName(b, (int) nameStart, nameSize)
                    && (descSize == 4 || descSize == 8)) {
                return descSize == 4 ? b.getInt((int) descStart) & 0xffff_ffffL : b.getLong((int) descStart);
            }
            pos = (int) next;
        }
        return -1;
    }

    private static boolean isXenName(ByteBuffer b, int start, long size) {
        // "Xen" with its NUL; some toolchains omit the terminator from namesz
        if (size != 4 && size != 3) {
            return false;
        }
        return b.get(start) == 'X' && b.get(start + 1) == 'e' && b.get(start + 2) == 'n'
                && (size == 3 || b.get(start + 3) == 0);
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    private static String machineName(int machine) {
        switch (machine) {
            case 3:
                return "i386 (32-bit x86)";
            case 40:
                return "ARM";
            case 183:
                return "AArch64";
            case 243:
                return "RISC-V";
            default:
                return "machine " + machine;
        }
    }
}
