package io.jvmm.virtio;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.MessageInterrupts;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciBar;
import io.jvmm.api.device.PciBarKind;
import io.jvmm.api.device.PciCapability;
import io.jvmm.api.device.PciDoorbell;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.device.PciFunctionInfo;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.LogRateLimiter;
import io.jvmm.api.support.MsixTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A virtio device on PCI, modern interface only (virtio 1.2 §4.1): PCI vendor 0x1AF4, device ID
 * 0x1040 + the virtio device ID, revision 1 (§4.1.2.1). One 64-bit memory BAR (BAR 0, 16 KiB) holds
 * the common configuration (offset 0x0000), the ISR status byte (0x1000), the device configuration
 * (0x2000) and the notification area (0x3000, 4 bytes per queue), each announced by a vendor
 * capability (§4.1.4).
 *
 * <p>Interrupts: when the board delivers message-signalled interrupts
 * ({@link BoardServices#messageInterrupts()}), the function also has an MSI-X capability with
 * {@code queueCount() + 1} vectors whose table (offset 0) and PBA live in a second 64-bit BAR,
 * {@link #MSIX_BAR}; the driver maps the configuration change and each queue to a vector through
 * {@code config_msix_vector} and {@code queue_msix_vector} (§4.1.5.1.2), and while MSI-X is
 * enabled INTx stays deasserted (PCI 3.0 §6.8.2.3). Otherwise, and whenever MSI-X is disabled, the
 * ISR's bits drive INTA, on GSI {@link PciPlatform#intxGsi}(slot, 0). Without MSI delivery the
 * device has neither the capability nor the second BAR.
 *
 * <p>A notification (an MMIO write on a vCPU) only marks the queue and wakes the device's poll; the
 * queue is processed on the board's device thread. Each queue's notify register is also declared a
 * {@link PciDoorbell} (for 2- and 4-byte writes, what drivers use: Linux's {@code vp_notify} writes
 * the queue index as 16 bits), so where the hypervisor can absorb the write (KVM's ioeventfd) the
 * board calls {@link #doorbellRung} from a host thread instead and the vCPU never leaves the guest;
 * both paths end in the same marking. VIRTIO_F_EVENT_IDX is offered for every device (see
 * {@link VirtQueue} for how the queue uses it). A driver that breaks the queue protocol gets
 * DEVICE_NEEDS_RESET (§2.1.2) and a configuration-change interrupt; its queues stop until reset.
 * The PCI configuration access capability (§4.1.4.9) gives a driver that cannot map BARs a window
 * into them through configuration space.
 *
 * <p><b>Saved state</b> ({@link SaveRestore}, one blob per device, format {@code virtio.pci}): see
 * {@link TransportState}; the device type's own state is nested in it. It is taken while the board's
 * device runner is stopped: {@code DeviceRunner.stop()} gives every device one last poll, then
 * waits for any poll in flight and guarantees no further poll until it starts again, and with the
 * vCPUs paused no register access arrives. The device types serve every request inside
 * {@link VirtioDevice#process} (virtio-blk's file I/O too), so nothing is in flight outside guest
 * memory then: what a device still holds is a popped chain ({@link VirtioDevice#heldChains}), which
 * the state puts back into the ring for the restored device to pop again. A notification may still
 * be on its way at that moment (a doorbell the hypervisor absorbed and the board has not reported),
 * so a restored device treats every enabled queue as notified: it looks at each ring once when it
 * runs, which a device may always do (a notification only says "look"; a device may suppress them
 * and poll instead, §2.7.10). Restoring re-creates what the running device had: the MSI-X table,
 * the INTx level, and a poll when the runner starts; the board maps the BARs (and with them the
 * doorbells) from the PCI bus's own saved state.
 */
public final class VirtioPciDevice implements ChipsetDevice, PciFunction, PollDevice, DeviceLifecycle, SaveRestore {
    private static final System.Logger LOG = System.getLogger(VirtioPciDevice.class.getName());

    public static final int VENDOR = 0x1AF4;
    /** §4.1.2: modern device IDs are 0x1040 + the virtio device ID. */
    public static final int DEVICE_ID_BASE = 0x1040;

    /** §2.1: device status bits. */
    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FEATURES_OK = 8;
    public static final int STATUS_DEVICE_NEEDS_RESET = 64;
    public static final int STATUS_FAILED = 128;

    /** §6: transport feature bits. */
    public static final long F_RING_INDIRECT_DESC = 1L << 28;
    /** §6, §2.7.10: the used_event / avail_event fields suppress interrupts and notifications. */
    public static final long F_EVENT_IDX = 1L << 29;
    public static final long F_VERSION_1 = 1L << 32;
    private static final long TRANSPORT_FEATURES = F_VERSION_1 | F_RING_INDIRECT_DESC | F_EVENT_IDX;

    /** §4.1.4: capability cfg_type values. */
    public static final int CAP_COMMON = 1;
    public static final int CAP_NOTIFY = 2;
    public static final int CAP_ISR = 3;
    public static final int CAP_DEVICE = 4;
    /** §4.1.4.9: the PCI configuration access capability, a window into the BARs through config space. */
    public static final int CAP_PCI_CFG = 5;
    /** Offsets in struct virtio_pci_cfg_cap (§4.1.4.9): cap.bar, cap.offset, cap.length, pci_cfg_data. */
    static final int CFG_BAR = 4;
    static final int CFG_OFFSET = 8;
    static final int CFG_LENGTH = 12;
    static final int CFG_DATA = 16;
    static final int CFG_CAP_LENGTH = 20;
    /** The vendor-specific capability ID (PCI 3.0 Appendix H). */
    public static final int PCI_CAP_VENDOR = 0x09;

    public static final int BAR = 0;
    public static final long BAR_SIZE = 0x4000;
    public static final int COMMON_OFFSET = 0x0000;
    public static final int COMMON_LENGTH = 0x38;
    public static final int ISR_OFFSET = 0x1000;
    public static final int DEVICE_OFFSET = 0x2000;
    public static final int NOTIFY_OFFSET = 0x3000;
    public static final int NOTIFY_MULTIPLIER = 4;
    /** §4.1.4.3: VIRTIO_MSI_NO_VECTOR, no vector (what the vector fields read without MSI-X). */
    static final int NO_VECTOR = 0xFFFF;
    /** The BAR (a 64-bit one, registers 2-3) holding the MSI-X table and PBA, when there is MSI-X. */
    public static final int MSIX_BAR = 2;
    /** The MSI-X PBA's offset in {@link #MSIX_BAR}: after the table, at a 2 KiB boundary. */
    private static final int MSIX_PBA_ALIGN = 0x800;

    private final String name;
    private final VirtioDevice device;
    private final DmaMemory memory;
    private final DeviceWaker waker;
    private final LineInterrupt intx;
    private final PciFunctionInfo info;
    private final byte[][] capBytes;
    private final VirtQueue[] queues;
    /** Per queue, 1 when notified: set by barWrite (vCPU) or doorbellRung (a host thread), taken by poll. */
    private final AtomicIntegerArray pending;
    private final List<PciDoorbell> doorbells;
    private final long offered;
    private final LogRateLimiter errorLog = new LogRateLimiter(5);
    private final Capabilities capabilities;
    /** Null without MSI delivery. */
    private final MsixTable msix;
    /** The MSI-X capability's index in {@link #info}'s list; -1 without it. */
    private final int msixCapability;
    /** The index of the PCI configuration access capability in {@link #capBytes}. */
    private final int pciCfgCapability;
    /** Scratch for the window's BAR accesses, one per legal length (1, 2, 4): nothing allocated per access. */
    private final byte[][] pciCfgScratch = {null, new byte[1], new byte[2], null, new byte[4]};
    private final int[] queueVectors;
    private int configVector = NO_VECTOR;

    private int deviceFeatureSelect;
    private int driverFeatureSelect;
    private long driverFeatures;
    private int status;
    private int configGeneration;
    private int queueSelect;
    private int isr;
    private int command;

    /**
     * @param name the device's name, for logs
     * @param address where it sits on bus 0
     * @param device the device type
     * @param board its board services (INTx line, guest memory, waker)
     */
    public VirtioPciDevice(String name, PciAddress address, VirtioDevice device, BoardServices board) {
        this.name = name;
        this.device = device;
        this.memory = board.guestMemory();
        this.waker = board.waker();
        this.intx = board.newLine(LineSets.IRQ, "intx", PciPlatform.intxGsi(address.device(), 0));
        this.offered = (device.features() & ~TRANSPORT_FEATURES) | TRANSPORT_FEATURES;
        int n = device.queueCount();
        if (n < 1 || n > 0x400) {
            throw new IllegalArgumentException(name + ": a virtio device needs 1..1024 queues, has " + n);
        }
        queues = new VirtQueue[n];
        pending = new AtomicIntegerArray(n);
        List<PciDoorbell> bells = new ArrayList<>();
        for (int q = 0; q < n; q++) {
            bells.add(new PciDoorbell(BAR, NOTIFY_OFFSET + (long) NOTIFY_MULTIPLIER * q, 2, OptionalLong.empty()));
            bells.add(new PciDoorbell(BAR, NOTIFY_OFFSET + (long) NOTIFY_MULTIPLIER * q, 4, OptionalLong.empty()));
        }
        doorbells = List.copyOf(bells);
        queueVectors = new int[n];
        Arrays.fill(queueVectors, NO_VECTOR);
        for (int q = 0; q < n; q++) {
            int max = device.maxQueueSize(q);
            if (max < 1 || max > 32768 || Integer.bitCount(max) != 1) {
                throw new IllegalArgumentException(name + ": queue " + q + " size " + max + " is not a power of two <= 32768");
            }
            queues[q] = new VirtQueue(q, max, memory);
        }
        if (device.configSize() < 0 || device.configSize() > 0x1000) {
            throw new IllegalArgumentException(name + ": device config must be 0..4096 bytes");
        }
        List<byte[]> caps = new ArrayList<>();
        caps.add(cap(CAP_COMMON, COMMON_OFFSET, COMMON_LENGTH, 16));
        caps.add(cap(CAP_ISR, ISR_OFFSET, 4, 16));
        byte[] notify = cap(CAP_NOTIFY, NOTIFY_OFFSET, NOTIFY_MULTIPLIER * n, 20);
        notify[16] = NOTIFY_MULTIPLIER; // notify_off_multiplier, le32 (§4.1.4.4)
        caps.add(notify);
        if (device.configSize() > 0) {
            caps.add(cap(CAP_DEVICE, DEVICE_OFFSET, device.configSize(), 16));
        }
        // §4.1.4.9: "The device MUST present at least one VIRTIO_PCI_CAP_PCI_CFG capability"; its bar,
        // offset and length start at 0 and are the driver's to write
        byte[] pciCfg = cap(CAP_PCI_CFG, 0, 0, CFG_CAP_LENGTH);
        pciCfgCapability = caps.size();
        caps.add(pciCfg);
        capBytes = caps.toArray(new byte[0][]);
        List<PciCapability> list = new ArrayList<>();
        for (byte[] c : capBytes) {
            list.add(new PciCapability(PCI_CAP_VENDOR, c.length));
        }
        List<PciBar> bars = new ArrayList<>();
        bars.add(new PciBar(BAR, PciBarKind.MMIO64, BAR_SIZE, false));
        Optional<MessageInterrupts> messages = board.messageInterrupts();
        if (messages.isPresent()) {
            // one vector for configuration changes and one per queue, as Linux's virtio_pci asks first
            int vectors = n + 1;
            long pbaOffset = ((long) vectors * MsixTable.ENTRY_SIZE + MSIX_PBA_ALIGN - 1) & -MSIX_PBA_ALIGN;
            msix = new MsixTable(vectors, MSIX_BAR, 0, MSIX_BAR, pbaOffset, messages.get());
            long end = pbaOffset + msix.pbaBytes();
            bars.add(new PciBar(MSIX_BAR, PciBarKind.MMIO64, Math.max(0x1000, Long.highestOneBit(end - 1) << 1), false));
            msixCapability = list.size();
            list.add(msix.capability());
        } else {
            msix = null;
            msixCapability = -1;
        }
        info = new PciFunctionInfo(address, VENDOR, DEVICE_ID_BASE + device.deviceId(), 1, device.pciClassCode(),
                VENDOR, 0x40 + device.deviceId(), 1, bars, list);
        capabilities = Capabilities.builder().pciFunction(this).pollDevice(this).lifecycle(this).savedState(this)
                .build();
    }

    /** struct virtio_pci_cap (§4.1.4): vndr, next, len, cfg_type, bar, id, padding[2], offset, length. */
    private static byte[] cap(int type, int offset, int length, int capLen) {
        byte[] c = new byte[capLen];
        c[2] = (byte) capLen;
        c[3] = (byte) type;
        c[4] = BAR;
        put32(c, 8, offset);
        put32(c, 12, length);
        return c;
    }

    private static int get32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    private static void put32(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public PciFunctionInfo info() {
        return info;
    }

    /** The current device status byte. */
    public int status() {
        return status;
    }

    // --- configuration space -----------------------------------------------------------------

    /** Whether the function has an MSI-X capability (the board delivers MSIs). */
    public boolean hasMsix() {
        return msix != null;
    }

    @Override
    public IoResult capabilityRead(int capability, int offset, byte[] data) {
        if (capability == msixCapability) {
            msix.capabilityRead(offset, data);
            return IoResult.OK;
        }
        byte[] c = capBytes[capability];
        if (capability == pciCfgCapability && offset < CFG_CAP_LENGTH && offset + data.length > CFG_DATA) {
            pciCfgAccess(false); // a read of pci_cfg_data is a read of the BAR it points at
        }
        for (int i = 0; i < data.length; i++) {
            data[i] = offset + i < c.length ? c[offset + i] : 0;
        }
        return IoResult.OK;
    }

    @Override
    public IoResult capabilityWrite(int capability, int offset, byte[] data) {
        if (capability == msixCapability) {
            msix.capabilityWrite(offset, data); // may send messages that were pending
            updateIntx(); // INTx is off while MSI-X is enabled, and back when it is disabled
        }
        if (capability == pciCfgCapability) {
            byte[] c = capBytes[capability];
            boolean dataWritten = false;
            for (int i = 0; i < data.length; i++) {
                int at = offset + i;
                // writable: cap.bar (byte 4), cap.offset, cap.length and pci_cfg_data; the rest is fixed
                if (at == CFG_BAR || (at >= CFG_OFFSET && at < CFG_CAP_LENGTH)) {
                    c[at] = data[i];
                    dataWritten |= at >= CFG_DATA;
                }
            }
            if (dataWritten) {
                pciCfgAccess(true);
            }
        }
        return IoResult.OK; // the other virtio capabilities are read-only
    }

    /**
     * Carries out an access through the configuration access window (§4.1.4.9): {@code cap.length}
     * bytes at {@code cap.offset} of BAR {@code cap.bar}, from or into the first bytes of
     * {@code pci_cfg_data}. The driver must use a length of 1, 2 or 4 and an offset aligned to it
     * (§4.1.4.9.2); anything else, or a BAR the function does not have, is ignored (a read leaves
     * the data bytes as they are).
     */
    private void pciCfgAccess(boolean write) {
        byte[] c = capBytes[pciCfgCapability];
        int bar = c[CFG_BAR] & 0xFF;
        long offset = get32(c, CFG_OFFSET) & 0xFFFF_FFFFL;
        long length = get32(c, CFG_LENGTH) & 0xFFFF_FFFFL;
        if ((length != 1 && length != 2 && length != 4) || offset % length != 0
                || !(bar == BAR || (msix != null && bar == MSIX_BAR))) {
            return;
        }
        byte[] scratch = pciCfgScratch[(int) length];
        if (write) {
            System.arraycopy(c, CFG_DATA, scratch, 0, scratch.length);
            barWrite(bar, offset, scratch);
        } else {
            barRead(bar, offset, scratch);
            System.arraycopy(scratch, 0, c, CFG_DATA, scratch.length);
        }
    }

    @Override
    public void commandWritten(int command) {
        this.command = command;
        if (msix != null) {
            msix.busMasterChanged((command & COMMAND_BUS_MASTER) != 0); // no message while DMA is off
        }
        updateIntx();
        if ((command & COMMAND_BUS_MASTER) != 0) {
            waker.wake(); // notifications that arrived while DMA was off
        }
    }

    // --- BAR 0 -------------------------------------------------------------------------------

    @Override
    public IoResult barRead(int bar, long offset, byte[] data) {
        int len = data.length;
        if (msix != null && bar == MSIX_BAR) {
            msix.barRead(bar, offset, data);
            return IoResult.OK;
        }
        if (bar != BAR || offset < 0 || offset + len > BAR_SIZE) {
            IoData.fillOnes(data);
            return IoResult.OK;
        }
        int off = (int) offset;
        if (off < COMMON_OFFSET + COMMON_LENGTH) {
            IoData.put(data, commonRead(off, len));
        } else if (off >= ISR_OFFSET && off < ISR_OFFSET + 4) {
            // §4.1.4.5.1: reading the ISR clears it and deasserts INTx
            IoData.put(data, off == ISR_OFFSET ? isr : 0);
            if (off == ISR_OFFSET) {
                isr = 0;
                updateIntx();
            }
        } else if (off >= DEVICE_OFFSET && off + len <= DEVICE_OFFSET + device.configSize()) {
            device.readConfig(off - DEVICE_OFFSET, data);
        } else {
            IoData.put(data, 0);
        }
        return IoResult.OK;
    }

    @Override
    public IoResult barWrite(int bar, long offset, byte[] data) {
        int len = data.length;
        if (msix != null && bar == MSIX_BAR) {
            msix.barWrite(bar, offset, data);
            return IoResult.OK;
        }
        if (bar != BAR || offset < 0 || offset + len > BAR_SIZE) {
            return IoResult.OK;
        }
        int off = (int) offset;
        if (off < COMMON_OFFSET + COMMON_LENGTH) {
            commonWrite(off, len, IoData.get(data));
        } else if (off >= DEVICE_OFFSET && off + len <= DEVICE_OFFSET + device.configSize()) {
            device.writeConfig(off - DEVICE_OFFSET, data);
        } else if (off >= NOTIFY_OFFSET && off < NOTIFY_OFFSET + NOTIFY_MULTIPLIER * queues.length) {
            // §4.1.5.2: the driver writes the queue's index at its notify address
            notifyQueue((off - NOTIFY_OFFSET) / NOTIFY_MULTIPLIER);
        }
        return IoResult.OK;
    }

    /** Two per queue, 2- and 4-byte writes of its notify register: doorbell {@code i} is queue {@code i / 2}'s. */
    @Override
    public List<PciDoorbell> doorbells() {
        return doorbells;
    }

    /** A notify write the hypervisor absorbed: the same as one arriving through {@link #barWrite}. */
    @Override
    public void doorbellRung(int index) {
        if (index >= 0 && index < 2 * queues.length) {
            notifyQueue(index / 2);
        }
    }

    private void notifyQueue(int q) {
        pending.set(q, 1);
        waker.wake();
    }

    /** Start and width of the common-configuration field holding {@code off} (§4.1.4.3), as start << 8 | width. */
    private static int field(int off) {
        if (off < 0x10) {
            return (off & ~3) << 8 | 4;
        }
        if (off < 0x14) {
            return (off & ~1) << 8 | 2;
        }
        if (off < 0x16) {
            return off << 8 | 1;
        }
        if (off < 0x20) {
            return (off & ~1) << 8 | 2;
        }
        return (off & ~7) << 8 | 8;
    }

    private long commonRead(int off, int len) {
        long v = 0;
        for (int i = 0; i < len; i++) {
            int f = field(off + i);
            int start = f >>> 8;
            v |= ((fieldValue(start) >>> (8 * (off + i - start))) & 0xFF) << (8 * i);
        }
        return v;
    }

    private VirtQueue selected() {
        return queueSelect < queues.length ? queues[queueSelect] : null;
    }

    private long fieldValue(int start) {
        VirtQueue q = selected();
        switch (start) {
            case 0x00: return deviceFeatureSelect;
            case 0x04: return deviceFeatureSelect < 2 ? (offered >>> (32 * deviceFeatureSelect)) & 0xFFFF_FFFFL : 0;
            case 0x08: return driverFeatureSelect;
            case 0x0C: return driverFeatureSelect < 2 ? (driverFeatures >>> (32 * driverFeatureSelect)) & 0xFFFF_FFFFL : 0;
            case 0x10: return configVector;
            case 0x12: return queues.length;
            case 0x14: return status;
            case 0x15: return configGeneration;
            case 0x16: return queueSelect;
            case 0x18: return q == null ? 0 : q.size;
            case 0x1A: return q == null ? NO_VECTOR : queueVectors[queueSelect];
            case 0x1C: return q != null && q.enabled ? 1 : 0;
            case 0x1E: return q == null ? 0 : queueSelect; // queue_notify_off
            case 0x20: return q == null ? 0 : q.desc;
            case 0x28: return q == null ? 0 : q.driver;
            case 0x30: return q == null ? 0 : q.device;
            default: return 0;
        }
    }

    private void commonWrite(int off, int len, long value) {
        int f = field(off);
        int start = f >>> 8;
        int width = f & 0xFF;
        if (off + len > start + width) {
            return; // an access across fields: not something a driver does (§4.1.3.1)
        }
        int shift = 8 * (off - start);
        long mask = (len == 8 ? -1L : (1L << (8 * len)) - 1) << shift;
        long merged = (fieldValue(start) & ~mask) | ((value << shift) & mask);
        VirtQueue q = selected();
        switch (start) {
            case 0x00: deviceFeatureSelect = (int) merged; break;
            case 0x08: driverFeatureSelect = (int) merged; break;
            case 0x0C:
                // §3.1.1: features are fixed once FEATURES_OK is set
                if ((status & STATUS_FEATURES_OK) == 0 && driverFeatureSelect < 2) {
                    int sh = 32 * driverFeatureSelect;
                    driverFeatures = (driverFeatures & ~(0xFFFF_FFFFL << sh)) | ((merged & 0xFFFF_FFFFL) << sh);
                }
                break;
            case 0x14: writeStatus((int) merged & 0xFF); break;
            case 0x10: configVector = vector((int) merged); break;
            case 0x16: queueSelect = (int) merged & 0xFFFF; break;
            case 0x18: if (q != null && !q.enabled) { q.size = (int) merged & 0xFFFF; } break;
            case 0x1A: if (q != null) { queueVectors[queueSelect] = vector((int) merged); } break;
            case 0x1C:
                if (q != null && !q.enabled && (merged & 1) != 0) {
                    try {
                        q.enable((driverFeatures & F_RING_INDIRECT_DESC) != 0, (driverFeatures & F_EVENT_IDX) != 0);
                    } catch (VirtQueueException e) {
                        fail(e);
                    }
                }
                break;
            case 0x20: if (q != null && !q.enabled) { q.desc = merged; } break;
            case 0x28: if (q != null && !q.enabled) { q.driver = merged; } break;
            case 0x30: if (q != null && !q.enabled) { q.device = merged; } break;
            default: break; // read-only fields
        }
    }

    /**
     * The vector a write to {@code config_msix_vector} or {@code queue_msix_vector} maps: the value
     * if the table has it, else NO_VECTOR, which the driver reads back as the failure (§4.1.5.1.2).
     */
    private int vector(int value) {
        int v = value & 0xFFFF;
        return msix != null && v < msix.vectors() ? v : NO_VECTOR;
    }

    /**
     * Raises {@code vector} through MSI-X if MSI-X is enabled; with NO_VECTOR that event raises
     * nothing (§4.1.5.1.2). Returns false when MSI-X is off: the caller uses the ISR and INTx.
     */
    private boolean signalMsix(int vector) {
        if (msix == null || !msix.enabled()) {
            return false;
        }
        if (vector != NO_VECTOR) {
            msix.signal(vector);
        }
        return true;
    }

    private void writeStatus(int value) {
        if (value == 0) {
            resetDevice(); // §4.1.4.3.2: writing 0 resets the device (not the PCI function's MSI-X state)
            return;
        }
        int next = value | (status & STATUS_DEVICE_NEEDS_RESET);
        if ((next & STATUS_FEATURES_OK) != 0 && (status & STATUS_FEATURES_OK) == 0) {
            // §3.1.1 step 5-6: accept only a subset of what we offer, and the modern interface (§6.1)
            boolean ok = (driverFeatures & ~offered) == 0 && (driverFeatures & F_VERSION_1) != 0;
            if (!ok) {
                next &= ~STATUS_FEATURES_OK;
            }
        }
        status = next;
        if ((status & STATUS_DRIVER_OK) != 0) {
            waker.wake();
        }
    }

    // --- processing ----------------------------------------------------------------------------

    @Override
    public void poll() {
        // §3.1.1: buffers are used only after the driver set DRIVER_OK on accepted features (FEATURES_OK)
        int live = STATUS_FEATURES_OK | STATUS_DRIVER_OK;
        if ((status & (live | STATUS_DEVICE_NEEDS_RESET | STATUS_FAILED)) != live
                || (command & COMMAND_BUS_MASTER) == 0) {
            return;
        }
        boolean interrupt = false;
        boolean again = false;
        for (int q = 0; q < queues.length; q++) {
            if (!queues[q].enabled) {
                continue;
            }
            // a guest notification, or work the device found by itself (host input, backend space)
            boolean notified = pending.getAndSet(q, 0) != 0;
            if (!notified && !device.hasWork(q)) {
                continue;
            }
            VirtQueue vq = queues[q];
            try {
                if (device.process(vq, driverFeatures)) {
                    pending.set(q, 1); // chains left that the device can serve: another turn soon
                    again = true;
                } else if (vq.rearmNotification()) {
                    pending.set(q, 1); // the driver added buffers while we armed: as if notified
                    again = true;
                }
                if (vq.needsInterrupt() && !signalMsix(queueVectors[q])) {
                    interrupt = true;
                }
            } catch (VirtQueueException e) {
                fail(e);
                return;
            } catch (RuntimeException e) {
                fail(new VirtQueueException("device error: " + e));
                return;
            }
        }
        if (interrupt) {
            isr |= 1; // §4.1.4.5: queue interrupt
            updateIntx();
        }
        if (again) {
            waker.wake();
        }
    }

    /** The driver broke the protocol: DEVICE_NEEDS_RESET and a configuration interrupt (§2.1.2). */
    private void fail(VirtQueueException e) {
        status |= STATUS_DEVICE_NEEDS_RESET;
        configGeneration = (configGeneration + 1) & 0xFF;
        isr |= 2; // §4.1.4.5: configuration change (set in MSI-X mode too; INTx stays off then)
        signalMsix(configVector);
        updateIntx();
        long s = errorLog.tryAcquire();
        if (s != LogRateLimiter.SUPPRESSED) {
            LOG.log(System.Logger.Level.WARNING, "{0}: the driver broke the virtqueue protocol, device needs reset: {1}{2}",
                    name, e.getMessage(), LogRateLimiter.suppressedNote(s));
        }
    }

    private void updateIntx() {
        boolean level = isr != 0 && (command & COMMAND_INTX_DISABLE) == 0 && (msix == null || !msix.enabled());
        if (intx.level() != level) {
            intx.setLevel(level);
        }
    }

    /** Power-on: the device and the PCI function's MSI-X state (disabled, every vector masked). */
    @Override
    public void reset() {
        if (msix != null) {
            msix.reset();
        }
        byte[] cfg = capBytes[pciCfgCapability]; // the window's bar, offset, length and data back to 0
        Arrays.fill(cfg, CFG_BAR, CFG_BAR + 1, (byte) 0);
        Arrays.fill(cfg, CFG_OFFSET, CFG_CAP_LENGTH, (byte) 0);
        resetDevice();
    }

    /** The virtio device reset (§2.4): features, status, queues, and the vector mappings. */
    private void resetDevice() {
        configVector = NO_VECTOR;
        Arrays.fill(queueVectors, NO_VECTOR);
        deviceFeatureSelect = 0;
        driverFeatureSelect = 0;
        driverFeatures = 0;
        status = 0;
        queueSelect = 0;
        isr = 0;
        for (int q = 0; q < queues.length; q++) {
            queues[q].reset();
            pending.set(q, 0);
        }
        device.reset();
        updateIntx();
    }

    // --- saved state ---------------------------------------------------------------------------

    /** The state as it is now, with the chains the device type holds put back into their rings. */
    private TransportState capture() {
        List<QueueState> qs = new ArrayList<>(queues.length);
        for (int q = 0; q < queues.length; q++) {
            qs.add(queues[q].capture(queueVectors[q], device.heldChains(q)));
        }
        byte[] c = capBytes[pciCfgCapability];
        TransportState.Window window = new TransportState.Window(c[CFG_BAR] & 0xFF, get32(c, CFG_OFFSET) & 0xFFFF_FFFFL,
                get32(c, CFG_LENGTH) & 0xFFFF_FFFFL, get32(c, CFG_DATA) & 0xFFFF_FFFFL);
        return new TransportState(device.deviceId(), status, deviceFeatureSelect & 0xFFFF_FFFFL,
                driverFeatureSelect & 0xFFFF_FFFFL, driverFeatures, configGeneration, queueSelect, isr, command & 0xFFFF,
                configVector, window, qs, msix == null ? Optional.empty() : Optional.of(msix.capture()),
                device.saveState());
    }

    /** Only while stopped (the board's device runner stopped, the vCPUs paused). */
    @Override
    public SavedStateBlob save() {
        return TransportState.FORMAT.save(capture());
    }

    /**
     * Only while stopped, into a device built for the new run. Everything is checked before
     * anything changes: the state's own rules, then that it fits this device (type, queues and their
     * sizes, MSI-X vectors, features the device offers), then the device type's own state.
     */
    @Override
    public void restore(SavedStateBlob blob) {
        TransportState s;
        try {
            s = TransportState.FORMAT.restore(blob);
            check(s);
            if (s.device().isPresent()) {
                device.restoreState(s.device().get()); // the last check; changes the device type only if it passes
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
        apply(s);
    }

    /** Whether {@code s} fits this device; throws naming what does not. */
    private void check(TransportState s) {
        if (s.deviceId() != device.deviceId()) {
            throw new IllegalArgumentException("the state is of virtio device type " + s.deviceId() + ", this is type "
                    + device.deviceId());
        }
        if (s.queues().size() != queues.length) {
            throw new IllegalArgumentException("the state has " + s.queues().size() + " queues, the device "
                    + queues.length);
        }
        if ((s.status() & STATUS_FEATURES_OK) != 0 && (s.driverFeatures() & ~offered) != 0) {
            throw new IllegalArgumentException(String.format("the driver negotiated features 0x%x, and this device "
                    + "offers only 0x%x (is its backend the snapshot's?)", s.driverFeatures(), offered));
        }
        checkVector("config_msix_vector", s.configVector());
        for (int q = 0; q < queues.length; q++) {
            QueueState qs = s.queues().get(q);
            queues[q].check(qs);
            checkVector("queue " + q + "'s queue_msix_vector", qs.vector());
        }
        if (s.msix().isPresent() != (msix != null)) {
            throw new IllegalArgumentException(msix == null ? "the state has MSI-X, this device has none (the board "
                    + "delivers no MSIs)" : "the state has no MSI-X, this device has");
        }
        if (msix != null && s.msix().get().vectors().size() != msix.vectors()) {
            throw new IllegalArgumentException("the state has " + s.msix().get().vectors().size()
                    + " MSI-X vectors, the device " + msix.vectors());
        }
        if (s.device().isPresent() != device.saveState().isPresent()) {
            throw new IllegalArgumentException(s.device().isPresent() ? "the state has device state "
                    + s.device().get() + ", this device keeps none" : "the state lacks the device's own state");
        }
    }

    /** A vector the driver could have mapped: NO_VECTOR, or one in the table (see {@link #vector}). */
    private void checkVector(String what, int v) {
        if (v != NO_VECTOR && (msix == null || v >= msix.vectors())) {
            throw new IllegalArgumentException(what + " " + v + " is not in the MSI-X table ("
                    + (msix == null ? "none" : msix.vectors() + " vectors") + ")");
        }
    }

    /** Makes a checked state the device's (cannot fail). */
    private void apply(TransportState s) {
        status = s.status();
        deviceFeatureSelect = (int) s.deviceFeatureSelect();
        driverFeatureSelect = (int) s.driverFeatureSelect();
        driverFeatures = s.driverFeatures();
        configGeneration = s.configGeneration();
        queueSelect = s.queueSelect();
        isr = s.isr();
        command = s.command();
        configVector = s.configVector();
        byte[] c = capBytes[pciCfgCapability];
        c[CFG_BAR] = (byte) s.window().bar();
        put32(c, CFG_OFFSET, (int) s.window().offset());
        put32(c, CFG_LENGTH, (int) s.window().length());
        put32(c, CFG_DATA, (int) s.window().data());
        for (int q = 0; q < queues.length; q++) {
            QueueState qs = s.queues().get(q);
            queues[q].apply(qs);
            queueVectors[q] = qs.vector();
            pending.set(q, qs.enabled() ? 1 : 0); // as if notified: a doorbell may have been on its way
        }
        if (msix != null) {
            msix.apply(s.msix().get());
            msix.busMasterChanged((command & COMMAND_BUS_MASTER) != 0);
        }
        updateIntx();
        waker.wake();
    }

    /** Closes the device type's host resources ({@link VirtioDevice#close}); the board calls it last. */
    @Override
    public void close() {
        try {
            device.close();
        } catch (java.io.IOException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: closing failed: {1}", name, e.toString());
        }
    }

    @Override
    public String toString() {
        return name + " (virtio " + device.deviceId() + " at " + info.address() + ")";
    }
}
