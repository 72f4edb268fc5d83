package io.jvmm.api.support;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.MessageInterrupts;
import io.jvmm.api.device.PciCapability;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The MSI-X machinery of one PCI function (PCI Local Bus 3.0 §6.8.2): the capability's registers,
 * the vector table and the pending-bit array (PBA), and the rules that decide whether a vector's
 * message is sent now, kept pending, or not used at all. A device lists {@link #capability()} among
 * its capabilities, forwards that entry's config-space accesses and the accesses to the table's and
 * PBA's BAR ranges here, and calls {@link #signal(int)} where it would raise an interrupt; while
 * {@link #enabled()} it must keep INTx deasserted (§6.8.2.3).
 *
 * <p>Guest semantics: message control holds the table size (N - 1, read-only), Function Mask (bit
 * 14) and MSI-X Enable (bit 15). Each table entry is message address (low, high), message data and
 * vector control, whose bit 0 masks the vector and is set at reset (§6.8.2.9). A vector fired while
 * masked (its own bit or Function Mask) sets its pending bit; clearing the mask sends the message
 * once and clears the bit. The PBA is read-only. The table and PBA are accessed with aligned DWORD
 * or QWORD accesses only (§6.8.2); other accesses read zeroes and are ignored when written, as are
 * accesses outside the table's and PBA's bytes.
 *
 * <p>Saved state: {@link #capture()} and {@link #apply(State)} convert the guest-visible part
 * (Enable, Function Mask, every vector's address, data, mask and pending bit) to and from a
 * {@link State}, which a device nests in its own saved state ({@link State#ENCODER},
 * {@link State#DECODER}). Bus Master Enable is not part of it: it is the command register's, which
 * the device restores and reports through {@link #busMasterChanged}.
 *
 * <p>Not thread-safe: call it under the device's lock (where {@code PciFunction}'s methods run).
 * Allocates nothing after construction, except in {@link #capture()} and {@link #apply(State)}
 * (cold paths: save and restore).
 */
public final class MsixTable {
    /** The MSI-X capability ID (§6.8.2.1). */
    public static final int CAPABILITY_ID = 0x11;
    /** The capability entry: ID, next, message control, table offset/BIR, PBA offset/BIR. */
    public static final int CAPABILITY_LENGTH = 12;
    /** Bytes per table entry. */
    public static final int ENTRY_SIZE = 16;
    /** The most vectors one function may have (an 11-bit table size field). */
    public static final int MAX_VECTORS = 2048;
    /** Message control bits (§6.8.2.3). */
    public static final int CONTROL_FUNCTION_MASK = 1 << 14;
    public static final int CONTROL_ENABLE = 1 << 15;
    /** Vector control bit 0: the vector is masked (§6.8.2.9). */
    public static final int VECTOR_MASKED = 1;

    private static final int OFF_CONTROL = 2;
    private static final int OFF_TABLE = 4;
    private static final int OFF_PBA = 8;

    /**
     * One table entry as the guest programmed it, and its pending bit.
     *
     * @param address the message address; bits 1:0 are always zero (DWORD-aligned messages)
     * @param data the message data
     * @param masked vector control bit 0
     * @param pending the vector's bit in the PBA
     */
    public record Vector(long address, int data, boolean masked, boolean pending) {
        public Vector {
            if ((address & 3) != 0) {
                throw new IllegalArgumentException("an MSI-X message address has bits 1:0 clear, got 0x"
                        + Long.toHexString(address));
            }
        }

        /** Power-on: no message, masked, not pending (§6.8.2.9). */
        public static final Vector INITIAL = new Vector(0, 0, true, false);
    }

    /**
     * The MSI-X state a guest sees: message control's Enable and Function Mask, and the table with
     * the PBA's bits, one {@link Vector} per entry.
     */
    public record State(boolean enabled, boolean functionMasked, List<Vector> vectors) {
        public State {
            vectors = List.copyOf(vectors);
            if (vectors.isEmpty() || vectors.size() > MAX_VECTORS) {
                throw new IllegalArgumentException("MSI-X has 1.." + MAX_VECTORS + " vectors, the state has "
                        + vectors.size());
            }
        }

        /** Power-on for a table of {@code vectors} entries: disabled, every vector masked, nothing pending. */
        public static State initial(int vectors) {
            return new State(false, false, java.util.Collections.nCopies(vectors, Vector.INITIAL));
        }

        /** Writes a state's fields (for {@link StateWriter#list} in a device's own state format). */
        public static final StateFormat.Encoder<State> ENCODER = (s, out) -> out
                .bool("enabled", s.enabled())
                .bool("functionMasked", s.functionMasked())
                .list("vectors", s.vectors(), (v, o) -> o.i64("address", v.address()).u32("data", v.data() & 0xFFFF_FFFFL)
                        .bool("masked", v.masked()).bool("pending", v.pending()));

        /** Reads what {@link #ENCODER} wrote. */
        public static final StateFormat.Decoder<State> DECODER = in -> new State(in.bool("enabled"),
                in.bool("functionMasked"), in.list("vectors", MAX_VECTORS, v -> new Vector(v.i64("address"),
                        (int) v.u32("data"), v.bool("masked"), v.bool("pending"))));
    }

    private final int vectors;
    private final int tableBar;
    private final long tableOffset;
    private final int pbaBar;
    private final long pbaOffset;
    private final MessageInterrupts target;
    private final long[] address;
    private final int[] data;
    private final boolean[] masked;
    private final long[] pending;
    private boolean enabled;
    private boolean functionMasked;
    /** Bus Master Enable, as the device last reported it ({@link #busMasterChanged}); true until then. */
    private boolean busMaster = true;

    /**
     * @param vectors the table size, 1..{@value #MAX_VECTORS}
     * @param tableBar the BAR register (0..5) holding the table
     * @param tableOffset the table's offset in that BAR, a multiple of 8
     * @param pbaBar the BAR register holding the PBA
     * @param pbaOffset the PBA's offset in that BAR, a multiple of 8, not overlapping the table
     * @param target where messages go
     */
    public MsixTable(int vectors, int tableBar, long tableOffset, int pbaBar, long pbaOffset, MessageInterrupts target) {
        if (vectors < 1 || vectors > MAX_VECTORS) {
            throw new IllegalArgumentException("MSI-X needs 1.." + MAX_VECTORS + " vectors, was " + vectors);
        }
        checkPlace("table", tableBar, tableOffset);
        checkPlace("PBA", pbaBar, pbaOffset);
        this.vectors = vectors;
        this.tableBar = tableBar;
        this.tableOffset = tableOffset;
        this.pbaBar = pbaBar;
        this.pbaOffset = pbaOffset;
        if (tableBar == pbaBar && tableOffset < pbaOffset + pbaBytes() && pbaOffset < tableOffset + tableBytes()) {
            throw new IllegalArgumentException("the MSI-X table and PBA overlap");
        }
        this.target = Objects.requireNonNull(target, "target");
        address = new long[vectors];
        data = new int[vectors];
        masked = new boolean[vectors];
        pending = new long[(vectors + 63) / 64];
        reset();
    }

    private static void checkPlace(String what, int bar, long offset) {
        if (bar < 0 || bar > 5) {
            throw new IllegalArgumentException("the MSI-X " + what + "'s BAR must be 0..5, was " + bar);
        }
        if (offset < 0 || offset > 0xFFFF_FFF8L || (offset & 7) != 0) {
            throw new IllegalArgumentException("the MSI-X " + what + "'s offset must be a 32-bit multiple of 8, was " + offset);
        }
    }

    /** The capability list entry to add to the function's capabilities. */
    public PciCapability capability() {
        return new PciCapability(CAPABILITY_ID, CAPABILITY_LENGTH);
    }

    public int vectors() {
        return vectors;
    }

    /** The table's length in bytes: 16 per vector. */
    public long tableBytes() {
        return (long) vectors * ENTRY_SIZE;
    }

    /** The PBA's length in bytes: one bit per vector, in QWORDs. */
    public long pbaBytes() {
        return 8L * ((vectors + 63) / 64);
    }

    /** MSI-X Enable: the function signals through the table and must not assert INTx. */
    public boolean enabled() {
        return enabled;
    }

    public boolean functionMasked() {
        return functionMasked;
    }

    /** Whether vector {@code v}'s own mask bit is set. */
    public boolean vectorMasked(int v) {
        return masked[v];
    }

    /** Whether vector {@code v}'s pending bit is set. */
    public boolean pending(int v) {
        return (pending[v >>> 6] & (1L << v)) != 0;
    }

    /** Back to power-on: disabled, not function-masked, every vector masked, nothing pending. */
    public void reset() {
        enabled = false;
        functionMasked = false;
        Arrays.fill(address, 0);
        Arrays.fill(data, 0);
        Arrays.fill(masked, true);
        Arrays.fill(pending, 0);
    }

    /** The guest-visible state, for saving. */
    public State capture() {
        List<Vector> list = new ArrayList<>(vectors);
        for (int v = 0; v < vectors; v++) {
            list.add(new Vector(address[v], data[v], masked[v], pending(v)));
        }
        return new State(enabled, functionMasked, list);
    }

    /**
     * Makes {@code state} the current state, as restored from a save: no message is sent (a vector
     * pending in a saved state was not deliverable when it was saved). Bus Master Enable stays as it
     * is; the device reports the restored command register through {@link #busMasterChanged}.
     *
     * @throws IllegalArgumentException when the state is for a table of another size; nothing changed then
     */
    public void apply(State state) {
        Objects.requireNonNull(state, "state");
        if (state.vectors().size() != vectors) {
            throw new IllegalArgumentException("MSI-X state of " + state.vectors().size() + " vectors for a table of "
                    + vectors);
        }
        enabled = state.enabled();
        functionMasked = state.functionMasked();
        Arrays.fill(pending, 0);
        for (int v = 0; v < vectors; v++) {
            Vector e = state.vectors().get(v);
            address[v] = e.address();
            data[v] = e.data();
            masked[v] = e.masked();
            if (e.pending()) {
                pending[v >>> 6] |= 1L << v;
            }
        }
    }

    /**
     * The function's Bus Master Enable (command register bit 2) changed. A message is a memory
     * write, which a function must not issue while the bit is clear (PCI 3.0 §6.2.2, §6.8.2): until
     * it is set again, raised vectors only set their pending bits, and are sent when it is. A device
     * that never calls this sends regardless.
     */
    public void busMasterChanged(boolean enabled) {
        busMaster = enabled;
        if (enabled) {
            deliverPending();
        }
    }

    /**
     * Raises vector {@code v}: sends its message now, or sets its pending bit while the vector or
     * the function is masked or bus mastering is off. Does nothing while MSI-X is disabled (the
     * device uses INTx then) or for a vector outside the table.
     *
     * @return whether MSI-X took the interrupt (it was enabled and {@code v} is in the table)
     */
    public boolean signal(int v) {
        if (!enabled || v < 0 || v >= vectors) {
            return false;
        }
        if (masked[v] || functionMasked || !busMaster) {
            pending[v >>> 6] |= 1L << v;
        } else {
            target.signal(address[v], data[v]);
        }
        return true;
    }

    // --- the capability entry in configuration space ---------------------------------------------

    /** A read of the capability entry at {@code offset} (bytes 0 and 1 are the bus's). */
    public void capabilityRead(int offset, byte[] out) {
        long v = 0;
        for (int i = 0; i < out.length; i++) {
            v |= (long) (capabilityByte(offset + i) & 0xFF) << (8 * i);
        }
        IoData.put(out, v);
    }

    private int capabilityByte(int at) {
        int control = (vectors - 1) | (functionMasked ? CONTROL_FUNCTION_MASK : 0) | (enabled ? CONTROL_ENABLE : 0);
        long table = tableOffset | tableBar;
        long pba = pbaOffset | pbaBar;
        switch (at) {
            case OFF_CONTROL: return control;
            case OFF_CONTROL + 1: return control >>> 8;
            case OFF_TABLE: case OFF_TABLE + 1: case OFF_TABLE + 2: case OFF_TABLE + 3:
                return (int) (table >>> (8 * (at - OFF_TABLE)));
            case OFF_PBA: case OFF_PBA + 1: case OFF_PBA + 2: case OFF_PBA + 3:
                return (int) (pba >>> (8 * (at - OFF_PBA)));
            default: return 0;
        }
    }

    /**
     * A write to the capability entry: only message control's Function Mask and Enable bits are
     * writable. Clearing a mask or setting Enable sends the messages that became deliverable.
     */
    public void capabilityWrite(int offset, byte[] in) {
        long v = IoData.get(in);
        // the access covers byte OFF_CONTROL + 1 (bits 15:8 of message control) if it spans it
        int hi = OFF_CONTROL + 1 - offset;
        if (hi < 0 || hi >= in.length) {
            return;
        }
        int control = (int) (v >>> (8 * hi)) << 8;
        enabled = (control & CONTROL_ENABLE) != 0;
        functionMasked = (control & CONTROL_FUNCTION_MASK) != 0;
        deliverPending();
    }

    // --- the table and PBA in their BARs -----------------------------------------------------------

    /** Whether {@code [offset, offset + length)} of BAR {@code bar} touches the table or the PBA. */
    public boolean claims(int bar, long offset, int length) {
        return inRange(bar, offset, length, tableBar, tableOffset, tableBytes())
                || inRange(bar, offset, length, pbaBar, pbaOffset, pbaBytes());
    }

    private static boolean inRange(int bar, long offset, int length, int rBar, long rOffset, long rLength) {
        return bar == rBar && offset < rOffset + rLength && offset + length > rOffset;
    }

    /** Whether it is an access the table and PBA answer: an aligned DWORD or QWORD inside one of them. */
    private static boolean inside(int bar, long offset, int length, int rBar, long rOffset, long rLength) {
        return bar == rBar && (length == 4 || length == 8) && (offset & (length - 1)) == 0
                && offset >= rOffset && offset + length <= rOffset + rLength;
    }

    /**
     * Reads table or PBA bytes of BAR {@code bar} (see {@link #claims}); any other access reads
     * zeroes.
     */
    public void barRead(int bar, long offset, byte[] out) {
        int len = out.length;
        if (inside(bar, offset, len, tableBar, tableOffset, tableBytes())) {
            long at = offset - tableOffset;
            long v = tableDword((int) (at >>> 4), (int) (at & 15));
            if (len == 8) {
                v |= tableDword((int) (at >>> 4), (int) (at & 15) + 4) << 32;
            }
            IoData.put(out, v);
        } else if (inside(bar, offset, len, pbaBar, pbaOffset, pbaBytes())) {
            long at = offset - pbaOffset;
            long word = pending[(int) (at >>> 3)];
            IoData.put(out, len == 8 ? word : word >>> (8 * (at & 4)));
        } else {
            IoData.put(out, 0);
        }
    }

    private long tableDword(int v, int field) {
        switch (field) {
            case 0: return address[v] & 0xFFFF_FFFCL; // bits 1:0 are zero (DWORD-aligned messages)
            case 4: return address[v] >>> 32;
            case 8: return data[v] & 0xFFFF_FFFFL;
            default: return masked[v] ? VECTOR_MASKED : 0;
        }
    }

    /** Writes table bytes of BAR {@code bar}; the PBA is read-only, other accesses are ignored. */
    public void barWrite(int bar, long offset, byte[] in) {
        int len = in.length;
        if (!inside(bar, offset, len, tableBar, tableOffset, tableBytes())) {
            return;
        }
        long at = offset - tableOffset;
        int v = (int) (at >>> 4);
        int field = (int) (at & 15);
        long value = IoData.get(in);
        writeTableDword(v, field, value & 0xFFFF_FFFFL);
        if (len == 8) {
            writeTableDword(v, field + 4, value >>> 32);
        }
    }

    private void writeTableDword(int v, int field, long value) {
        switch (field) {
            case 0: address[v] = (address[v] & 0xFFFF_FFFF_0000_0000L) | (value & 0xFFFF_FFFCL); break;
            case 4: address[v] = (address[v] & 0xFFFF_FFFFL) | value << 32; break;
            case 8: data[v] = (int) value; break;
            default:
                boolean was = masked[v];
                masked[v] = (value & VECTOR_MASKED) != 0;
                if (was && !masked[v]) {
                    deliverPending(v);
                }
                break;
        }
    }

    /** Sends every pending message whose vector may now be delivered (§6.8.2.10). */
    private void deliverPending() {
        for (int w = 0; w < pending.length; w++) {
            long bits = pending[w];
            while (bits != 0) {
                int v = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                deliverPending(v);
            }
        }
    }

    private void deliverPending(int v) {
        if (enabled && busMaster && !functionMasked && !masked[v] && pending(v)) {
            pending[v >>> 6] &= ~(1L << v);
            target.signal(address[v], data[v]);
        }
    }
}
