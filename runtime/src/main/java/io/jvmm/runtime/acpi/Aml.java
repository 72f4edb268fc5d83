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
    int OP_REGION_OP = 0x80; // after EXT_OP_PREFIX
    int FIELD_OP = 0x81; // after EXT_OP_PREFIX
    int DEVICE_OP = 0x82; // after EXT_OP_PREFIX
    int LOCAL0_OP = 0x60;
    int ARG0_OP = 0x68;
    int STORE_OP = 0x70;
    int NOTIFY_OP = 0x86;
    int INDEX_OP = 0x88;
    int RETURN_OP = 0xA4;
    int NULL_NAME = 0x00;

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
     * A reference to a named object by its path (a NameString as a term, §20.2.2): evaluated as a
     * TermArg (a Field's value), a SuperName as a target, and kept as a reference inside a Package.
     */
    record NameRef(String path) implements Aml {
        public NameRef {
            nameString(path);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.writeBytes(nameString(path));
        }
    }

    /** {@code Local0}..{@code Local7}: LocalObj, opcodes 0x60-0x67 (§20.2.6.2). */
    record Local(int index) implements Aml {
        public Local {
            if (index < 0 || index > 7) {
                throw new IllegalArgumentException("Local" + index + " does not exist (Local0..Local7)");
            }
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(LOCAL0_OP + index);
        }
    }

    /** {@code Arg0}..{@code Arg6}: ArgObj, opcodes 0x68-0x6E (§20.2.6.1). */
    record Arg(int index) implements Aml {
        public Arg {
            if (index < 0 || index > 6) {
                throw new IllegalArgumentException("Arg" + index + " does not exist (Arg0..Arg6)");
            }
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(ARG0_OP + index);
        }
    }

    /** {@code Store(value, target)}: StoreOp TermArg SuperName (§20.2.5.4, DefStore). */
    record Store(Aml value, Aml target) implements Aml {
        public Store {
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(target, "target");
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(STORE_OP);
            value.encodeTo(out);
            target.encodeTo(out);
        }
    }

    /**
     * {@code Index(source, index)}: IndexOp BuffPkgStrObj IndexValue Target, the target NullName
     * (§20.2.5.4, DefIndex); a reference to the element, so {@code Store(x, Index(Local0, 2))} sets it.
     */
    record Index(Aml source, Aml index) implements Aml {
        public Index {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(index, "index");
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(INDEX_OP);
            source.encodeTo(out);
            index.encodeTo(out);
            out.write(NULL_NAME);
        }
    }

    /** {@code Notify(object, value)}: NotifyOp NotifyObject NotifyValue (§20.2.5.3, DefNotify). */
    record Notify(Aml object, Aml value) implements Aml {
        public Notify {
            Objects.requireNonNull(object, "object");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(NOTIFY_OP);
            object.encodeTo(out);
            value.encodeTo(out);
        }
    }

    /** The RegionSpace byte of an OperationRegion (§20.2.5.2; ASL keywords in §19.6.100). */
    enum RegionSpace {
        SYSTEM_MEMORY(0x00), SYSTEM_IO(0x01);

        final int code;

        RegionSpace(int code) {
            this.code = code;
        }
    }

    /**
     * {@code OperationRegion(name, space, offset, length)}: ExtOpPrefix 0x80 NameString RegionSpace
     * RegionOffset RegionLen (§20.2.5.2, DefOpRegion); offset and length are TermArgs.
     */
    record OperationRegion(String name, RegionSpace space, long offset, long length) implements Aml {
        public OperationRegion {
            nameString(name);
            Objects.requireNonNull(space, "space");
            if (offset < 0 || length <= 0) {
                throw new IllegalArgumentException("OperationRegion " + name + " at " + offset + " of " + length
                        + " bytes");
            }
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(EXT_OP_PREFIX);
            out.write(OP_REGION_OP);
            out.writeBytes(nameString(name));
            out.write(space.code);
            new Int(offset).encodeTo(out);
            new Int(length).encodeTo(out);
        }
    }

    /** A Field's AccessType, bits 0-3 of FieldFlags (§20.2.5.2). */
    enum Access {
        ANY(0), BYTE(1), WORD(2), DWORD(3), QWORD(4);

        final int code;

        Access(int code) {
            this.code = code;
        }

        /** ByteAcc, WordAcc or DWordAcc for a register of {@code bytes}. */
        static Access ofSize(int bytes) {
            return switch (bytes) {
                case 1 -> BYTE;
                case 2 -> WORD;
                case 4 -> DWORD;
                case 8 -> QWORD;
                default -> throw new IllegalArgumentException("no access type for " + bytes + " bytes");
            };
        }
    }

    /**
     * An element of a Field's FieldList (§20.2.5.2): a NamedField (NameSeg, then its width in bits
     * encoded as a PkgLength that does not count itself) or a ReservedField (0x00 and the bits
     * skipped; ASL's {@code Offset(n)} compiles to one).
     */
    record FieldUnit(String name, int bits) {
        public FieldUnit {
            if (name != null && !name.matches("[A-Z_][A-Z0-9_]{3}")) {
                throw new IllegalArgumentException("field name '" + name + "' is not a 4-character NameSeg");
            }
            if (bits <= 0 || bits >= (1 << 28)) {
                throw new IllegalArgumentException("field of " + bits + " bits");
            }
        }

        /** Skips {@code bits}. */
        static FieldUnit reserved(int bits) {
            return new FieldUnit(null, bits);
        }

        void encodeTo(ByteArrayOutputStream out) {
            if (name == null) {
                out.write(0x00);
            } else {
                out.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
            }
            rawLength(out, bits);
        }
    }

    /**
     * {@code Field(region, access, NoLock, Preserve) {units}}: ExtOpPrefix 0x81 PkgLength NameString
     * FieldFlags FieldList (§20.2.5.2, DefField); FieldFlags is the access type, LockRule 0 (NoLock)
     * and UpdateRule 0 (Preserve).
     */
    record Field(String region, Access access, List<FieldUnit> units) implements Aml {
        public Field {
            nameString(region);
            Objects.requireNonNull(access, "access");
            units = List.copyOf(units);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes(nameString(region));
            body.write(access.code);
            for (FieldUnit u : units) {
                u.encodeTo(body);
            }
            out.write(EXT_OP_PREFIX);
            out.write(FIELD_OP);
            withPkgLength(out, body.toByteArray());
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
        int extra = n + 1 <= 0x3F ? 0 : n + 2 < (1 << 12) ? 1 : n + 3 < (1 << 20) ? 2 : 3;
        int total = n + 1 + extra;
        if (total >= (1 << 28)) {
            throw new IllegalArgumentException("AML package of " + n + " bytes is too long for PkgLength");
        }
        rawLength(out, total);
        out.writeBytes(body);
    }

    /**
     * {@code value} in PkgLength's encoding (§20.2.4), as given (a field's bit width is encoded so,
     * without counting the encoding's own bytes).
     */
    static void rawLength(ByteArrayOutputStream out, int value) {
        if (value <= 0x3F) {
            out.write(value);
            return;
        }
        int extra = value < (1 << 12) ? 1 : value < (1 << 20) ? 2 : 3;
        out.write((extra << 6) | (value & 0x0F));
        for (int k = 0; k < extra; k++) {
            out.write((value >>> (4 + 8 * k)) & 0xFF);
        }
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
