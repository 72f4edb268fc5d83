package io.jvmm.dev.serial16550;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.support.ByteRing;
import io.jvmm.api.support.UartCore;
import java.util.Arrays;
import java.util.List;

/**
 * A 16550A UART. Register accesses touch in-memory state and wake the poller, which drives the
 * backend from {@link #pollNow()}, off the vCPU threads. The one exception is a THR write: it
 * offers the bytes to the backend at once (a non-blocking, bounded enqueue), so a guest polling
 * LSR sees THR-empty on its next read instead of after a device-thread round trip. THR-empty is
 * reported only once the backend has taken the bytes, so a slow host back-pressures the guest
 * instead of growing memory.
 *
 * <p>All methods run under the device lock the bus holds (see {@link ChipsetDevice}).
 */
final class Uart16550 implements ChipsetDevice, PortIoIntercept, MmioIntercept, DeviceLifecycle,
        SaveRestore {
    /** The 16550's FIFO depth: loopback truncation and the trigger levels use it. */
    static final int FIFO_SIZE = 16;
    /** The one region: 8 registers of {@code register_width} bytes. */
    static final String REGION = "registers";
    /** Bytes buffered per direction between the guest and the backend. */
    static final int BUFFER_SIZE = 256;

    // Register indices.
    static final int RBR_THR_DLL = 0;
    static final int IER_DLM = 1;
    static final int IIR_FCR = 2;
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR_RST = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    static final int IER_RDA = 0x01;
    static final int IER_THRE = 0x02;
    static final int IER_RLS = 0x04;
    static final int IER_MS = 0x08;

    static final int IIR_NONE = 0x01;
    static final int IIR_MODEM = 0x00;
    static final int IIR_THRE = 0x02;
    static final int IIR_RDA = 0x04;
    static final int IIR_RLS = 0x06;
    static final int IIR_TIMEOUT = 0x0C;
    static final int IIR_FIFOS = 0xC0;

    static final int FCR_ENABLE = 0x01;
    static final int FCR_CLEAR_RX = 0x02;
    static final int FCR_CLEAR_TX = 0x04;
    /** Stored FCR bits: enable, DMA mode, RX trigger. */
    static final int FCR_KEPT = 0xC9;

    static final int LCR_DLAB = 0x80;

    static final int MCR_DTR = 0x01;
    static final int MCR_RTS = 0x02;
    static final int MCR_OUT1 = 0x04;
    static final int MCR_OUT2 = 0x08;
    static final int MCR_LOOP = 0x10;

    static final int LSR_DR = 0x01;
    static final int LSR_OE = 0x02;
    static final int LSR_THRE = 0x20;
    static final int LSR_TEMT = 0x40;

    static final int MSR_DCTS = 0x01;
    static final int MSR_DDSR = 0x02;
    static final int MSR_TERI = 0x04;
    static final int MSR_DDCD = 0x08;
    static final int MSR_CTS = 0x10;
    static final int MSR_DSR = 0x20;
    static final int MSR_RI = 0x40;
    static final int MSR_DCD = 0x80;
    /** What a connect or disconnect sets: CTS, DSR and DCD change together. */
    static final int MSR_CONNECT_DELTAS = MSR_DCTS | MSR_DDSR | MSR_DDCD;
    static final int MSR_CONNECTED = MSR_CTS | MSR_DSR | MSR_DCD;

    private static final int[] RX_TRIGGER = {1, 4, 8, 14};
    private static final System.Logger LOG = System.getLogger(Uart16550.class.getName());

    private final int width;
    private final List<IoRegion> regions;
    private final UartCore core;
    private final ByteRing rx;
    private final ByteRing tx;
    private final LineInterrupt line;
    private final DeviceWaker waker;
    private final boolean waitForRts;
    private final Capabilities capabilities;

    private int ier;
    private int lcr;
    private int mcr;
    /** Delta bits (0-3) and the backend-driven status bits (4-7); loopback status is derived on read. */
    private int msr;
    private int fcr;
    private int dll;
    private int dlm;
    private int scratch;
    /** The guest saw THRE as the interrupt source; cleared by writing THR or IER. */
    private boolean thrAcked;
    private boolean overrun;
    private boolean lineHigh;

    /**
     * @param pioBase whether {@code base} is an I/O port (else an MMIO address)
     * @param width bytes per register (validated by the resolver)
     */
    Uart16550(String name, boolean pioBase, long base, int width, SerialBackend backend, LineInterrupt line,
            DeviceWaker waker, boolean waitForRts, AcpiNode acpiNode) {
        this.width = width;
        this.regions = List.of(new IoRegion(REGION, base, 8L * width));
        this.core = new UartCore(name, backend, waker, BUFFER_SIZE, LOG);
        this.rx = core.rx();
        this.tx = core.tx();
        this.line = line;
        this.waker = waker;
        this.waitForRts = waitForRts;
        this.capabilities = Capabilities.builder()
                .portIo(pioBase ? this : null)
                .mmio(pioBase ? null : this)
                .pollDevice(this::pollNow)
                .lifecycle(this)
                .savedState(this)
                .acpiNode(acpiNode)
                .build();
        reset();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    // ---- bus access: one region, 8 registers of width bytes

    @Override
    public List<IoRegion> pioRegions() {
        return regions;
    }

    @Override
    public List<IoRegion> mmioRegions() {
        return regions;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        return read(offset, data);
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        return write(offset, data);
    }

    @Override
    public IoResult mmioRead(int region, long offset, byte[] data) {
        return read(offset, data);
    }

    @Override
    public IoResult mmioWrite(int region, long offset, byte[] data) {
        return write(offset, data);
    }

    private IoResult read(long offset, byte[] data) {
        if (offset % width != 0) {
            return IoResult.UNALIGNED_ACCESS;
        }
        int value = readRegister(registerIndex(offset));
        // Wider reads succeed: the register is byte 0, the rest is zero.
        Arrays.fill(data, (byte) 0);
        data[0] = (byte) value;
        updateLine();
        return IoResult.OK;
    }

    private IoResult write(long offset, byte[] data) {
        if (offset % width != 0) {
            return IoResult.UNALIGNED_ACCESS;
        }
        writeRegister(registerIndex(offset), data[0] & 0xFF);
        updateLine();
        return IoResult.OK;
    }

    private int registerIndex(long offset) {
        return (int) (offset / width);
    }

    private boolean dlab() {
        return (lcr & LCR_DLAB) != 0;
    }

    private boolean loopback() {
        return (mcr & MCR_LOOP) != 0;
    }

    private boolean fifosEnabled() {
        return (fcr & FCR_ENABLE) != 0;
    }

    int readRegister(int index) {
        switch (index) {
            case RBR_THR_DLL:
                return dlab() ? dll : readRbr();
            case IER_DLM:
                return dlab() ? dlm : ier;
            case IIR_FCR:
                return readIir();
            case LCR:
                return lcr;
            case MCR:
                return mcr;
            case LSR_RST:
                return readLsr();
            case MSR:
                return readMsr();
            default:
                return scratch;
        }
    }

    void writeRegister(int index, int value) {
        switch (index) {
            case RBR_THR_DLL:
                if (dlab()) {
                    dll = value;
                } else {
                    writeThr(value);
                }
                break;
            case IER_DLM:
                if (dlab()) {
                    dlm = value;
                } else {
                    ier = value & 0x0F;
                    thrAcked = false;
                }
                break;
            case IIR_FCR:
                writeFcr(value);
                break;
            case LCR:
                lcr = value;
                break;
            case MCR:
                writeMcr(value);
                break;
            case LSR_RST:
                softReset();
                break;
            case MSR:
                break;
            default:
                scratch = value;
                break;
        }
    }

    private int readRbr() {
        if (rx.isEmpty()) {
            return 0;
        }
        return core.popRx();
    }

    private int readIir() {
        int source = pendingSource();
        if (source == IIR_THRE) {
            thrAcked = true;
        }
        return source | (fifosEnabled() ? IIR_FIFOS : 0);
    }

    private int readLsr() {
        int v = 0;
        if (!rx.isEmpty()) {
            v |= LSR_DR;
        }
        if (overrun) {
            v |= LSR_OE;
            overrun = false;
        }
        if (tx.isEmpty()) {
            v |= LSR_THRE | LSR_TEMT;
        }
        return v;
    }

    private int readMsr() {
        int v = (msr & 0x0F) | (loopback() ? loopbackStatus() : msr & 0xF0);
        msr &= 0xF0;
        return v;
    }

    /** In loopback the modem inputs are wired to the modem outputs. */
    private int loopbackStatus() {
        int v = 0;
        if ((mcr & MCR_RTS) != 0) {
            v |= MSR_CTS;
        }
        if ((mcr & MCR_DTR) != 0) {
            v |= MSR_DSR;
        }
        if ((mcr & MCR_OUT1) != 0) {
            v |= MSR_RI;
        }
        if ((mcr & MCR_OUT2) != 0) {
            v |= MSR_DCD;
        }
        return v;
    }

    private void writeThr(int value) {
        thrAcked = false;
        if (loopback()) {
            if (rx.size() < (fifosEnabled() ? FIFO_SIZE : 1)) {
                rx.push(value);
            } else {
                overrun = true;
            }
            return;
        }
        core.pushTx(value);
        core.offerTx();
    }

    private void writeFcr(int value) {
        // Clear bits act whenever set and are never stored.
        if ((value & FCR_CLEAR_RX) != 0) {
            core.clearRx();
        }
        if ((value & FCR_CLEAR_TX) != 0) {
            core.clearTx();
        }
        fcr = (value & FCR_ENABLE) == 0 ? 0 : value & FCR_KEPT;
    }

    private void writeMcr(int value) {
        int old = mcr;
        mcr = value & 0x1F;
        // Loopback and DTR/RTS gate host input: let the poller re-evaluate.
        if (((old ^ mcr) & (MCR_LOOP | MCR_DTR | MCR_RTS)) != 0) {
            waker.wake();
        }
    }

    /** The RST register: back to defaults but keeping the divisor, scratch and both buffers. */
    private void softReset() {
        ier = 0;
        lcr = 0;
        mcr = 0;
        msr = 0; // disconnected; the next poll reports the backend's connection as a change
        fcr = 0;
        thrAcked = false;
        overrun = false;
        waker.wake();
    }

    private int rxTrigger() {
        return fifosEnabled() ? RX_TRIGGER[fcr >>> 6] : 1;
    }

    /** The highest-priority pending interrupt as an IIR code (without the FIFO bits). */
    int pendingSource() {
        if ((ier & IER_RLS) != 0 && overrun) {
            return IIR_RLS;
        }
        if ((ier & IER_RDA) != 0 && !rx.isEmpty()) {
            return rx.size() >= rxTrigger() ? IIR_RDA : IIR_TIMEOUT;
        }
        if ((ier & IER_THRE) != 0 && tx.isEmpty() && !thrAcked) {
            return IIR_THRE;
        }
        if ((ier & IER_MS) != 0 && (msr & 0x0F) != 0) {
            return IIR_MODEM;
        }
        return IIR_NONE;
    }

    private void updateLine() {
        boolean high = pendingSource() != IIR_NONE && (mcr & MCR_OUT2) != 0;
        if (high != lineHigh) {
            lineHigh = high;
            line.setLevel(high);
        }
    }

    // ---- backend

    /** The {@link PollDevice} work: runs on the board's device thread. */
    void pollNow() {
        try {
            boolean connected = core.backendConnected();
            if (connected != ((msr & MSR_DCD) != 0)) {
                msr = (msr & 0x0F) | MSR_CONNECT_DELTAS | (connected ? MSR_CONNECTED : 0);
            }
            core.drainTx();
            core.fillRx(!loopback() && connected
                    && (!waitForRts || (mcr & (MCR_DTR | MCR_RTS)) == (MCR_DTR | MCR_RTS)));
        } catch (RuntimeException e) {
            core.backendFailed(e);
        }
        updateLine();
    }

    /** Guest bytes dropped: the TX buffer was full, or the backend failed. */
    long droppedTx() {
        return core.droppedTx();
    }

    int txBuffered() {
        return tx.size();
    }

    int rxBuffered() {
        return rx.size();
    }

    boolean lineHigh() {
        return lineHigh;
    }

    // ---- lifecycle and state

    /** Power-on values ({@link UartSavedState#initial}); a connected backend shows as a modem-status change. */
    @Override
    public void reset() {
        apply(UartSavedState.initial(core.backendConnectedOrFalse()));
    }

    @Override
    public SavedStateBlob save() {
        return UartSavedState.FORMAT.save(capture());
    }

    /** Decodes and checks all of {@code blob} first: a bad blob throws and changes nothing. */
    @Override
    public void restore(SavedStateBlob blob) {
        apply(UartSavedState.FORMAT.restore(blob));
    }

    UartSavedState capture() {
        return new UartSavedState(ier, lcr, mcr, msr, fcr, dll, dlm, scratch, thrAcked, overrun,
                rx.toArray(), tx.toArray());
    }

    /**
     * Makes {@code s} the device's state, and drives the line to the level the state implies (an
     * interrupt pending with OUT2 set is asserted at once), then wakes the poller so output left
     * in TX flows and the backend's connection is compared with the restored MSR.
     */
    private void apply(UartSavedState s) {
        ier = s.ier();
        lcr = s.lcr();
        mcr = s.mcr();
        msr = s.msr();
        fcr = s.fcr();
        dll = s.dll();
        dlm = s.dlm();
        scratch = s.scratch();
        thrAcked = s.thrAcked();
        overrun = s.overrun();
        core.restore(s.rx(), s.tx());
        lineHigh = pendingSource() != IIR_NONE && (mcr & MCR_OUT2) != 0;
        line.setLevel(lineHigh);
        waker.wake();
    }
}
