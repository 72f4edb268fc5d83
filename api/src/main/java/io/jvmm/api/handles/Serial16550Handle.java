package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A 16550A UART.
 *
 * @param base I/O port or MMIO base
 * @param registerWidth bytes per register: 1 for I/O ports; 1, 2, 4 or 8 for MMIO
 * @param irq line on the {@code irq} set
 * @param io the serial backend
 * @param waitForRts pull host input only while the guest holds DTR and RTS
 */
public record Serial16550Handle(SerialBase base, int registerWidth, int irq,
        Resource<SerialBackend> io, boolean waitForRts) implements ResourceHandle {
    public static final String ID = "serial_16550";

    /** The PC COM ports: base and IRQ of COM1..COM4. */
    public static final int[] COM_BASES = {0x3F8, 0x2F8, 0x3E8, 0x2E8};
    public static final int[] COM_IRQS = {4, 3, 4, 3};

    public Serial16550Handle {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(io, "io");
    }

    /** COMn (1..4) on its standard port and IRQ, register width 1, no wait-for-RTS. */
    public static Serial16550Handle comPort(int n, Resource<SerialBackend> io) {
        if (n < 1 || n > 4) {
            throw new IllegalArgumentException("COM port number must be 1..4, was " + n);
        }
        return new Serial16550Handle(new SerialBase.IoPort(COM_BASES[n - 1]), 1, COM_IRQS[n - 1], io, false);
    }

    /** COM1..COM4 for the four backends. */
    public static List<Serial16550Handle> comPorts(List<Resource<SerialBackend>> backends) {
        if (backends.size() != 4) {
            throw new IllegalArgumentException("exactly four backends expected, got " + backends.size());
        }
        List<Serial16550Handle> out = new ArrayList<>(4);
        for (int i = 0; i < 4; i++) {
            out.add(comPort(i + 1, backends.get(i)));
        }
        return out;
    }

    public Serial16550Handle withWaitForRts(boolean wait) {
        return new Serial16550Handle(base, registerWidth, irq, io, wait);
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static Serial16550Handle parse(ConfigReader config) {
        SerialBase base = SerialBase.parse(config.object("base")
                .orElseThrow(() -> config.error("base", "missing (e.g. {\"io_port\": \"0x3f8\"})")));
        int width = config.has("register_width") ? config.u8("register_width") : 1;
        return new Serial16550Handle(base, width, (int) config.u32("irq"),
                config.resource("io", ResourceKinds.SERIAL_BACKEND), config.bool("wait_for_rts", false));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.object("base", base::write)
                .number("register_width", registerWidth)
                .number("irq", irq)
                .resource("io", io)
                .bool("wait_for_rts", waitForRts);
    }
}
