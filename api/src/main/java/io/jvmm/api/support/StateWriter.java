package io.jvmm.api.support;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Writes named, typed fields for a {@link StateFormat}. The encoding (stated once, here): a
 * sequence of fields, each {@code tag:u8, nameLength:u8, name:UTF-8, value}, values big-endian:
 * {@code BOOL} 1 byte (0/1), {@code U8} 1, {@code U16} 2, {@code U32} 4, {@code I64} 8, {@code
 * BYTES} and {@code TEXT} a u32 length and the bytes, {@code LIST} a u32 count and per item a u32
 * length and the item's own field sequence. Field names are unique within one sequence. Used on
 * cold paths only (it allocates).
 */
public final class StateWriter {
    static final int BOOL = 1;
    static final int U8 = 2;
    static final int U16 = 3;
    static final int U32 = 4;
    static final int I64 = 5;
    static final int BYTES = 6;
    static final int TEXT = 7;
    static final int LIST = 8;

    private byte[] buf = new byte[64];
    private int size;
    private final Set<String> names = new HashSet<>();

    StateWriter() {
    }

    public StateWriter bool(String name, boolean value) {
        field(BOOL, name);
        return put(value ? 1 : 0, 1);
    }

    /** An unsigned byte: {@code value} must be in [0, 255]. */
    public StateWriter u8(String name, int value) {
        field(U8, name);
        return put(checkRange(name, value, 0xFFL), 1);
    }

    /** An unsigned 16-bit value in [0, 65535]. */
    public StateWriter u16(String name, int value) {
        field(U16, name);
        return put(checkRange(name, value, 0xFFFFL), 2);
    }

    /** An unsigned 32-bit value in [0, 2^32 - 1] (an {@code int} is taken as unsigned). */
    public StateWriter u32(String name, long value) {
        field(U32, name);
        return put(checkRange(name, value, 0xFFFF_FFFFL), 4);
    }

    /** Any 64-bit value. */
    public StateWriter i64(String name, long value) {
        field(I64, name);
        return put(value, 8);
    }

    public StateWriter bytes(String name, byte[] value) {
        Objects.requireNonNull(value, name);
        field(BYTES, name);
        put(value.length, 4);
        return append(value);
    }

    public StateWriter text(String name, String value) {
        Objects.requireNonNull(value, name);
        field(TEXT, name);
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        put(utf8.length, 4);
        return append(utf8);
    }

    /** A list of nested states (e.g. one per queue), each written by {@code encoder}. */
    public <T> StateWriter list(String name, List<T> items, StateFormat.Encoder<T> encoder) {
        Objects.requireNonNull(items, name);
        field(LIST, name);
        put(items.size(), 4);
        for (T item : items) {
            StateWriter nested = new StateWriter();
            encoder.write(item, nested);
            put(nested.size, 4);
            append(Arrays.copyOf(nested.buf, nested.size));
        }
        return this;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void field(int tag, String name) {
        Objects.requireNonNull(name, "name");
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length == 0 || utf8.length > 255) {
            throw new IllegalArgumentException("a state field name must be 1 to 255 bytes: '" + name + "'");
        }
        if (!names.add(name)) {
            throw new IllegalArgumentException("state field '" + name + "' written twice");
        }
        put(tag, 1);
        put(utf8.length, 1);
        append(utf8);
    }

    private static long checkRange(String name, long value, long max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException("state field '" + name + "' = " + value + " is outside [0, " + max + "]");
        }
        return value;
    }

    private StateWriter put(long value, int bytes) {
        ensure(bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            buf[size++] = (byte) (value >>> (8 * i));
        }
        return this;
    }

    private StateWriter append(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, size, bytes.length);
        size += bytes.length;
        return this;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
