package io.jvmm.dev.pcibus;

import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciConfigSpace;

/**
 * An Intel 440FX host bridge at 00:00.0, as guests expect to find first on a PC's bus 0: type-0
 * header, class 06/00/00, no BARs. Only the command register's meaningful bits and the latency
 * timer are writable; everything else ignores writes.
 */
final class HostBridge implements PciConfigSpace {
    static final PciAddress ADDRESS = new PciAddress(0, 0, 0);
    static final int VENDOR_INTEL = 0x8086;
    static final int DEVICE_I440FX = 0x1237;
    static final int REVISION = 0x02;
    /** Memory space and bus master enabled, as firmware leaves a host bridge. */
    static final int COMMAND_INITIAL = 0x0006;
    /** Memory space, bus master, parity error response, SERR#. */
    static final int COMMAND_WRITABLE = 0x0146;
    /** Fast back-to-back capable, medium DEVSEL timing. */
    static final int STATUS = 0x0280;
    static final int CONFIG_SIZE = 256;

    static final int OFF_COMMAND = 0x04;
    static final int OFF_LATENCY_TIMER = 0x0D;

    private final byte[] config = new byte[CONFIG_SIZE];

    HostBridge() {
        java.util.Arrays.fill(config, (byte) 0);
        java.util.Arrays.fill(config, (byte) 0);
        put16(0x00, VENDOR_INTEL);
        put16(0x02, DEVICE_I440FX);
        put16(OFF_COMMAND, COMMAND_INITIAL);
        put16(0x06, STATUS);
        config[0x08] = REVISION;
        config[0x09] = 0x00; // programming interface
        config[0x0A] = 0x00; // subclass: host bridge
        config[0x0B] = 0x06; // class: bridge
        config[0x0E] = 0x00; // header type 0, single function
        restore(COMMAND_INITIAL, 0);
    }

    private void put16(int offset, int value) {
        config[offset] = (byte) value;
        config[offset + 1] = (byte) (value >>> 8);
    }

    int command() {
        return (config[OFF_COMMAND] & 0xFF) | (config[OFF_COMMAND + 1] & 0xFF) << 8;
    }

    int latencyTimer() {
        return config[OFF_LATENCY_TIMER] & 0xFF;
    }

    /** Sets the writable bytes (reset and restore); the command is masked as a guest write would be. */
    void restore(int command, int latencyTimer) {
        put16(OFF_COMMAND, command & COMMAND_WRITABLE);
        config[OFF_LATENCY_TIMER] = (byte) latencyTimer;
    }

    @Override
    public PciAddress address() {
        return ADDRESS;
    }

    @Override
    public IoResult pciConfigRead(int offset, byte[] data) {
        if (offset < 0 || offset + data.length > CONFIG_SIZE) {
            return IoResult.INVALID_REGISTER;
        }
        System.arraycopy(config, offset, data, 0, data.length);
        return IoResult.OK;
    }

    @Override
    public IoResult pciConfigWrite(int offset, byte[] data) {
        if (offset < 0 || offset + data.length > CONFIG_SIZE) {
            return IoResult.INVALID_REGISTER;
        }
        for (int i = 0; i < data.length; i++) {
            int at = offset + i;
            int mask = writableMask(at);
            config[at] = (byte) ((config[at] & ~mask) | (data[i] & mask));
        }
        return IoResult.OK;
    }

    private static int writableMask(int offset) {
        switch (offset) {
            case OFF_COMMAND: return COMMAND_WRITABLE & 0xFF;
            case OFF_COMMAND + 1: return COMMAND_WRITABLE >>> 8;
            case OFF_LATENCY_TIMER: return 0xFF;
            default: return 0;
        }
    }

    @Override
    public String toString() {
        return "i440FX host bridge at " + ADDRESS + " (command 0x"
                + Integer.toHexString(command()) + ")";
    }
}
