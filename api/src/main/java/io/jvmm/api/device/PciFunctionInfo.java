package io.jvmm.api.device;

import java.util.List;
import java.util.Objects;

/**
 * The fixed part of a PCI function's type-0 configuration header (PCI Local Bus 3.0 §6.1), read once
 * when the board attaches the function to the bus. The bus keeps the registers the guest writes
 * (command, BARs, interrupt line, cache line size, latency timer).
 *
 * @param address where the function sits; only bus 0 exists
 * @param vendorId vendor ID (0x0000 and 0xFFFF are invalid)
 * @param deviceId device ID
 * @param revision revision ID
 * @param classCode class, subclass and programming interface as one 24-bit value (e.g. 0xFF0000)
 * @param subsystemVendorId subsystem vendor ID
 * @param subsystemId subsystem ID
 * @param interruptPin 0 for none, 1..4 for INTA..INTD; the function raises INTx on the GSI
 *     {@link PciPlatform#intxGsi}{@code (address.device(), interruptPin - 1)}
 * @param bars the BARs, at distinct, non-overlapping register indices
 * @param capabilities the capability list, in order
 */
public record PciFunctionInfo(PciAddress address, int vendorId, int deviceId, int revision, int classCode,
        int subsystemVendorId, int subsystemId, int interruptPin, List<PciBar> bars,
        List<PciCapability> capabilities) {
    /** The bytes from 0x40 to 0xFF the capability list may fill. */
    public static final int CAPABILITY_SPACE = 0xC0;

    public PciFunctionInfo {
        Objects.requireNonNull(address, "address");
        bars = List.copyOf(bars);
        capabilities = List.copyOf(capabilities);
        check16("vendor ID", vendorId);
        if (vendorId == 0 || vendorId == 0xFFFF) {
            throw new IllegalArgumentException("vendor ID 0x" + Integer.toHexString(vendorId) + " is invalid");
        }
        check16("device ID", deviceId);
        check16("subsystem vendor ID", subsystemVendorId);
        check16("subsystem ID", subsystemId);
        if (revision < 0 || revision > 0xFF) {
            throw new IllegalArgumentException("revision must be 0..0xff, was " + revision);
        }
        if (classCode < 0 || classCode > 0xFF_FFFF) {
            throw new IllegalArgumentException("class code must be 24 bits, was 0x" + Integer.toHexString(classCode));
        }
        if (interruptPin < 0 || interruptPin > 4) {
            throw new IllegalArgumentException("interrupt pin must be 0 (none) or 1..4 (INTA..INTD), was " + interruptPin);
        }
        boolean[] used = new boolean[6];
        for (PciBar bar : bars) {
            for (int r = bar.index(); r < bar.index() + bar.registers(); r++) {
                if (used[r]) {
                    throw new IllegalArgumentException("BAR register " + r + " is used twice");
                }
                used[r] = true;
            }
        }
        int space = 0;
        for (PciCapability c : capabilities) {
            space += (c.length() + 3) & ~3;
        }
        if (space > CAPABILITY_SPACE) {
            throw new IllegalArgumentException("the capabilities need " + space + " bytes (dword-aligned); "
                    + "config space has " + CAPABILITY_SPACE);
        }
    }

    private static void check16(String what, int v) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException(what + " must be 0..0xffff, was " + v);
        }
    }

    /** The BAR at register {@code index}, or null. */
    public PciBar bar(int index) {
        for (PciBar b : bars) {
            if (b.index() == index) {
                return b;
            }
        }
        return null;
    }
}
