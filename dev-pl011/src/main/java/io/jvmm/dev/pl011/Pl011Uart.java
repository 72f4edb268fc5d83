package io.jvmm.dev.pl011;

import static io.jvmm.dev.pl011.Pl011Registers.*;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.support.ByteRing;
import io.jvmm.api.support.UartCore;
import java.util.Arrays;
import java.util.List;

/**
 * A PL011 UART as an SBSA generic UART: the register set of the PL011 revision 3 without DMA or
 * IrDA, initialized the way SBSA firmware leaves it, so both Linux's sbsa-uart (which never
 * programs the UART) and its amba-pl011 driver work.
 *
 * <p>Register accesses only touch in-memory state and wake the poller; the backend is driven from
 * {@link #pollNow()}, off the vCPU threads. TXFF is reported while 32 (FEN) or 1 bytes wait for the
 * backend, so a slow host back-pressures a polling guest; the buffers behind the FIFOs are bounded
 * ({@link #BUFFER_SIZE}), so a guest that ignores TXFF loses bytes instead of growing memory.
 *
 * <p>Interrupts follow the PL011: RX when the receive level crosses the trigger upwards (cleared by
 * reading below it), RT whenever received data waits (a virtual line has no character time, so the
 * timeout is always "expired"), TX when transmission drains the FIFO to its trigger, and the modem
 * change bits when the backend connects or disconnects. The single output is (RIS AND IMSC) != 0.
 *
 * <p>All methods run under the device lock the bus holds (see {@link ChipsetDevice}).
 */
final class Pl011Uart implements ChipsetDevice, MmioIntercept, DeviceLifecycle, SaveRestore {
    /** Bytes held per direction between the guest and the backend (more than the FIFO, for batching). */
    static final int BUFFER_SIZE = 256;

    /** The one region: the 4 KiB register page. */
    static final String REGION = "registers";
    private static final System.Logger LOG = System.getLogger(Pl011Uart.class.getName());

    private final List<IoRegion> regions;
    private final UartCore core;
    private final ByteRing rx;
    private final ByteRing tx;
    private final LineInterrupt line;
    private final DeviceWaker waker;
    private final Capabilities capabilities;

    private int ilpr;
    private int ibrd;
    private int fbrd;
    /** IBRD and FBRD writes take effect at the next LCR_H write (the PL011 latches all three at once). */
    private int stagedIbrd;
    private int stagedFbrd;
    private int lcrH;
    private int cr;
    private int ifls;
    private int imsc;
    private int ris;
    private int dmacr;
    /** The backend's connectivity as last seen (drives CTS/DSR/DCD). */
    private boolean connected;
    private boolean lineHigh;
    private long droppedRx;
    private long ignoredLcrHWrites;

    Pl011Uart(String name, long base, SerialBackend backend, LineInterrupt line, DeviceWaker waker) {
        this.regions = List.of(new IoRegion(REGION, base, WINDOW_SIZE));
        this.core = new UartCore(name, backend, waker, BUFFER_SIZE, LOG);
        this.rx = core.rx();
        this.tx = core.tx();
        this.line = line;
        this.waker = waker;
        this.capabilities = Capabilities.builder()
                .mmio(this).pollDevice(this::pollNow).lifecycle(this).savedState(this).build();
        reset();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    // ---- bus access

    @Override
    public List<IoRegion> mmioRegions() {
        return regions;
    }

    @Override
    public IoResult mmioRead(int region, long offset, byte[] data) {
        if ((offset & 3) != 0) {
            return IoResult.UNALIGNED_ACCESS; // SBSA requires aligned accesses
        }
        int value = readRegister((int) offset);
        if (value < 0) {
            return IoResult.INVALID_REGISTER;
        }
        // Registers are at most 16 bits; any read width is accepted and zero-extended.
        Arrays.fill(data, (byte) 0);
        data[0] = (byte) value;
        if (data.length > 1) {
            data[1] = (byte) (value >>> 8);
        }
        sync();
        return IoResult.OK;
    }

    @Override
    public IoResult mmioWrite(int region, long offset, byte[] data) {
        if ((offset & 3) != 0) {
            return IoResult.UNALIGNED_ACCESS;
        }
        IoResult r = writeRegister((int) offset, data);
        sync();
        return r;
    }

    /** The register's value, or -1 when there is no readable register at {@code reg}. */
    private int readRegister(int reg) {
        switch (reg) {
            case DR:
                return readDr();
            case RSR_ECR:
                return 0; // no framing, parity, break or overrun errors are ever latched here
            case FR:
                return readFr();
            case ILPR:
                return ilpr;
            case IBRD:
                return ibrd;
            case FBRD:
                return fbrd;
            case LCR_H:
                return lcrH;
            case CR:
                return cr;
            case IFLS:
                return ifls;
            case IMSC:
                return imsc;
            case RIS:
                return ris;
            case MIS:
                return ris & imsc;
            case DMACR:
                return dmacr;
            default:
                if (reg >= PERIPH_ID0 && reg < PERIPH_ID0 + 16) {
                    return PERIPH_ID[(reg - PERIPH_ID0) >>> 2];
                }
                if (reg >= PCELL_ID0 && reg < PCELL_ID0 + 16) {
                    return PCELL_ID[(reg - PCELL_ID0) >>> 2];
                }
                return -1; // ICR is write-only; the rest of the page is reserved
        }
    }

    private IoResult writeRegister(int reg, byte[] data) {
        // Registers of 8 bits or less accept any width.
        switch (reg) {
            case DR:
                writeDr(data[0] & 0xFF);
                return IoResult.OK;
            case RSR_ECR:
                return IoResult.OK; // clears the (never set) error flags
            case ILPR:
                ilpr = data[0] & 0xFF;
                return IoResult.OK;
            case FBRD:
                stagedFbrd = data[0] & FBRD_KEPT;
                return IoResult.OK;
            case LCR_H:
                writeLcrH(data[0] & 0xFF);
                return IoResult.OK;
            case IBRD:
            case CR:
            case IFLS:
            case IMSC:
            case ICR:
            case DMACR:
                break;
            default:
                return IoResult.INVALID_REGISTER; // read-only (FR, RIS, MIS, IDs) or reserved
        }
        // 16-bit registers: a byte write would leave half of the value undefined.
        if (data.length < 2) {
            return IoResult.INVALID_ACCESS_SIZE;
        }
        int v = (data[0] & 0xFF) | (data[1] & 0xFF) << 8;
        switch (reg) {
            case IBRD -> stagedIbrd = v;
            case CR -> writeCr(v);
            case IFLS -> ifls = v & IFLS_KEPT;
            case IMSC -> imsc = v & INT_ALL;
            case ICR -> ris &= ~v; // write 1 to clear; RT is re-derived by sync()
            default -> dmacr = v & DMACR_KEPT;
        }
        return IoResult.OK;
    }

    private boolean fifosEnabled() {
        return (lcrH & LCR_H_FEN) != 0;
    }

    private int fifoSize() {
        return fifosEnabled() ? FIFO_SIZE : 1;
    }

    private int rxTrigger() {
        return fifosEnabled() ? triggerBytes((ifls >>> 3) & 7) : 1;
    }

    private int txTrigger() {
        return fifosEnabled() ? triggerBytes(ifls & 7) : 0;
    }

    private boolean loopback() {
        return (cr & CR_LBE) != 0;
    }

    private boolean transmitterOn() {
        return (cr & (CR_UARTEN | CR_TXE)) == (CR_UARTEN | CR_TXE);
    }

    private boolean receiverOn() {
        return (cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE);
    }

    private int readDr() {
        if (rx.isEmpty()) {
            return 0;
        }
        // The FIFO is the first fifoSize() bytes of the buffer; a read moves the next waiting byte in,
        // which counts as a reception (with FIFOs off, every byte raises RX again).
        int size = fifoSize();
        int trigger = rxTrigger();
        int levelAfterPop = Math.min(rx.size(), size) - 1;
        int b = core.popRx();
        int levelAfterRefill = Math.min(rx.size(), size);
        if (levelAfterRefill < trigger) {
            ris &= ~INT_RX;
        } else if (levelAfterPop < trigger) {
            ris |= INT_RX;
        }
        return b;
    }

    private int readFr() {
        int v = 0;
        if (loopback()) {
            // The modem outputs are wired back to the inputs: RTS->CTS, DTR->DSR, OUT1->DCD, OUT2->RI.
            v |= (cr & CR_RTS) != 0 ? FR_CTS : 0;
            v |= (cr & CR_DTR) != 0 ? FR_DSR : 0;
            v |= (cr & CR_OUT1) != 0 ? FR_DCD : 0;
            v |= (cr & CR_OUT2) != 0 ? FR_RI : 0;
        } else if (connected) {
            v |= FR_CTS | FR_DSR | FR_DCD;
        }
        // BUSY stays 0: a virtual line has no shift register, and earlycon spins on BUSY after every
        // byte, which would deadlock while the backend poller waits to be scheduled.
        int size = fifoSize();
        if (rx.isEmpty()) {
            v |= FR_RXFE;
        }
        if (tx.size() >= size) {
            v |= FR_TXFF;
        }
        if (rx.size() >= size) {
            v |= FR_RXFF;
        }
        if (tx.isEmpty()) {
            v |= FR_TXFE;
        }
        return v;
    }

    private void writeDr(int b) {
        core.pushTx(b); // when full, like the hardware, the newest byte is lost
        if (tx.size() > txTrigger()) {
            ris &= ~INT_TX;
        }
        if (transmitterOn()) {
            if (loopback()) {
                loopBack();
            } else {
                waker.wake();
            }
        }
    }

    private void writeLcrH(int v) {
        // The PL011 must not be reprogrammed while enabled; the SBSA firmware state keeps it enabled,
        // and then LCR_H (with the baud divisors staged behind it) stays as firmware set it.
        if ((cr & CR_UARTEN) != 0) {
            ignoredLcrHWrites++;
            return;
        }
        ibrd = stagedIbrd;
        fbrd = stagedFbrd;
        if (fifosEnabled() && (v & LCR_H_FEN) == 0) {
            // FIFOs switched off: both are flushed.
            droppedRx += core.clearRx();
            core.addDroppedTx(core.clearTx());
        }
        lcrH = v;
    }

    private void writeCr(int v) {
        int old = cr;
        cr = v & CR_KEPT;
        if (((old ^ cr) & (CR_UARTEN | CR_TXE | CR_RXE | CR_LBE)) != 0) {
            if (transmitterOn() && loopback()) {
                loopBack();
            }
            waker.wake(); // output may now flow, or input be pulled
        }
    }

    /** Loopback: what the transmitter sends arrives at the receiver, at most a FIFO full. */
    private void loopBack() {
        int before = tx.size();
        int limit = fifoSize();
        while (!tx.isEmpty()) {
            int b = tx.pop();
            if (!receiverOn()) {
                droppedRx++;
            } else if (rx.size() >= limit) {
                ris |= INT_OE;
                droppedRx++;
            } else {
                receive(b);
            }
        }
        transmitted(before);
    }

    private void receive(int b) {
        int trigger = rxTrigger();
        int before = rx.size();
        rx.push(b);
        if (before < trigger && rx.size() >= trigger) {
            ris |= INT_RX;
        }
    }

    /** The TX interrupt fires when transmission drains the FIFO to its trigger level. */
    private void transmitted(int sizeBefore) {
        if (tx.size() < sizeBefore && tx.size() <= txTrigger()) {
            ris |= INT_TX;
        }
    }

    /** Re-derives RT and drives the line: called after every access and poll. */
    private void sync() {
        if (rx.isEmpty()) {
            ris &= ~INT_RT;
        } else {
            ris |= INT_RT;
        }
        boolean high = (ris & imsc) != 0;
        if (high != lineHigh) {
            lineHigh = high;
            line.setLevel(high);
        }
    }

    // ---- backend

    /** The {@link PollDevice} work: runs on the board's device thread. */
    void pollNow() {
        try {
            boolean now = core.backendConnected();
            if (now != connected) {
                connected = now;
                ris |= INT_MODEM_CHANGE;
            }
            if (transmitterOn() && !loopback() && !tx.isEmpty()) {
                int before = tx.size();
                core.drainTx();
                transmitted(before);
            }
            int before = rx.size();
            core.fillRx(receiverOn() && !loopback() && connected);
            int trigger = rxTrigger();
            if (before < trigger && rx.size() >= trigger) {
                ris |= INT_RX;
            }
        } catch (RuntimeException e) {
            // A broken backend must not take the VMM down: pending output is dropped.
            int before = tx.size();
            core.backendFailed(e);
            transmitted(before);
        }
        sync();
    }

    /** Guest bytes lost: TX buffer overflow, FIFO flushes, a failing backend. */
    long droppedTx() {
        return core.droppedTx();
    }

    /** Received bytes lost: loopback overrun or a disabled receiver, FIFO flushes. */
    long droppedRx() {
        return droppedRx;
    }

    /** LCR_H writes ignored because UARTEN was set. */
    long ignoredLcrHWrites() {
        return ignoredLcrHWrites;
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

    /** Back to {@link Pl011SavedState#initial}, the state SBSA firmware leaves. */
    @Override
    public void reset() {
        apply(Pl011SavedState.initial(core.backendConnectedOrFalse()));
    }

    @Override
    public SavedStateBlob save() {
        return Pl011SavedState.FORMAT.save(capture());
    }

    /** Decodes and checks all of {@code blob} first: a bad blob throws and changes nothing. */
    @Override
    public void restore(SavedStateBlob blob) {
        apply(Pl011SavedState.FORMAT.restore(blob));
    }

    Pl011SavedState capture() {
        return new Pl011SavedState(ilpr, ibrd, fbrd, stagedIbrd, stagedFbrd, lcrH, cr, ifls, imsc, ris, dmacr,
                connected, rx.toArray(), tx.toArray());
    }

    /**
     * Makes {@code s} the device's state and drives the line to the level it implies ((RIS AND
     * IMSC) != 0, with RT re-derived from the receive buffer), then wakes the poller so output
     * left in TX flows and the backend's connectivity is compared with the restored one.
     */
    private void apply(Pl011SavedState s) {
        ilpr = s.ilpr();
        ibrd = s.ibrd();
        fbrd = s.fbrd();
        stagedIbrd = s.stagedIbrd();
        stagedFbrd = s.stagedFbrd();
        lcrH = s.lcrH();
        cr = s.cr();
        ifls = s.ifls();
        imsc = s.imsc();
        ris = s.ris();
        dmacr = s.dmacr();
        connected = s.connected();
        core.restore(s.rx(), s.tx());
        lineHigh = (ris & imsc) != 0;
        line.setLevel(lineHigh);
        sync();
        waker.wake();
    }
}
