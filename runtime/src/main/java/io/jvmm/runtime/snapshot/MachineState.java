package io.jvmm.runtime.snapshot;

import io.jvmm.api.device.SavedStateBlob;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything of a paused VM except RAM and payload: the partition's blob, one blob per vCPU (index
 * order) and one per device keyed by the device's board name. Encoded as {@code state.bin}:
 *
 * <pre>
 *   "JVMMSTAT"  8 bytes
 *   u32 version (1)
 *   u32 vCPU count, u32 device count
 *   blob partition
 *   blob vcpu[vCPU count]
 *   (utf name, blob) device[device count]
 * blob = utf format, u32 version, u32 length, length bytes
 * utf  = u16 length, modified UTF-8 bytes (DataOutput.writeUTF)
 * </pre>
 * All integers big-endian. Each blob carries its own format and version, checked by whoever restores
 * it; this file's version covers only the framing above.
 */
public record MachineState(SavedStateBlob partition, List<SavedStateBlob> vcpus, Map<String, SavedStateBlob> devices) {
    static final byte[] MAGIC = "JVMMSTAT".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    /** No real blob comes near this; a larger length is a corrupted file, not an allocation to try. */
    private static final int MAX_BLOB = 64 << 20;

    public MachineState {
        Objects.requireNonNull(partition, "partition");
        vcpus = List.copyOf(vcpus);
        devices = Collections.unmodifiableMap(new LinkedHashMap<>(devices));
    }

    /** The bytes of {@code state.bin}. */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(vcpus.size());
            out.writeInt(devices.size());
            writeBlob(out, partition);
            for (SavedStateBlob v : vcpus) {
                writeBlob(out, v);
            }
            for (Map.Entry<String, SavedStateBlob> d : devices.entrySet()) {
                out.writeUTF(d.getKey());
                writeBlob(out, d.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeBlob(DataOutputStream out, SavedStateBlob blob) throws IOException {
        byte[] data = blob.data();
        out.writeUTF(blob.format());
        out.writeInt(blob.version());
        out.writeInt(data.length);
        out.write(data);
    }

    /**
     * Parses {@code state.bin}.
     *
     * @param what how to name the file in messages
     * @throws SnapshotException (a configuration error) naming what is wrong
     */
    public static MachineState decode(byte[] file, String what) throws SnapshotException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(file));
        String part = "its header";
        try {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new SnapshotException(what + " is not a jvmm state file (it does not start with JVMMSTAT)", true);
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new SnapshotException(what + " has state-file version " + version + "; this jvmm reads version "
                        + VERSION, true);
            }
            int vcpuCount = in.readInt();
            int deviceCount = in.readInt();
            if (vcpuCount < 1 || vcpuCount > 1024 || deviceCount < 0 || deviceCount > 4096) {
                throw new SnapshotException(what + " is corrupted: it claims " + vcpuCount + " vCPUs and "
                        + deviceCount + " devices", true);
            }
            part = "the partition's state";
            SavedStateBlob partition = readBlob(in, what, part);
            SavedStateBlob[] vcpus = new SavedStateBlob[vcpuCount];
            for (int i = 0; i < vcpuCount; i++) {
                part = "vCPU " + i + "'s state";
                vcpus[i] = readBlob(in, what, part);
            }
            Map<String, SavedStateBlob> devices = new LinkedHashMap<>();
            for (int i = 0; i < deviceCount; i++) {
                part = "device " + (i + 1) + " of " + deviceCount;
                String name = in.readUTF();
                part = "device " + name + "'s state";
                if (devices.put(name, readBlob(in, what, part)) != null) {
                    throw new SnapshotException(what + " is corrupted: device " + name + " is in it twice", true);
                }
            }
            if (in.available() > 0) {
                throw new SnapshotException(what + " is corrupted: " + in.available() + " bytes follow its last device",
                        true);
            }
            return new MachineState(partition, List.of(vcpus), devices);
        } catch (EOFException e) {
            throw new SnapshotException(what + " is truncated: it ends inside " + part, true, e);
        } catch (IOException e) {
            throw new SnapshotException(what + " is corrupted in " + part + ": " + e.getMessage(), true, e);
        }
    }

    private static SavedStateBlob readBlob(DataInputStream in, String what, String part) throws IOException, SnapshotException {
        String format = in.readUTF();
        int version = in.readInt();
        int length = in.readInt();
        if (length < 0 || length > MAX_BLOB) {
            throw new SnapshotException(what + " is corrupted: " + part + " (format " + format + ") claims " + Integer.toUnsignedString(length)
                    + " bytes", true);
        }
        if (length > in.available()) {
            throw new EOFException();
        }
        byte[] data = new byte[length];
        in.readFully(data);
        return new SavedStateBlob(format, version, data);
    }
}
