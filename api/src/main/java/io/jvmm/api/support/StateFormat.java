package io.jvmm.api.support;

import io.jvmm.api.device.SavedStateBlob;
import java.util.Objects;

/**
 * How one kind of device state record is saved: a format name, a version, and the record's fields
 * written and read by name through one shared encoding ({@link StateWriter}, {@link StateReader}).
 * A device keeps its guest-visible state as one record type {@code S}; then
 *
 * <pre>{@code
 * record UartState(int ier, int lcr, byte[] rx) {
 *     UartState { ... checks: a compact constructor is where a state's rules live, once ... }
 *     static UartState initial() { return new UartState(0, 0x03, new byte[0]); }   // power-on
 *     static final StateFormat<UartState> FORMAT = StateFormat.of("serial.uart16550", 2,
 *             (s, out) -> out.u8("ier", s.ier()).u8("lcr", s.lcr()).bytes("rx", s.rx()),
 *             in -> new UartState(in.u8("ier"), in.u8("lcr"), in.bytes("rx", 16)));
 * }
 * // reset:   apply(UartState.initial());
 * // save:    return UartState.FORMAT.save(capture());
 * // restore: apply(UartState.FORMAT.restore(blob));   // throws before anything changed
 * }</pre>
 *
 * <p>Why the live registers are not the record itself: records are immutable, and a register write
 * that allocated a new record would allocate on the vCPU exit path. So a device holds its registers
 * as it likes and converts at three cold points — reset, save, restore — all through {@code apply}
 * of one record, so the power-on values and the state's invariants are stated once.
 *
 * <p>The encoding is self-describing (each field is named and typed), so a reader refuses a missing
 * field, a field of the wrong type and a field it does not know, each by name; a newer build can
 * read an older version (the decoder asks {@link StateReader#version()} or {@link
 * StateReader#has(String)}), never the reverse. All lengths in the bytes are checked: hostile or
 * corrupted bytes give an {@link IllegalArgumentException}, nothing else. Thread-safe (immutable).
 *
 * @param <S> the state record
 */
public final class StateFormat<S extends Record> {
    /** Writes a state's fields. */
    @FunctionalInterface
    public interface Encoder<S> {
        void write(S state, StateWriter out);
    }

    /** Reads a state's fields and builds it; may throw {@link IllegalArgumentException}. */
    @FunctionalInterface
    public interface Decoder<S> {
        S read(StateReader in);
    }

    private final String name;
    private final int version;
    private final int oldestReadable;
    private final Encoder<S> encoder;
    private final Decoder<S> decoder;

    private StateFormat(String name, int version, int oldestReadable, Encoder<S> encoder, Decoder<S> decoder) {
        this.name = Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a state format needs a name");
        }
        if (version < 1) {
            throw new IllegalArgumentException("state format versions start at 1, got " + version);
        }
        if (oldestReadable < 1 || oldestReadable > version) {
            throw new IllegalArgumentException("the oldest readable version must be in [1, " + version + "], got "
                    + oldestReadable);
        }
        this.version = version;
        this.oldestReadable = oldestReadable;
        this.encoder = Objects.requireNonNull(encoder, "encoder");
        this.decoder = Objects.requireNonNull(decoder, "decoder");
    }

    /**
     * @param name the format's name, e.g. {@code serial.uart16550}, unique per kind of state
     * @param version this build's version; raise it whenever fields change meaning, are added or go
     */
    public static <S extends Record> StateFormat<S> of(String name, int version, Encoder<S> encoder,
            Decoder<S> decoder) {
        return new StateFormat<>(name, version, 1, encoder, decoder);
    }

    /**
     * A format whose versions below {@code oldestReadable} are refused rather than handed to the
     * decoder: they were written in a layout this build no longer reads (e.g. before the device used
     * this encoding at all).
     */
    public static <S extends Record> StateFormat<S> of(String name, int version, int oldestReadable,
            Encoder<S> encoder, Decoder<S> decoder) {
        return new StateFormat<>(name, version, oldestReadable, encoder, decoder);
    }

    public String name() {
        return name;
    }

    public int version() {
        return version;
    }

    /** Encodes {@code state} as a blob of this format and version. */
    public SavedStateBlob save(S state) {
        Objects.requireNonNull(state, "state");
        StateWriter out = new StateWriter();
        encoder.write(state, out);
        return new SavedStateBlob(name, version, out.toByteArray());
    }

    /**
     * Decodes a blob written by {@link #save} of this or an older version.
     *
     * @throws IllegalArgumentException naming the format and what is wrong: another format, a newer
     *     version, malformed bytes, a missing, mistyped or unknown field, or a value the record refuses
     */
    public S restore(SavedStateBlob blob) {
        Objects.requireNonNull(blob, "blob");
        if (!name.equals(blob.format())) {
            throw new IllegalArgumentException("saved state of format '" + blob.format() + "' given where '" + name
                    + "' is expected");
        }
        if (blob.version() < oldestReadable || blob.version() > version) {
            throw new IllegalArgumentException(name + " saved state: version " + blob.version() + " is "
                    + (blob.version() >= 1 && blob.version() < oldestReadable ? "no longer read" : "not supported")
                    + " (this build reads versions " + oldestReadable + " to " + version + ")");
        }
        try {
            StateReader in = StateReader.parse(blob.data(), blob.version());
            S state = decoder.read(in);
            in.requireAllRead();
            return Objects.requireNonNull(state, "decoder returned null");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " v" + blob.version() + " saved state: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return name + " v" + version;
    }
}
