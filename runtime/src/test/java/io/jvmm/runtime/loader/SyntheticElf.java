package io.jvmm.runtime.loader;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Builds ELF64 files shaped like a vmlinux: PT_LOAD segments and optional PT_NOTE notes. */
final class SyntheticElf {
    record Load(long paddr, long vaddr, byte[] data, long memSize) {}

    record Note(String name, int type, byte[] desc) {}

    int elfClass = 2;
    int dataEncoding = 1;
    int machine = 62;
    int type = 2;
    long entry = 0x100_0000;
    int phentsize = 56;
    final List<Load> loads = new ArrayList<>();
    final List<Note> notes = new ArrayList<>();

    SyntheticElf load(long paddr, long vaddr, byte[] data, long memSize) {
        loads.add(new Load(paddr, vaddr, data, memSize));
        return this;
    }

    SyntheticElf note(String name, int type, byte[] desc) {
        notes.add(new Note(name, type, desc));
        return this;
    }

    /** The Xen PVH note with a 4-byte (as Linux emits) or 8-byte entry. */
    SyntheticElf pvhNote(long pvhEntry, int descSize) {
        ByteBuffer desc = ByteBuffer.allocate(descSize).order(ByteOrder.LITTLE_ENDIAN);
        if (descSize == 4) {
            desc.putInt((int) pvhEntry);
        } else {
            desc.putLong(pvhEntry);
        }
        return note("Xen", 18, desc.array());
    }

    byte[] build() {
        byte[] noteBytes = noteSegment();
        int phnum = loads.size() + (notes.isEmpty() ? 0 : 1);
        int phoff = 64;
        int dataStart = phoff + phnum * 56;
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        List<Integer> offsets = new ArrayList<>();
        for (Load l : loads) {
            offsets.add(dataStart + data.size());
            data.writeBytes(l.data());
        }
        int noteOffset = dataStart + data.size();
        data.writeBytes(noteBytes);

        ByteBuffer b = ByteBuffer.allocate(dataStart + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) elfClass, (byte) dataEncoding, 1});
        b.putShort(0x10, (short) type);
        b.putShort(0x12, (short) machine);
        b.putInt(0x14, 1);
        b.putLong(0x18, entry);
        b.putLong(0x20, phoff);
        b.putShort(0x34, (short) 64);
        b.putShort(0x36, (short) phentsize);
        b.putShort(0x38, (short) phnum);
        int ph = phoff;
        for (int i = 0; i < loads.size(); i++) {
            Load l = loads.get(i);
            putPhdr(b, ph, 1, offsets.get(i), l.vaddr(), l.paddr(), l.data().length, l.memSize());
            ph += 56;
        }
        if (!notes.isEmpty()) {
            putPhdr(b, ph, 4, noteOffset, 0, 0, noteBytes.length, noteBytes.length);
        }
        b.position(dataStart);
        b.put(data.toByteArray());
        return b.array();
    }

    private static void putPhdr(ByteBuffer b, int at, int pType, long offset, long vaddr, long paddr, long fileSize, long memSize) {
        b.putInt(at, pType);
        b.putInt(at + 4, 7);
        b.putLong(at + 8, offset);
        b.putLong(at + 16, vaddr);
        b.putLong(at + 24, paddr);
        b.putLong(at + 32, fileSize);
        b.putLong(at + 40, memSize);
        b.putLong(at + 48, 0x1000);
    }

    private byte[] noteSegment() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Note n : notes) {
            byte[] name = (n.name() + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(name.length).putInt(n.desc().length).putInt(n.type());
            out.writeBytes(h.array());
            out.writeBytes(padded(name));
            out.writeBytes(padded(n.desc()));
        }
        return out.toByteArray();
    }

    private static byte[] padded(byte[] bytes) {
        return java.util.Arrays.copyOf(bytes, (bytes.length + 3) & ~3);
    }
}
