package io.jvmm.hv.kvm;

import io.jvmm.api.device.SavedStateBlob;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte layout of this backend's saved-state blobs: a fixed sequence of sections, each the raw
 * bytes of one kernel structure (or a list of them), written as {@code u32 section number,
 * u32 length, bytes}, little-endian. The blob's format name and version say which sequence; every
 * length is checked against what the structure allows before anything is handed to KVM, so a
 * truncated or foreign blob is refused with the section it broke at and leaves the VM untouched.
 */
final class StateSections {
    /**
     * One section: its name for messages, and the lengths it may have: {@code min..max}, a multiple
     * of {@code unit} (a fixed-size structure has min == max).
     */
    record Section(String name, int min, int max, int unit) {
        static Section fixed(String name, int size) {
            return new Section(name, size, size, 1);
        }

        static Section list(String name, int entrySize, int maxEntries) {
            return new Section(name, 0, entrySize * maxEntries, entrySize);
        }

        boolean allows(int length) {
            return length >= min && length <= max && length % unit == 0;
        }
    }

    private StateSections() {}

    static byte[] encode(List<Section> layout, List<byte[]> parts) {
        if (parts.size() != layout.size()) {
            throw new IllegalStateException("expected " + layout.size() + " sections, got " + parts.size());
        }
        int total = 0;
        for (int i = 0; i < parts.size(); i++) {
            if (!layout.get(i).allows(parts.get(i).length)) {
                throw new IllegalStateException("section " + layout.get(i).name() + " cannot be "
                        + parts.get(i).length + " bytes");
            }
            total += 8 + parts.get(i).length;
        }
        ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < parts.size(); i++) {
            out.putInt(i).putInt(parts.get(i).length).put(parts.get(i));
        }
        return out.array();
    }

    /**
     * The sections of {@code blob}, which must be of {@code format} version {@code version}.
     *
     * @throws IllegalArgumentException naming what does not fit
     */
    static List<byte[]> decode(SavedStateBlob blob, String format, int version, List<Section> layout) {
        if (!blob.format().equals(format)) {
            throw new IllegalArgumentException("saved state of format '" + blob.format() + "' given where '"
                    + format + "' is needed (a snapshot of another hypervisor backend or of another kind of state)");
        }
        if (blob.version() != version) {
            throw new IllegalArgumentException("saved " + format + " state is version " + blob.version()
                    + "; this jvmm reads version " + version + " only");
        }
        ByteBuffer in = ByteBuffer.wrap(blob.data()).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> parts = new ArrayList<>(layout.size());
        for (int i = 0; i < layout.size(); i++) {
            Section section = layout.get(i);
            if (in.remaining() < 8) {
                throw new IllegalArgumentException("saved " + format + " state is truncated before section "
                        + section.name() + " (" + in.position() + " of at least " + (in.position() + 8) + " bytes)");
            }
            int number = in.getInt();
            int length = in.getInt();
            if (number != i) {
                throw new IllegalArgumentException("saved " + format + " state is corrupt: section " + number
                        + " where " + section.name() + " (" + i + ") belongs");
            }
            if (!section.allows(length)) {
                throw new IllegalArgumentException("saved " + format + " state is corrupt: section " + section.name()
                        + " is " + length + " bytes, " + describe(section));
            }
            if (in.remaining() < length) {
                throw new IllegalArgumentException("saved " + format + " state is truncated in section "
                        + section.name() + " (" + in.remaining() + " of " + length + " bytes)");
            }
            byte[] part = new byte[length];
            in.get(part);
            parts.add(part);
        }
        if (in.hasRemaining()) {
            throw new IllegalArgumentException("saved " + format + " state is corrupt: " + in.remaining()
                    + " bytes after its last section");
        }
        return parts;
    }

    private static String describe(Section s) {
        if (s.min() == s.max()) {
            return "expected " + s.min();
        }
        return "expected " + s.min() + " to " + s.max() + (s.unit() > 1 ? " in steps of " + s.unit() : "");
    }
}
