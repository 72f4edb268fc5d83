package io.jvmm.api.support;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the named, typed fields {@link StateWriter} wrote. The bytes are parsed and checked as a
 * whole first (every length inside them, unique names), then fields are taken by name; {@link
 * StateFormat#restore} refuses fields nobody took. Every problem is an {@link
 * IllegalArgumentException} naming the field.
 */
public final class StateReader {
    private record Field(int tag, byte[] value) {}

    private final Map<String, Field> fields;
    private final int version;

    private StateReader(Map<String, Field> fields, int version) {
        this.fields = fields;
        this.version = version;
    }

    static StateReader parse(byte[] data, int version) {
        Map<String, Field> fields = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            int tag = u8(b, "a field tag");
            int nameLength = u8(b, "a field name's length");
            String name = utf8(take(b, nameLength, "a field name"), "a field name");
            int length = switch (tag) {
                case StateWriter.BOOL, StateWriter.U8 -> 1;
                case StateWriter.U16 -> 2;
                case StateWriter.U32 -> 4;
                case StateWriter.I64 -> 8;
                case StateWriter.BYTES, StateWriter.TEXT -> length(b, name);
                case StateWriter.LIST -> listLength(b.duplicate(), name);
                default -> throw new IllegalArgumentException("field '" + name + "' has unknown type tag " + tag);
            };
            if (fields.put(name, new Field(tag, take(b, length, "field '" + name + "'"))) != null) {
                throw new IllegalArgumentException("field '" + name + "' appears twice");
            }
        }
        return new StateReader(fields, version);
    }

    /** The version the state was written with (at most the format's current one). */
    public int version() {
        return version;
    }

    /** Whether the state has a field of this name (for fields added in a later version). */
    public boolean has(String name) {
        return fields.containsKey(name);
    }

    public boolean bool(String name) {
        int v = (int) number(name, StateWriter.BOOL);
        if (v > 1) {
            throw new IllegalArgumentException("field '" + name + "' is a boolean but holds " + v);
        }
        return v == 1;
    }

    public int u8(String name) {
        return (int) number(name, StateWriter.U8);
    }

    public int u16(String name) {
        return (int) number(name, StateWriter.U16);
    }

    public long u32(String name) {
        return number(name, StateWriter.U32);
    }

    public long i64(String name) {
        return number(name, StateWriter.I64);
    }

    /** A byte array of at most {@code maxLength} bytes. */
    public byte[] bytes(String name, int maxLength) {
        byte[] v = take(name, StateWriter.BYTES).value();
        if (v.length > maxLength) {
            throw new IllegalArgumentException("field '" + name + "' has " + v.length + " bytes, at most " + maxLength
                    + " allowed");
        }
        return v;
    }

    /** A string of at most {@code maxBytes} bytes of UTF-8. */
    public String text(String name, int maxBytes) {
        byte[] v = take(name, StateWriter.TEXT).value();
        if (v.length > maxBytes) {
            throw new IllegalArgumentException("field '" + name + "' has " + v.length + " bytes, at most " + maxBytes
                    + " allowed");
        }
        return utf8(v, "field '" + name + "'");
    }

    /** A list of at most {@code maxItems} nested states, each read by {@code decoder}. */
    public <T> List<T> list(String name, int maxItems, StateFormat.Decoder<T> decoder) {
        ByteBuffer b = ByteBuffer.wrap(take(name, StateWriter.LIST).value());
        int count = b.getInt();
        if (count < 0 || count > maxItems) {
            throw new IllegalArgumentException("field '" + name + "' has " + Integer.toUnsignedString(count)
                    + " items, at most " + maxItems + " allowed");
        }
        List<T> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] item = new byte[b.getInt()]; // lengths were checked by parse()
            b.get(item);
            StateReader nested = parse(item, version);
            try {
                items.add(decoder.read(nested));
                nested.requireAllRead();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + "[" + i + "]: " + e.getMessage(), e);
            }
        }
        return items;
    }

    void requireAllRead() {
        if (!fields.isEmpty()) {
            throw new IllegalArgumentException("unknown field(s) " + String.join(", ", fields.keySet())
                    + " (written by a newer build?)");
        }
    }

    private long number(String name, int tag) {
        long v = 0;
        for (byte x : take(name, tag).value()) {
            v = v << 8 | (x & 0xFF);
        }
        return v;
    }

    private Field take(String name, int tag) {
        Field f = fields.remove(name);
        if (f == null) {
            throw new IllegalArgumentException("field '" + name + "' is missing");
        }
        if (f.tag() != tag) {
            throw new IllegalArgumentException("field '" + name + "' has type tag " + f.tag() + ", expected " + tag);
        }
        return f;
    }

    private static int u8(ByteBuffer b, String what) {
        if (!b.hasRemaining()) {
            throw new IllegalArgumentException("truncated in " + what);
        }
        return b.get() & 0xFF;
    }

    private static int length(ByteBuffer b, String name) {
        if (b.remaining() < 4) {
            throw new IllegalArgumentException("truncated in the length of field '" + name + "'");
        }
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("field '" + name + "' claims " + Integer.toUnsignedString(n)
                    + " bytes, " + b.remaining() + " remain");
        }
        return n;
    }

    /** The byte length of a LIST value starting at {@code b}'s position, every item length checked. */
    private static int listLength(ByteBuffer b, String name) {
        int start = b.position();
        if (b.remaining() < 4) {
            throw new IllegalArgumentException("truncated in the item count of field '" + name + "'");
        }
        int count = b.getInt();
        if (count < 0) {
            throw new IllegalArgumentException("field '" + name + "' claims " + Integer.toUnsignedString(count)
                    + " items");
        }
        for (int i = 0; i < count; i++) {
            int n = length(b, name + "[" + i + "]");
            b.position(b.position() + n);
        }
        return b.position() - start;
    }

    private static byte[] take(ByteBuffer b, int n, String what) {
        if (n > b.remaining()) {
            throw new IllegalArgumentException("truncated in " + what);
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static String utf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid UTF-8");
        }
    }

    @Override
    public String toString() {
        return "unread fields " + fields.keySet() + " (v" + version + ")";
    }
}
