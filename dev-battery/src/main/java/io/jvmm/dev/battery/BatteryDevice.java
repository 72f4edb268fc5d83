package io.jvmm.dev.battery;

import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.LogRateLimiter;
import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Hyper-V virtual battery: a block of 32-bit MMIO registers that the firmware's ACPI code
 * (_STA, _BST, _PSR) reads, plus a notification line raised whenever the host's battery changes.
 *
 * <p>Host updates arrive on the battery source's thread. They go into a one-slot mailbox (the
 * newest wins: each update is a full state, so a skipped one loses nothing) and wake the device;
 * {@link #applyHostUpdate()} (the device's poll) applies them under the device's lock, like every
 * other method here.
 */
final class BatteryDevice implements ChipsetDevice, MmioIntercept, DeviceLifecycle, SaveRestore {
    private static final System.Logger LOG = System.getLogger(BatteryDevice.class.getName());

    static final int REG_STA = 0x00;
    static final int REG_BST_STATE = 0x04;
    static final int REG_BST_RATE = 0x08;
    static final int REG_BST_REMAINING = 0x0C;
    static final int REG_PSR = 0x10;
    static final int REG_NOTIFY_STATUS = 0x14;
    static final int REG_NOTIFY_CLEAR = 0x18;

    /** _STA: present, enabled, shown in UI, functioning, battery present. */
    static final int STA_PRESENT = 0x1F;
    /** _STA: the device exists but no battery is inserted. */
    static final int STA_ABSENT = 0x0F;
    static final int BST_DISCHARGING = 1;
    static final int BST_CHARGING = 2;
    /** ACPI's "unknown" for rate and capacity. */
    static final int UNKNOWN = 0xFFFF_FFFF;
    /** The capacity the DSDT declares; host values are scaled to it. */
    static final long DESIGN_CAPACITY = 5000;

    /** "_BST changed": defined by the firmware but no longer raised. */
    static final int NOTIFY_BST = 0x1;
    /** "_BIX changed": raised on every host update. */
    static final int NOTIFY_BIX = 0x2;
    static final int NOTIFY_MASK = NOTIFY_BST | NOTIFY_BIX;

    private static final long U32_MAX = 0xFFFF_FFFFL;

    private final BatteryLayout layout;
    private final List<IoRegion> regions;
    private final LineInterrupt line;
    private final DeviceWaker waker;
    private final AtomicReference<HostBatteryUpdate> mailbox = new AtomicReference<>();
    // The poll work, as its own object (PollDevice.poll() runs on the board's device thread).
    private final Capabilities capabilities;
    private final LogRateLimiter warnings = new LogRateLimiter(5, TimeUnit.SECONDS.toNanos(60), System::nanoTime);

    // Guest-visible state; guarded by the device lock the board holds around every call.
    private HostBatteryUpdate state;
    private int pendingNotify;
    // The host's newest applied state, offered again after a reset (see reset()).
    private HostBatteryUpdate lastFromHost;
    // Register values derived from state, so reads compute nothing.
    private int sta;
    private int bstState;
    private int bstRate;
    private int bstRemaining;
    private int psr;

    BatteryDevice(BatteryLayout layout, LineInterrupt line, DeviceWaker waker) {
        this.layout = layout;
        this.regions = List.of(new IoRegion("battery", layout.mmioBase, BatteryLayout.SIZE));
        this.line = line;
        this.waker = waker;
        // On x86 the battery and its AC adapter are ACPI nodes; the notification line is a GPE0 bit.
        this.capabilities = Capabilities.builder()
                .mmio(this).pollDevice(this::applyHostUpdate).lifecycle(this).savedState(this)
                .acpiNodes(layout == BatteryLayout.X64 ? BatteryAcpi.nodes(layout.vector) : List.of()).build();
        apply(BatterySavedState.initial());
    }

    /** Called on the source's thread for every host update. Never blocks. */
    void hostUpdate(HostBatteryUpdate update) {
        mailbox.set(update);
        waker.wake();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    // ---- MMIO (vCPU path: no allocation) ----

    @Override
    public List<IoRegion> mmioRegions() {
        return regions;
    }

    @Override
    public IoResult mmioRead(int region, long offset, byte[] data) {
        IoResult check = check(offset, data);
        if (check != IoResult.OK) {
            return check;
        }
        IoData.put(data, register((int) offset) & U32_MAX);
        return IoResult.OK;
    }

    private int register(int offset) {
        switch (offset) {
            case REG_STA:
                return sta;
            case REG_BST_STATE:
                return bstState;
            case REG_BST_RATE:
                return bstRate;
            case REG_BST_REMAINING:
                return bstRemaining;
            case REG_PSR:
                return psr;
            case REG_NOTIFY_STATUS:
                return pendingNotify;
            default:
                return 0;
        }
    }

    @Override
    public IoResult mmioWrite(int region, long offset, byte[] data) {
        IoResult check = check(offset, data);
        if (check != IoResult.OK) {
            return check;
        }
        if (offset == REG_NOTIFY_CLEAR) {
            pendingNotify &= ~((int) IoData.get(data) & NOTIFY_MASK);
            line.setLevel(pendingNotify != 0);
        } else {
            long suppressed = warnings.tryAcquire();
            if (suppressed != LogRateLimiter.SUPPRESSED) {
                LOG.log(System.Logger.Level.WARNING, "battery: ignored write of " + IoData.get(data)
                        + " to read-only offset " + offset + " (" + suppressed + " similar warnings suppressed)");
            }
        }
        return IoResult.OK;
    }

    /** Every register is 32 bits wide and 32-bit aligned. */
    private static IoResult check(long offset, byte[] data) {
        if (data.length != 4) {
            return IoResult.INVALID_ACCESS_SIZE;
        }
        if ((offset & 3) != 0) {
            return IoResult.UNALIGNED_ACCESS;
        }
        return IoResult.OK;
    }

    // ---- host updates ----

    /** The device's poll: applies the newest host update, if one arrived. */
    void applyHostUpdate() {
        HostBatteryUpdate update = mailbox.getAndSet(null);
        if (update != null) {
            lastFromHost = update;
            state = normalize(update);
            pendingNotify |= NOTIFY_BIX;
            derive();
            // Every update is a rising edge, also while an earlier one is still unacknowledged: a GPE
            // status bit the OS cleared without acknowledging the device is set again.
            if (line.level()) {
                line.setLevel(false);
            }
            line.setLevel(true);
        }
    }

    /** A "present" battery without a full capacity cannot be scaled, so it is reported absent. */
    static HostBatteryUpdate normalize(HostBatteryUpdate u) {
        if (u.present() && u.maxMilliwattHours() == 0) {
            return new HostBatteryUpdate(false, u.charging(), u.discharging(), u.rateMilliwatts(),
                    u.remainingMilliwattHours(), 0, u.acOnline());
        }
        return u;
    }

    private void derive() {
        boolean present = state.present();
        sta = present ? STA_PRESENT : STA_ABSENT;
        if (!present) {
            bstState = 0;
        } else if (state.charging()) {
            bstState = BST_CHARGING;
        } else if (state.discharging()) {
            bstState = BST_DISCHARGING;
        } else {
            bstState = 0; // neither: full, or not charging on AC
        }
        long max = state.maxMilliwattHours();
        bstRate = present && max != 0 ? (int) scale(state.rateMilliwatts(), max) : UNKNOWN;
        bstRemaining = present && max != 0 ? (int) scale(state.remainingMilliwattHours(), max) : UNKNOWN;
        psr = state.acOnline() ? 1 : 0;
    }

    /**
     * {@code value * 5000 / max}, saturated to 32 bits. Exact for any inputs (OpenVMM saturates the
     * 32-bit product instead, which only differs for capacities above ~859 Wh).
     */
    static long scale(long value, long max) {
        long result;
        if (value <= Long.MAX_VALUE / DESIGN_CAPACITY) {
            result = value * DESIGN_CAPACITY / max;
        } else {
            BigInteger exact = BigInteger.valueOf(value).multiply(BigInteger.valueOf(DESIGN_CAPACITY))
                    .divide(BigInteger.valueOf(max));
            result = exact.bitLength() > 32 ? U32_MAX : exact.longValue();
        }
        return Math.min(result, U32_MAX);
    }

    // ---- lifecycle ----

    /**
     * Applies a host state that is already waiting (a source delivers one at subscribe, and
     * {@link #reset()} offers the last one again) before the guest runs, so the guest sees the
     * battery from its first instruction instead of only after the device thread's first poll.
     */
    @Override
    public void start() {
        applyHostUpdate();
    }

    /**
     * Back to power-on: no battery, no pending notification, line low. The host's battery has not
     * gone away, though: its last state is offered again and shows up (with a notification) when
     * the VM starts again, just as it did at first boot. Without this a rebooted
     * guest would see no battery until the host's state next changed, which for a fixed source is
     * never.
     */
    @Override
    public void reset() {
        apply(BatterySavedState.initial());
        if (lastFromHost != null) {
            mailbox.compareAndSet(null, lastFromHost);
            waker.wake();
        }
    }

    // ---- saved state ----

    @Override
    public SavedStateBlob save() {
        return BatterySavedState.FORMAT.save(new BatterySavedState(pendingNotify, state));
    }

    /** Decodes and checks all of {@code blob} first: a bad blob throws and changes nothing. */
    @Override
    public void restore(SavedStateBlob blob) {
        apply(BatterySavedState.FORMAT.restore(blob));
    }

    /** Makes {@code s} the state: the registers are derived from it and the line follows the notify bits. */
    private void apply(BatterySavedState s) {
        state = s.state();
        pendingNotify = s.notifyBits();
        derive();
        line.setLevel(pendingNotify != 0);
    }

    // ---- for tests ----

    int notifyBits() {
        return pendingNotify;
    }

    HostBatteryUpdate state() {
        return state;
    }
}
