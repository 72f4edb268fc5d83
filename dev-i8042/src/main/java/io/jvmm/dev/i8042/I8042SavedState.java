package io.jvmm.dev.i8042;

import io.jvmm.api.device.SavedStateBlob;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The saved state of the controller, its keyboard and its mouse, format {@code chipset.i8042}.
 *
 * <p>Version 1 layout, big-endian: controller RAM (32 bytes, byte 0 is the command byte), output
 * buffer (u8), output source (u8: 0 none, 1 controller, 2 keyboard, 3 mouse), last write was a
 * command (bool), data-port target (u16: a controller command, 0x100 keyboard, 0x101 mouse), A20
 * (bool); keyboard: queue length (u8) and bytes, scanning (bool), pending command (u8, 0 none),
 * last byte sent (u8), LEDs (u8), typematic (u8); mouse: queue length (u8) and bytes.
 */
final class I8042SavedState {
    private I8042SavedState() {}

    /** Everything restored, decoded and checked before any of it is applied. */
    record Snapshot(byte[] ram, int outputBuffer, int outputSource, boolean lastWriteWasCommand, int dataTarget,
            boolean a20, Ps2Keyboard.State keyboard, byte[] mouseQueue) {}

    static SavedStateBlob encode(Snapshot s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(s.ram());
            out.writeByte(s.outputBuffer());
            out.writeByte(s.outputSource());
            out.writeBoolean(s.lastWriteWasCommand());
            out.writeShort(s.dataTarget());
            out.writeBoolean(s.a20());
            Ps2Keyboard.State k = s.keyboard();
            writeQueue(out, k.queue());
            out.writeBoolean(k.scanning());
            out.writeByte(k.pendingCommand());
            out.writeByte(k.lastSent());
            out.writeByte(k.leds());
            out.writeByte(k.typematic());
            writeQueue(out, s.mouseQueue());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return new SavedStateBlob(I8042Device.SAVED_STATE_FORMAT, I8042Device.SAVED_STATE_VERSION, bytes.toByteArray());
    }

    /** Decodes and checks a blob; {@link IllegalArgumentException} names what is wrong. */
    static Snapshot decode(SavedStateBlob blob) {
        if (!blob.format().equals(I8042Device.SAVED_STATE_FORMAT)) {
            throw new IllegalArgumentException("i8042 saved state: format is '" + blob.format() + "', expected '"
                    + I8042Device.SAVED_STATE_FORMAT + "'");
        }
        if (blob.version() != I8042Device.SAVED_STATE_VERSION) {
            throw new IllegalArgumentException("i8042 saved state: version " + blob.version()
                    + " is not supported (this build reads version " + I8042Device.SAVED_STATE_VERSION + ")");
        }
        byte[] data = blob.data();
        Snapshot s;
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte[] ram = new byte[32];
            in.readFully(ram);
            int outputBuffer = in.readUnsignedByte();
            int outputSource = in.readUnsignedByte();
            boolean lastWriteWasCommand = in.readBoolean();
            int dataTarget = in.readUnsignedShort();
            boolean a20 = in.readBoolean();
            byte[] kq = readQueue(in);
            Ps2Keyboard.State k = new Ps2Keyboard.State(kq, in.readBoolean(), in.readUnsignedByte(),
                    in.readUnsignedByte(), in.readUnsignedByte(), in.readUnsignedByte());
            byte[] mq = readQueue(in);
            if (in.available() > 0) {
                throw new IllegalArgumentException("i8042 saved state: " + in.available() + " unexpected trailing bytes");
            }
            s = new Snapshot(ram, outputBuffer, outputSource, lastWriteWasCommand, dataTarget, a20, k, mq);
        } catch (EOFException e) {
            throw new IllegalArgumentException("i8042 saved state: truncated (" + data.length + " bytes)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String problem = check(s);
        if (problem != null) {
            throw new IllegalArgumentException("i8042 saved state: " + problem);
        }
        return s;
    }

    private static String check(Snapshot s) {
        if (s.outputSource() > I8042Device.SOURCE_MOUSE) {
            return "unknown output buffer source " + s.outputSource();
        }
        int t = s.dataTarget();
        boolean validTarget = t == I8042Device.TARGET_KEYBOARD || t == I8042Device.TARGET_MOUSE
                || (t >= 0x60 && t <= 0x7F) || (t >= 0xD1 && t <= 0xD3);
        if (!validTarget) {
            return "invalid data-port target 0x" + Integer.toHexString(t);
        }
        if (s.mouseQueue().length > Ps2Mouse.QUEUE_CAPACITY) {
            return "mouse queue of " + s.mouseQueue().length + " bytes exceeds " + Ps2Mouse.QUEUE_CAPACITY;
        }
        return Ps2Keyboard.check(s.keyboard());
    }

    private static void writeQueue(DataOutputStream out, byte[] queue) throws IOException {
        out.writeByte(queue.length);
        out.write(queue);
    }

    private static byte[] readQueue(DataInputStream in) throws IOException {
        byte[] q = new byte[in.readUnsignedByte()];
        in.readFully(q);
        return q;
    }
}
