package io.jvmm.runtime.acpi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A term of ACPI Machine Language (ACPI 6.x §20.2, "AML Grammar Definition"): the subset jvmm's DSDT
 * needs, as records that encode themselves. A DSDT body is a list of terms; {@link #encode(List)}
 * gives its bytes.
 */
public sealed interface Aml {
    /** Appends this term's encoding to {@code out}. */
    void encodeTo(ByteArrayOutputStream out);

    /** The bytes of a term list. */
    static byte[] encode(List<? extends Aml> terms) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Aml t : terms) {
            t.encodeTo(out);
        }
        return out.toByteArray();
    }

    // §20.2.3 data objects, §20.2.5 term objects: the opcodes used here.
    int ZERO_OP = 0x00;
    int ONE_OP = 0x01;
    int NAME_OP = 0x08;
    int BYTE_PREFIX = 0x0A;
    int WORD_PREFIX = 0x0B;
    int DWORD_PREFIX = 0x0C;
    int STRING_PREFIX = 0x0D;
    int QWORD_PREFIX = 0x0E;
    int SCOPE_OP = 0x10;
    int BUFFER_OP = 0x11;
    int PACKAGE_OP = 0x12;
    int METHOD_OP = 0x14;
    int DUAL_NAME_PREFIX = 0x2E;
    int MULTI_NAME_PREFIX = 0x2F;
    int EXT_OP_PREFIX = 0x5B;
    int DEVICE_OP = 0x82; // after EXT_OP_PREFIX
    int RETURN_OP = 0xA4;

    /** An integer constant, in the shortest encoding (ZeroOp, OneOp, Byte/Word/DWord/QWordConst). */
    record Int(long value) implements Aml {
        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            if (value == 0) {
                out.write(ZERO_OP);
            } else if (value == 1) {
                out.write(ONE_OP);
            } else if ((value & ~0xFFL) == 0) {
                out.write(BYTE_PREFIX);
                le(out, value, 1);
            } else if ((value & ~0xFFFFL) == 0) {
                out.write(WORD_PREFIX);
                le(out, value, 2);
            } else if ((value & ~0xFFFF_FFFFL) == 0) {
                out.write(DWORD_PREFIX);
                le(out, value, 4);
            } else {
                out.write(QWORD_PREFIX);
                le(out, value, 8);
            }
        }
    }

    /** A string constant (ASCII, no NUL inside): StringPrefix, the bytes, NUL. */
    record Str(String value) implements Aml {
        public Str {
            Objects.requireNonNull(value, "value");
            if (!value.chars().allMatch(c -> c >= 0x01 && c <= 0x7F)) {
                throw new IllegalArgumentException("AML strings are ASCII without NUL: '" + value + "'");
            }
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(STRING_PREFIX);
            out.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
            out.write(0);
        }
    }

    /**
     * A PNP ID such as {@code PNP0501} as ASL's {@code EisaId()} compresses it (ACPI 6.x §19.6.35):
     * three letters of 5 bits each (A = 1) in the first two bytes, big-endian, then the four hex
     * digits as two bytes; stored as a DWordConst.
     */
    record EisaId(String id) implements Aml {
        private static final Pattern FORM = Pattern.compile("[A-Z]{3}[0-9A-F]{4}");

        public EisaId {
            if (!FORM.matcher(id).matches()) {
                throw new IllegalArgumentException("EISA ID '" + id + "' is not 3 capital letters and 4 hex digits");
            }
        }

        /** The compressed value as a 32-bit integer (e.g. 0x0105D041 for PNP0501). */
        public long value() {
            int letters = ((id.charAt(0) - 0x40) << 10) | ((id.charAt(1) - 0x40) << 5) | (id.charAt(2) - 0x40);
            int product = Integer.parseInt(id.substring(3), 16);
            // memory order: letters high byte, letters low byte, product high byte, product low byte
            return ((letters >> 8) & 0xFF) | ((letters & 0xFF) << 8) | ((long) ((product >> 8) & 0xFF) << 16)
                    | ((long) (product & 0xFF) << 24);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(DWORD_PREFIX);
            le(out, value(), 4);
        }
    }

    /** {@code Buffer(size) {bytes}}: BufferOp PkgLength BufferSize ByteList (§20.2.5.4). */
    record Buffer(byte[] bytes) implements Aml {
        public Buffer {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            new Int(bytes.length).encodeTo(body);
            body.writeBytes(bytes);
            out.write(BUFFER_OP);
            withPkgLength(out, body.toByteArray());
        }
    }

    /** {@code Package() {elements}}: PackageOp PkgLength NumElements PackageElementList. */
    record Package(List<Aml> elements) implements Aml {
        public Package {
            elements = List.copyOf(elements);
            if (elements.size() > 255) {
                throw new IllegalArgumentException("a Package holds at most 255 elements, got " + elements.size());
            }
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(elements.size());
            body.writeBytes(encode(elements));
            out.write(PACKAGE_OP);
            withPkgLength(out, body.toByteArray());
        }
    }

    /** {@code Name(name, value)}: NameOp NameString DataRefObject. */
    record Name(String name, Aml value) implements Aml {
        public Name {
            nameString(name); // validates
            Objects.requireNonNull(value, "value");
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(NAME_OP);
            out.writeBytes(nameString(name));
            value.encodeTo(out);
        }
    }

    /** {@code Scope(path) {body}}: ScopeOp PkgLength NameString TermList. */
    record Scope(String path, List<Aml> body) implements Aml {
        public Scope {
            nameString(path);
            body = List.copyOf(body);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(SCOPE_OP);
            withPkgLength(out, concat(nameString(path), encode(body)));
        }
    }

    /** {@code Device(name) {body}}: ExtOpPrefix DeviceOp PkgLength NameString TermList. */
    record Device(String name, List<Aml> body) implements Aml {
        public Device {
            nameString(name);
            body = List.copyOf(body);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(EXT_OP_PREFIX);
            out.write(DEVICE_OP);
            withPkgLength(out, concat(nameString(name), encode(body)));
        }
    }

    /**
     * {@code Method(name, args, Serialized|NotSerialized) {body}}: MethodOp PkgLength NameString
     * MethodFlags TermList; MethodFlags bits 0-2 are the argument count, bit 3 SerializeFlag.
     */
    record Method(String name, int args, boolean serialized, List<Aml> body) implements Aml {
        public Method {
            nameString(name);
            if (args < 0 || args > 7) {
                throw new IllegalArgumentException("a method takes 0..7 arguments, not " + args);
            }
            body = List.copyOf(body);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            byte[] flags = {(byte) (args | (serialized ? 0x08 : 0))};
            out.write(METHOD_OP);
            withPkgLength(out, concat(concat(nameString(name), flags), encode(body)));
        }
    }

    /** {@code Return(value)}: ReturnOp ArgObject. */
    record Return(Aml value) implements Aml {
        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(RETURN_OP);
            value.encodeTo(out);
        }
    }

    /**
     * A NameString (§20.2.2): an optional root ({@code \}) or parent ({@code ^}) prefix, then
     * dot-separated 4-character segments (shorter ones are padded with {@code _}, as ASL does).
     */
    static byte[] nameString(String path) {
        Objects.requireNonNull(path, "path");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        if (path.startsWith("\\")) {
            out.write('\\');
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == '^') {
                out.write('^');
                i++;
            }
        }
        String rest = path.substring(i);
        String[] segs = rest.isEmpty() ? new String[0] : rest.split("\\.", -1);
        if (segs.length == 0) {
            out.write(0); // NullName: the root itself
            return out.toByteArray();
        }
        if (segs.length == 2) {
            out.write(DUAL_NAME_PREFIX);
        } else if (segs.length > 2) {
            if (segs.length > 255) {
                throw new IllegalArgumentException("name path '" + path + "' has too many segments");
            }
            out.write(MULTI_NAME_PREFIX);
            out.write(segs.length);
        }
        for (String s : segs) {
            if (!s.matches("[A-Z_][A-Z0-9_]{0,3}")) {
                throw new IllegalArgumentException("'" + s + "' in '" + path + "' is not an ACPI name segment "
                        + "(1..4 of A-Z, 0-9, _, not starting with a digit)");
            }
            String padded = (s + "___").substring(0, 4);
            out.writeBytes(padded.getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    /**
     * Writes PkgLength (§20.2.4) for {@code body} and then {@code body}. The length counts its own
     * bytes: up to 63 it is one byte; else the lead byte's bits 7-6 say how many bytes follow, its
     * bits 3-0 are the low nibble, and each following byte carries the next 8 bits.
     */
    static void withPkgLength(ByteArrayOutputStream out, byte[] body) {
        int n = body.length;
        if (n + 1 <= 0x3F) {
            out.write(n + 1);
        } else {
            int extra = n + 2 < (1 << 12) ? 1 : n + 3 < (1 << 20) ? 2 : 3;
            int total = n + 1 + extra;
            if (total >= (1 << 28)) {
                throw new IllegalArgumentException("AML package of " + n + " bytes is too long for PkgLength");
            }
            out.write((extra << 6) | (total & 0x0F));
            for (int k = 0; k < extra; k++) {
                out.write((total >>> (4 + 8 * k)) & 0xFF);
            }
        }
        out.writeBytes(body);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static void le(ByteArrayOutputStream out, long value, int bytes) {
        for (int k = 0; k < bytes; k++) {
            out.write((int) (value >>> (8 * k)) & 0xFF);
        }
    }
}
