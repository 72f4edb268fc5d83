package io.jvmm.dev.serial16550;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.handles.SerialBase;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.serial.SerialBackend;
import java.util.List;

/** Resolves {@code chipset_device:serial_16550}. */
public final class Serial16550Resolver extends ChipsetDeviceResolver<Serial16550Handle> {
    /** The region every 16550 declares: 8 registers of {@code register_width} bytes. */
    public static final String REGION = Uart16550.REGION;

    /** The ServiceLoader provider constructor. */
    public Serial16550Resolver() {
        super(Serial16550Handle.ID, Serial16550Handle.class, Serial16550Handle::parse);
    }

    @Override
    public ChipsetDevice resolve(Serial16550Handle handle, ResolveContext context) throws ResolveException {
        String device = "device '" + context.deviceName() + "'";
        int width = handle.registerWidth();
        boolean pio = handle.base() instanceof SerialBase.IoPort;
        long start;
        if (pio) {
            int port = ((SerialBase.IoPort) handle.base()).port();
            if (width != 1) {
                throw new ResolveException(device + ": register_width must be 1 for a 16550 at an I/O port, was "
                        + width + "; use an \"mmio\" base for wider registers");
            }
            if (port > 0xFFFF - 7) {
                throw new ResolveException(device + ": I/O port base 0x" + Integer.toHexString(port)
                        + " leaves no room for 8 registers (highest base is 0xfff8)");
            }
            start = port;
        } else {
            start = ((SerialBase.Mmio) handle.base()).address();
            if (width != 1 && width != 2 && width != 4 && width != 8) {
                throw new ResolveException(device + ": register_width must be 1, 2, 4 or 8, was " + width);
            }
            long span = 8L * width;
            if (start % span != 0) {
                throw new ResolveException(device + ": MMIO base 0x" + Long.toHexString(start)
                        + " is not aligned to 8 registers of " + width + " bytes (a multiple of 0x"
                        + Long.toHexString(span) + ")");
            }
            if (Long.compareUnsigned(start, -span) > 0) {
                throw new ResolveException(device + ": MMIO base 0x" + Long.toHexString(start)
                        + " leaves no room for the registers below 2^64");
            }
        }
        if (handle.irq() < 0) {
            throw new ResolveException(device + ": irq must not be negative, was " + handle.irq());
        }
        SerialBackend backend = context.resolve(handle.io());
        try {
            BoardServices board = context.board();
            LineInterrupt line = board.newLine(LineSets.IRQ, "interrupt", handle.irq());
            DeviceWaker waker = board.waker();
            Uart16550 uart = new Uart16550(context.deviceName(), pio, start, width, backend, line, waker,
                    handle.waitForRts(), pio && width == 1 ? acpiNode(start, handle.irq()) : null);
            backend.setListener(waker::wake);
            return uart;
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /** The PC's COM port bases, COM1..COM4. */
    private static final long[] COM_BASES = {0x3f8, 0x2f8, 0x3e8, 0x2e8};

    /**
     * The ACPI node of a port-mapped, byte-wide 16550: a {@code PNP0501} ("16550A-compatible COM
     * port"), named and numbered COM1..COM4 at the PC's bases (as firmware names them), else UART
     * with the base port as its unique ID. MMIO or wider-register UARTs get no node: PNP0501 means
     * the PC's port layout.
     */
    static AcpiNode acpiNode(long base, int irq) {
        List<Integer> irqs = irq <= 15 ? List.of(irq) : List.of();
        for (int i = 0; i < COM_BASES.length; i++) {
            if (COM_BASES[i] == base) {
                return new AcpiNode("COM" + (i + 1), "PNP0501", i + 1, irqs);
            }
        }
        return new AcpiNode("UART", "PNP0501", (int) base, irqs);
    }
}
