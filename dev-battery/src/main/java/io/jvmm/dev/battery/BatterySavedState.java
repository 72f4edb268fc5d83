package io.jvmm.dev.battery;

import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.device.SavedStateBlob;
import java.nio.ByteBuffer;

/**
 * The battery's saved state, format {@value #FORMAT}.
 *
 * <p>Version 1, big-endian: notify bits (u32), flags (u8: bit 0 present, 1 charging,
 * 2 discharging, 3 AC online), rate mW, remaining mWh, max mWh (i64 each, non-negative).
 */
record BatterySavedState(int notifyBits, HostBatteryUpdate state) {
    static final String FORMAT = "firmware.battery";
    static final int VERSION = 1;
    private static final int SIZE = 4 + 1 + 3 * 8;

    static SavedStateBlob save(int notify, HostBatteryUpdate s) {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.putInt(notify);
        b.put((byte) ((s.present() ? 1 : 0) | (s.charging() ? 2 : 0) | (s.discharging() ? 4 : 0)
                | (s.acOnline() ? 8 : 0)));
        b.putLong(s.rateMilliwatts()).putLong(s.remainingMilliwattHours()).putLong(s.maxMilliwattHours());
        return new SavedStateBlob(FORMAT, VERSION, b.array());
    }

    /** Parses a blob completely before anything is changed. */
    static BatterySavedState restore(SavedStateBlob blob) {
        if (!FORMAT.equals(blob.format())) {
            throw new IllegalArgumentException("battery: saved state has format '" + blob.format()
                    + "', expected '" + FORMAT + "'");
        }
        if (blob.version() != VERSION) {
            throw new IllegalArgumentException("battery: saved state version " + blob.version()
                    + " is not supported (this build reads version " + VERSION + ")");
        }
        byte[] data = blob.data();
        if (data.length != SIZE) {
            throw new IllegalArgumentException("battery: saved state is " + data.length
                    + " bytes, expected " + SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        int notify = b.getInt();
        int flags = b.get() & 0xFF;
        long rate = b.getLong();
        long remaining = b.getLong();
        long max = b.getLong();
        if ((notify & ~BatteryDevice.NOTIFY_MASK) != 0) {
            throw new IllegalArgumentException("battery: saved notify bits 0x"
                    + Integer.toHexString(notify) + " are outside mask 0x3");
        }
        if ((flags & ~0xF) != 0) {
            throw new IllegalArgumentException("battery: saved flags 0x" + Integer.toHexString(flags)
                    + " have unknown bits");
        }
        if (rate < 0 || remaining < 0 || max < 0) {
            throw new IllegalArgumentException("battery: saved rate or capacity is negative");
        }
        return new BatterySavedState(notify, new HostBatteryUpdate((flags & 1) != 0, (flags & 2) != 0,
                (flags & 4) != 0, rate, remaining, max, (flags & 8) != 0));
    }
}
