package io.jvmm.dev.battery;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.AcpiNode.Const;
import io.jvmm.api.device.AcpiNode.Method;
import io.jvmm.api.device.AcpiNode.Pkg;
import io.jvmm.api.device.AcpiNode.Read;
import io.jvmm.api.device.AcpiNode.Register;
import io.jvmm.api.device.AcpiNode.Text;
import java.util.List;

/**
 * How the x86 battery describes itself to an ACPI OS (ACPI 6.x §10.2, control method batteries, and
 * §10.3, AC adapters): {@code BAT0} ({@code PNP0C0A}) whose {@code _STA} and {@code _BST} read the
 * device's MMIO registers and whose {@code _BIF} states the fixed design capacity the registers are
 * scaled to; {@code AC__} ({@code ACPI0003}) whose {@code _PSR} reads the AC register; and the GPE0
 * handler of the device's notification line, which acknowledges it and notifies both (0x80, status
 * changed), so the OS reads them again.
 */
final class BatteryAcpi {
    static final String BATTERY = "BAT0";
    static final String AC = "AC__";
    /** 0x80: "status changed" for batteries (§10.2.1) and AC adapters (§10.3). */
    static final int NOTIFY_STATUS = 0x80;
    /** _BIF power unit 0: capacities in mWh, rates in mW. */
    static final int POWER_UNIT_MWH = 0;
    static final int TECHNOLOGY_RECHARGEABLE = 1;
    /** A nominal design voltage (mV); the registers carry none. */
    static final int DESIGN_VOLTAGE_MV = 12_000;

    private BatteryAcpi() {}

    /** The two nodes, for the battery at MMIO region 0 raising GPE0 bit {@code gpe}. */
    static List<AcpiNode> nodes(int gpe) {
        long capacity = BatteryDevice.DESIGN_CAPACITY;
        AcpiNode battery = new AcpiNode(BATTERY, "PNP0C0A", 1, List.of(),
                List.of(mmio("BSTA", BatteryDevice.REG_STA), mmio("BSTS", BatteryDevice.REG_BST_STATE),
                        mmio("RATE", BatteryDevice.REG_BST_RATE), mmio("REMC", BatteryDevice.REG_BST_REMAINING),
                        mmio("NSTS", BatteryDevice.REG_NOTIFY_STATUS), mmio("NCLR", BatteryDevice.REG_NOTIFY_CLEAR)),
                List.of(new Method("_STA", new Read("BSTA")),
                        // _BIF (§10.2.2.1): unit, design capacity, last full charge capacity, technology,
                        // design voltage, warning and low capacity, two granularities, model, serial,
                        // type, OEM
                        new Method("_BIF", new Pkg(List.of(new Const(POWER_UNIT_MWH), new Const(capacity),
                                new Const(capacity), new Const(TECHNOLOGY_RECHARGEABLE), new Const(DESIGN_VOLTAGE_MV),
                                new Const(capacity / 10), new Const(capacity / 20), new Const(1), new Const(1),
                                new Text("jvmm battery"), new Text("1"), new Text("LION"), new Text("jvmm")))),
                        // _BST (§10.2.2.6): state, present rate, remaining capacity, present voltage
                        new Method("_BST", new Pkg(List.of(new Read("BSTS"), new Read("RATE"), new Read("REMC"),
                                new Const(DESIGN_VOLTAGE_MV))))),
                List.of(new AcpiNode.GpeHandler(gpe, false, List.of(
                        new AcpiNode.Write("NCLR", BatteryDevice.NOTIFY_MASK),
                        new AcpiNode.Notify(BATTERY, NOTIFY_STATUS),
                        new AcpiNode.Notify(AC, NOTIFY_STATUS)))));
        AcpiNode ac = new AcpiNode(AC, "ACPI0003", 0, List.of(),
                List.of(mmio("ACON", BatteryDevice.REG_PSR)),
                // _PSR (§10.3.1): 1 on line power; _PCL (§10.3.2): it powers the whole system
                List.of(new Method("_PSR", new Read("ACON")),
                        new Method("_PCL", new Pkg(List.of(new AcpiNode.Ref("\\_SB"))))),
                List.of());
        return List.of(battery, ac);
    }

    private static Register mmio(String name, int offset) {
        return new Register(name, AcpiNode.Space.MMIO, 0, offset, 4);
    }
}
