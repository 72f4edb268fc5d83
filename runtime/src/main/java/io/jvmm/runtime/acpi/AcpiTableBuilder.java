package io.jvmm.runtime.acpi;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.AcpiPmBlock;
import io.jvmm.api.device.IoRegion;
import io.jvmm.runtime.loader.Hex;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates the x86 ACPI tables of a board (ACPI 6.0 layouts): RSDP → XSDT → FADT (→ FACS, DSDT)
 * and MADT. Firecracker, Cloud Hypervisor and QEMU do the same at VM build time; the values here
 * come from {@link AcpiPlatform}, so every table describes hardware the board really has.
 */
public final class AcpiTableBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(AcpiTableBuilder.class);
    /** The RSDP's usual place: the start of the BIOS read-only area a legacy OS scans (§5.2.5.1). */
    public static final long DEFAULT_BASE = 0xE0000;
    /**
     * The tables must end inside the e820-reserved BIOS area, below the reset-vector stub that direct
     * Linux boots get at 0xFFF00 ({@code io.jvmm.runtime.loader.ResetVectorStub}).
     */
    public static final long DEFAULT_LIMIT = 0xF_FF00;

    static final byte[] OEM_ID = ascii("JVMM  ");
    static final String OEM_TABLE_PREFIX = "JVMM";
    static final int OEM_REVISION = 1;
    static final byte[] CREATOR_ID = ascii("JVMM");
    static final int CREATOR_REVISION = 1;
    static final int HEADER_SIZE = 36;

    /** §5.2.9: FADT revision 6 (ACPI 6.0), 276 bytes. */
    static final int FADT_REVISION = 6;
    static final int FADT_MINOR_VERSION = 0;
    static final int FADT_SIZE = 276;
    // FADT flags (§5.2.9, Table 5-35)
    static final int FADT_WBINVD = 1;
    static final int FADT_PROC_C1 = 1 << 2;
    static final int FADT_PWR_BUTTON = 1 << 4; // set: no fixed-feature power button
    static final int FADT_SLP_BUTTON = 1 << 5; // set: no fixed-feature sleep button
    static final int FADT_FIX_RTC = 1 << 6; // set: no RTC wake status in the fixed registers
    static final int FADT_TMR_VAL_EXT = 1 << 8;
    static final int FADT_RESET_REG_SUP = 1 << 10;
    static final int FADT_HW_REDUCED_ACPI = 1 << 20;
    // IAPC_BOOT_ARCH (§5.2.9.3)
    static final int BOOT_ARCH_LEGACY_DEVICES = 1;
    static final int BOOT_ARCH_8042 = 1 << 1;
    static final int BOOT_ARCH_VGA_NOT_PRESENT = 1 << 2;
    static final int BOOT_ARCH_CMOS_RTC_NOT_PRESENT = 1 << 5;
    /** P_LVL2_LAT above 100 and P_LVL3_LAT above 1000 mean "C2/C3 not supported". */
    static final int NO_C2_LATENCY = 101;
    static final int NO_C3_LATENCY = 1001;

    /** §5.2.12: MADT revision 4 (ACPI 6.0). */
    static final int MADT_REVISION = 4;
    static final long LOCAL_APIC_ADDRESS = 0xFEE0_0000L;
    static final long IOAPIC_ADDRESS = 0xFEC0_0000L;
    /** KVM's in-kernel IOAPIC resets its ID register to 0 (arch/x86/kvm/ioapic.c), as QEMU's MADT says. */
    static final int IOAPIC_ID = 0;
    static final int MADT_PCAT_COMPAT = 1;
    static final int MADT_LOCAL_APIC = 0;
    static final int MADT_IO_APIC = 1;
    static final int MADT_INTERRUPT_OVERRIDE = 2;
    static final int MADT_LOCAL_APIC_NMI = 4;
    /** MPS INTI flags: polarity active high (01), trigger level (11 << 2). */
    static final int INTI_LEVEL_ACTIVE_HIGH = 0x000D;
    /** The ISA IRQ the 8254 drives and the IOAPIC pin it is wired to on PCs. */
    static final int PIT_IRQ = 0;
    static final int PIT_GSI = 2;

    /** The DSDT's revision: 2 makes AML integers 64-bit (§5.2.11.1). */
    static final int DSDT_REVISION = 2;
    static final int FACS_SIZE = 64;
    static final int FACS_VERSION = 2;
    static final int XSDT_REVISION = 1;
    static final int RSDP_REVISION = 2;
    static final int RSDP_SIZE = 36;

    private AcpiTableBuilder() {}

    /** The tables of {@code platform} at {@link #DEFAULT_BASE}. */
    public static AcpiTables build(AcpiPlatform platform) {
        return build(platform, DEFAULT_BASE, DEFAULT_LIMIT);
    }

    /**
     * The tables of {@code platform}, the RSDP at {@code base}, all of them below {@code limit}.
     *
     * @throws IllegalArgumentException if they do not fit
     */
    public static AcpiTables build(AcpiPlatform platform, long base, long limit) {
        byte[] dsdt = dsdt(platform);
        byte[] madt = madt(platform);
        // Addresses first (each table 16-byte aligned, the FACS 64-byte aligned as §5.2.10 wants),
        // then the tables that point at others.
        long rsdpAt = base;
        long xsdtAt = align(rsdpAt + RSDP_SIZE, 16);
        long xsdtSize = HEADER_SIZE + 2 * 8;
        long fadtAt = align(xsdtAt + xsdtSize, 16);
        long facsAt = platform.pm().isPresent() ? align(fadtAt + FADT_SIZE, 64) : 0;
        long madtAt = align((facsAt != 0 ? facsAt + FACS_SIZE : fadtAt + FADT_SIZE), 16);
        long dsdtAt = align(madtAt + madt.length, 16);
        long end = dsdtAt + dsdt.length;
        if (end > limit || end > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(String.format("the ACPI tables need [0x%x, 0x%x), beyond 0x%x",
                    base, end, limit));
        }
        byte[] fadt = fadt(platform, facsAt, dsdtAt);
        byte[] xsdt = xsdt(fadtAt, madtAt);
        byte[] rsdp = rsdp(xsdtAt);

        byte[] image = new byte[(int) (end - base)];
        List<AcpiTables.Table> tables = new ArrayList<>();
        place(image, base, tables, "RSD PTR ", rsdpAt, rsdp);
        place(image, base, tables, "XSDT", xsdtAt, xsdt);
        place(image, base, tables, "FACP", fadtAt, fadt);
        if (facsAt != 0) {
            place(image, base, tables, "FACS", facsAt, facs());
        }
        place(image, base, tables, "APIC", madtAt, madt);
        place(image, base, tables, "DSDT", dsdtAt, dsdt);
        return new AcpiTables(base, image, tables);
    }

    private static void place(byte[] image, long base, List<AcpiTables.Table> tables, String sig, long at,
            byte[] bytes) {
        System.arraycopy(bytes, 0, image, (int) (at - base), bytes.length);
        tables.add(new AcpiTables.Table(sig, at, bytes));
    }

    /**
     * RSDP (§5.2.5.3), ACPI 2.0+ form: signature, checksum of the first 20 bytes, OEM ID, revision 2,
     * no RSDT (an OS of ACPI 2.0 or later uses the XSDT), length 36, the XSDT, extended checksum.
     */
    static byte[] rsdp(long xsdtAt) {
        ByteBuffer b = le(RSDP_SIZE);
        b.put(0, ascii("RSD PTR "));
        b.put(9, OEM_ID);
        b.put(15, (byte) RSDP_REVISION);
        b.putInt(16, 0);
        b.putInt(20, RSDP_SIZE);
        b.putLong(24, xsdtAt);
        byte[] a = b.array();
        a[8] = checksum(a, 0, 20);
        a[32] = checksum(a, 0, RSDP_SIZE);
        return a;
    }

    /** XSDT (§5.2.8): the header and 64-bit pointers to the FADT and the MADT. */
    static byte[] xsdt(long fadtAt, long madtAt) {
        ByteBuffer b = le(HEADER_SIZE + 16);
        b.putLong(HEADER_SIZE, fadtAt);
        b.putLong(HEADER_SIZE + 8, madtAt);
        return finish(b, "XSDT", XSDT_REVISION);
    }

    /**
     * FADT (§5.2.9). With a PM block: its PM1a event/control blocks, PM timer and GPE0 in both the
     * 32-bit fields and the X_ Generic Address Structures (the same values, so an OS that compares
     * them finds no mismatch), the SCI, the reset register; SMI_CMD 0 says the platform is always in
     * ACPI mode (the PM block powers on with SCI_EN set). Without one: HW_REDUCED_ACPI.
     */
    static byte[] fadt(AcpiPlatform p, long facsAt, long dsdtAt) {
        ByteBuffer b = le(FADT_SIZE);
        b.putInt(36, (int) facsAt); // FIRMWARE_CTRL
        b.putInt(40, (int) dsdtAt); // DSDT
        b.put(45, (byte) 0); // Preferred_PM_Profile: unspecified
        int flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_FIX_RTC;
        if (p.pm().isPresent()) {
            AcpiPmBlock pm = p.pm().get();
            b.putShort(46, (short) pm.sciIrq()); // SCI_INT
            b.putInt(48, 0); // SMI_CMD: no transition needed
            b.putInt(56, pm.pm1aEventPort());
            b.putInt(64, pm.pm1aControlPort());
            b.putInt(76, pm.pmTimerPort());
            b.putInt(80, pm.gpe0Port());
            b.put(88, (byte) AcpiPmBlock.PM1_EVENT_LENGTH);
            b.put(89, (byte) AcpiPmBlock.PM1_CONTROL_LENGTH);
            b.put(91, (byte) AcpiPmBlock.PM_TIMER_LENGTH);
            b.put(92, (byte) pm.gpe0Length());
            if (pm.pmTimer32Bit()) {
                flags |= FADT_TMR_VAL_EXT;
            }
            if (pm.fixedPowerButton()) {
                flags &= ~FADT_PWR_BUTTON; // the power button is the fixed-feature one, PWRBTN_STS/EN in PM1
            }
            if (pm.resetPort() >= 0) {
                flags |= FADT_RESET_REG_SUP;
                Gas.io(pm.resetPort(), 1, 1).put(b, 116); // RESET_REG: 8 bits, byte access (§4.8.3.6)
                b.put(128, (byte) pm.resetValue());
            }
            Gas.io(pm.pm1aEventPort(), AcpiPmBlock.PM1_EVENT_LENGTH, 0).put(b, 148);
            Gas.io(pm.pm1aControlPort(), AcpiPmBlock.PM1_CONTROL_LENGTH, 0).put(b, 172);
            Gas.io(pm.pmTimerPort(), AcpiPmBlock.PM_TIMER_LENGTH, 0).put(b, 208);
            Gas.io(pm.gpe0Port(), pm.gpe0Length(), 0).put(b, 220);
        } else {
            flags |= FADT_HW_REDUCED_ACPI;
        }
        b.putShort(96, (short) NO_C2_LATENCY);
        b.putShort(98, (short) NO_C3_LATENCY);
        b.put(108, (byte) p.rtcCenturyIndex()); // CENTURY
        int bootArch = 0;
        if (p.pic() || p.rtc()) {
            bootArch |= BOOT_ARCH_LEGACY_DEVICES;
        }
        if (p.i8042()) {
            bootArch |= BOOT_ARCH_8042;
        }
        if (!p.vga()) {
            bootArch |= BOOT_ARCH_VGA_NOT_PRESENT;
        }
        if (!p.rtc()) {
            bootArch |= BOOT_ARCH_CMOS_RTC_NOT_PRESENT;
        }
        b.putShort(109, (short) bootArch);
        b.putInt(112, flags);
        b.put(131, (byte) FADT_MINOR_VERSION);
        // X_FIRMWARE_CTRL stays 0: the FACS is below 4 GiB, and an OS installs each of the two fields
        // that is set as a table of its own (Linux lists the FACS twice then)
        b.putLong(140, dsdtAt); // X_DSDT, equal to DSDT
        return finish(b, "FACP", FADT_REVISION);
    }

    /** FACS (§5.2.10): no waking vector (no S3), no global lock owner, version 2. */
    static byte[] facs() {
        ByteBuffer b = le(FACS_SIZE);
        b.put(0, ascii("FACS"));
        b.putInt(4, FACS_SIZE);
        b.put(32, (byte) FACS_VERSION);
        return b.array();
    }

    /**
     * MADT (§5.2.12): one enabled Processor Local APIC per vCPU (UID = APIC ID = index, as the vCPUs'
     * CPUID says), the IOAPIC, the PC's interrupt source overrides — ISA IRQ 0 on GSI 2 (the hypervisor
     * routes the PIT there) and the SCI level-triggered, active high (§5.2.12.5) — and LINT1 as NMI on
     * every processor.
     */
    static byte[] madt(AcpiPlatform p) {
        ByteBuffer b = le(HEADER_SIZE + 8 + 8 * p.vcpus() + 12 + 2 * 10 + 6);
        b.putInt(36, (int) LOCAL_APIC_ADDRESS);
        b.putInt(40, p.pic() ? MADT_PCAT_COMPAT : 0);
        int at = 44;
        for (int i = 0; i < p.vcpus(); i++) {
            b.put(at, (byte) MADT_LOCAL_APIC).put(at + 1, (byte) 8).put(at + 2, (byte) i).put(at + 3, (byte) i);
            b.putInt(at + 4, 1); // enabled
            at += 8;
        }
        if (p.ioapic()) {
            b.put(at, (byte) MADT_IO_APIC).put(at + 1, (byte) 12).put(at + 2, (byte) IOAPIC_ID);
            b.putInt(at + 4, (int) IOAPIC_ADDRESS);
            b.putInt(at + 8, 0); // GSI base
            at += 12;
            if (p.pit()) {
                at = interruptOverride(b, at, PIT_IRQ, PIT_GSI, 0); // flags 0: conforms to the bus (ISA: edge, high)
            }
            if (p.pm().isPresent()) {
                int sci = p.pm().get().sciIrq();
                at = interruptOverride(b, at, sci, sci, INTI_LEVEL_ACTIVE_HIGH);
            }
        }
        b.put(at, (byte) MADT_LOCAL_APIC_NMI).put(at + 1, (byte) 6).put(at + 2, (byte) 0xFF); // all processors
        b.putShort(at + 3, (short) 0); // conforms
        b.put(at + 5, (byte) 1); // LINT1
        at += 6;
        ByteBuffer sized = le(at);
        sized.put(0, b.array(), 0, at);
        return finish(sized, "APIC", MADT_REVISION);
    }

    private static int interruptOverride(ByteBuffer b, int at, int source, int gsi, int flags) {
        b.put(at, (byte) MADT_INTERRUPT_OVERRIDE).put(at + 1, (byte) 10).put(at + 2, (byte) 0); // bus 0: ISA
        b.put(at + 3, (byte) source);
        b.putInt(at + 4, gsi);
        b.putShort(at + 8, (short) flags);
        return at + 10;
    }

    /**
     * DSDT (§5.2.11.1): under {@code \_SB} one processor device ({@code ACPI0007}, §8.4) per vCPU with
     * the MADT's UID, then the board's device nodes (with their registers as OperationRegions and
     * Fields, and their methods); {@code \_GPE} (§5.3.1) with the nodes' GPE handlers; and
     * {@code \_S5} (§7.4.2) with the PM block's soft-off SLP_TYP, so an OS can power off.
     *
     * @throws IllegalArgumentException if a node's registers or GPE handlers do not fit its device
     */
    static byte[] dsdt(AcpiPlatform p) {
        List<Aml> sb = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (int i = 0; i < p.vcpus(); i++) {
            String name = "C" + Hex.padded(i, 3, true);
            used.add(name);
            sb.add(new Aml.Device(name, List.of(
                    new Aml.Name("_HID", new Aml.Str("ACPI0007")),
                    new Aml.Name("_UID", new Aml.Int(i)))));
        }
        // Names first: a GPE handler may notify a node of its device that comes later.
        List<String> names = new ArrayList<>();
        for (AcpiPlatform.DeviceNode d : p.devices()) {
            String name = uniqueName(d.node().name(), used);
            used.add(name);
            names.add(name);
        }
        Map<Integer, List<Aml>> gpeBodies = new TreeMap<>();
        Map<Integer, Boolean> gpeLevel = new HashMap<>();
        int gpeCount = p.pm().map(pm -> pm.gpe0Length() / 2 * 8).orElse(0);
        for (int k = 0; k < p.devices().size(); k++) {
            AcpiPlatform.DeviceNode d = p.devices().get(k);
            AcpiNode n = d.node();
            String name = names.get(k);
            Aml hid = AcpiNode.isEisaId(n.hid()) ? new Aml.EisaId(n.hid()) : new Aml.Str(n.hid());
            List<Aml> body = new ArrayList<>(List.of(
                    new Aml.Name("_HID", hid),
                    new Aml.Name("_UID", new Aml.Int(n.uid()))));
            if (!d.resources().isEmpty()) {
                body.add(new Aml.Name("_CRS", AcpiResource.template(d.resources())));
            }
            body.addAll(registers(d));
            for (AcpiNode.Method m : n.methods()) {
                body.add(new Aml.Method(m.name(), 0, false, returning(m.result())));
            }
            sb.add(new Aml.Device(name, body));
            for (AcpiNode.GpeHandler g : n.gpeHandlers()) {
                if (g.gpe() >= gpeCount) {
                    LOG.warn("{}: GPE {} is not in the board's GPE0 block ({} GPEs); its handler is left out",
                            n.name(), g.gpe(), gpeCount);
                    continue;
                }
                Boolean level = gpeLevel.putIfAbsent(g.gpe(), g.level());
                if (level != null && level != g.level()) {
                    throw new IllegalArgumentException(n.name() + ": GPE " + g.gpe()
                            + " is declared both edge- and level-triggered");
                }
                List<Aml> gpeBody = gpeBodies.computeIfAbsent(g.gpe(), x -> new ArrayList<>());
                for (AcpiNode.Action a : g.actions()) {
                    if (a instanceof AcpiNode.Write w) {
                        AcpiNode.Register target = n.registers().stream().filter(r -> r.name().equals(w.register()))
                                .findFirst().orElseThrow(() -> new IllegalArgumentException(n.name() + ": GPE "
                                        + g.gpe() + " writes " + w.register() + ", which the node does not declare"));
                        if (target.size() < 8 && (w.value() < 0 || w.value() >>> (8 * target.size()) != 0)) {
                            throw new IllegalArgumentException(n.name() + ": GPE " + g.gpe() + " writes 0x"
                                    + Long.toHexString(w.value()) + " to the " + target.size() + "-byte register "
                                    + w.register() + ", which cannot hold it");
                        }
                        gpeBody.add(new Aml.Store(new Aml.Int(w.value()),
                                new Aml.NameRef("\\_SB." + name + "." + w.register())));
                    } else if (a instanceof AcpiNode.Notify nf) {
                        gpeBody.add(new Aml.Notify(new Aml.NameRef("\\_SB." + notifyTarget(p, names, k, nf.node())),
                                new Aml.Int(nf.code())));
                    }
                }
            }
        }
        List<Aml> root = new ArrayList<>();
        root.add(new Aml.Scope("\\_SB", sb));
        if (!gpeBodies.isEmpty()) {
            List<Aml> gpe = new ArrayList<>();
            gpeBodies.forEach((bit, body) -> gpe.add(new Aml.Method(
                    (gpeLevel.get(bit) ? "_L" : "_E") + Hex.padded(bit, 2, true), 0, false, body)));
            root.add(new Aml.Scope("\\_GPE", gpe));
        }
        p.pm().ifPresent(pm -> root.add(new Aml.Name("\\_S5", new Aml.Package(List.of(
                new Aml.Int(pm.s5SleepType()), new Aml.Int(pm.s5SleepType()), new Aml.Int(0), new Aml.Int(0))))));
        byte[] aml = Aml.encode(root);
        ByteBuffer b = le(HEADER_SIZE + aml.length);
        b.put(HEADER_SIZE, aml);
        return finish(b, "DSDT", DSDT_REVISION);
    }

    /** The DSDT name of the node {@code preferred} of the same device as node {@code from}. */
    private static String notifyTarget(AcpiPlatform p, List<String> names, int from, String preferred) {
        AcpiPlatform.DeviceNode source = p.devices().get(from);
        for (int k = 0; k < p.devices().size(); k++) {
            AcpiPlatform.DeviceNode d = p.devices().get(k);
            boolean sameDevice = k == from || (source.device() >= 0 && d.device() == source.device());
            if (sameDevice && d.node().name().equals(preferred)) {
                return names.get(k);
            }
        }
        throw new IllegalArgumentException(source.node().name() + ": a GPE handler notifies " + preferred
                + ", which is not a node of the same device");
    }

    /**
     * The node's registers: per device region used, {@code OperationRegion(ORxn, SystemIO|SystemMemory,
     * base, length)} (x = P or M, n = the region's index), and per access size a {@code Field} listing
     * the registers in offset order, gaps skipped with {@code Offset()}.
     */
    static List<Aml> registers(AcpiPlatform.DeviceNode d) {
        AcpiNode n = d.node();
        Map<String, List<AcpiNode.Register>> fields = new LinkedHashMap<>();
        Map<String, Aml.OperationRegion> regions = new LinkedHashMap<>();
        for (AcpiNode.Register r : n.registers()) {
            boolean pio = r.space() == AcpiNode.Space.PORT_IO;
            List<IoRegion> list = pio ? d.pioRegions() : d.mmioRegions();
            if (r.region() >= list.size() || r.region() > 0xF) {
                throw new IllegalArgumentException(n.name() + ": register " + r.name() + " is in " + r.space()
                        + " region " + r.region() + ", but the device declares " + list.size() + " such regions");
            }
            IoRegion region = list.get(r.region());
            if ((long) r.offset() + r.size() > region.length()) {
                throw new IllegalArgumentException(n.name() + ": register " + r.name() + " at offset " + r.offset()
                        + " does not fit in region " + region);
            }
            if (!pio && region.end() > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException(n.name() + ": register " + r.name() + " is in " + region
                        + ", above 4 GiB");
            }
            String opName = (pio ? "ORP" : "ORM") + Hex.padded(r.region(), 1, true);
            if (n.registers().stream().anyMatch(x -> x.name().equals(opName))
                    || n.methods().stream().anyMatch(x -> x.name().equals(opName))) {
                throw new IllegalArgumentException(n.name() + ": the name " + opName
                        + " is the board's, for the region's OperationRegion");
            }
            regions.computeIfAbsent(opName, x -> new Aml.OperationRegion(opName,
                    pio ? Aml.RegionSpace.SYSTEM_IO : Aml.RegionSpace.SYSTEM_MEMORY, region.start(), region.length()));
            fields.computeIfAbsent(opName + "/" + r.size(), x -> new ArrayList<>()).add(r);
        }
        List<Aml> out = new ArrayList<>(regions.values());
        for (List<AcpiNode.Register> group : fields.values()) {
            List<AcpiNode.Register> sorted = new ArrayList<>(group);
            sorted.sort(Comparator.comparingInt(AcpiNode.Register::offset));
            List<Aml.FieldUnit> units = new ArrayList<>();
            int at = 0;
            for (AcpiNode.Register r : sorted) {
                if (r.offset() < at) {
                    throw new IllegalArgumentException(n.name() + ": register " + r.name() + " overlaps another");
                }
                if (r.offset() > at) {
                    units.add(Aml.FieldUnit.reserved(8 * (r.offset() - at)));
                }
                units.add(new Aml.FieldUnit(r.name(), 8 * r.size()));
                at = r.offset() + r.size();
            }
            AcpiNode.Register first = sorted.get(0);
            String opName = (first.space() == AcpiNode.Space.PORT_IO ? "ORP" : "ORM") + Hex.padded(first.region(), 1, true);
            out.add(new Aml.Field(opName, Aml.Access.ofSize(first.size()), units));
        }
        return out;
    }

    /**
     * A method body returning {@code v}. A package that reads registers is built at run time (package
     * elements that are names stay references, §19.6.101): {@code Store(Package(){constants},
     * Local0)}, then {@code Store(REG, Index(Local0, i))} per register, then {@code Return(Local0)}.
     */
    static List<Aml> returning(AcpiNode.Value v) {
        if (v instanceof AcpiNode.Pkg pkg && pkg.elements().stream().anyMatch(e -> e instanceof AcpiNode.Read)) {
            List<Aml> body = new ArrayList<>();
            List<Aml> skeleton = new ArrayList<>();
            for (AcpiNode.Value e : pkg.elements()) {
                skeleton.add(e instanceof AcpiNode.Read ? new Aml.Int(0) : term(e));
            }
            Aml local = new Aml.Local(0);
            body.add(new Aml.Store(new Aml.Package(skeleton), local));
            for (int i = 0; i < pkg.elements().size(); i++) {
                if (pkg.elements().get(i) instanceof AcpiNode.Read r) {
                    body.add(new Aml.Store(new Aml.NameRef(r.register()), new Aml.Index(local, new Aml.Int(i))));
                }
            }
            body.add(new Aml.Return(local));
            return body;
        }
        return List.of(new Aml.Return(term(v)));
    }

    private static Aml term(AcpiNode.Value v) {
        if (v instanceof AcpiNode.Const c) {
            return new Aml.Int(c.value());
        } else if (v instanceof AcpiNode.Text t) {
            return new Aml.Str(t.value());
        } else if (v instanceof AcpiNode.Ref r) {
            return new Aml.NameRef(r.path());
        } else if (v instanceof AcpiNode.Read r) {
            return new Aml.NameRef(r.register());
        } else {
            List<Aml> elements = new ArrayList<>();
            for (AcpiNode.Value e : ((AcpiNode.Pkg) v).elements()) {
                elements.add(term(e));
            }
            return new Aml.Package(elements);
        }
    }

    /** {@code preferred}, or it with its last characters replaced by a number if another node has it. */
    static String uniqueName(String preferred, Set<String> used) {
        if (!used.contains(preferred)) {
            return preferred;
        }
        for (int n = 0; n < 1000; n++) {
            String digits = Integer.toString(n);
            String candidate = preferred.substring(0, 4 - digits.length()) + digits;
            if (!used.contains(candidate)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("no free ACPI name like " + preferred);
    }

    /** Fills the standard header (§5.2.6) and the checksum: all bytes of the table sum to 0. */
    private static byte[] finish(ByteBuffer b, String signature, int revision) {
        byte[] a = b.array();
        b.put(0, ascii(signature));
        b.putInt(4, a.length);
        b.put(8, (byte) revision);
        b.put(10, OEM_ID);
        b.put(16, ascii(OEM_TABLE_PREFIX + signature));
        b.putInt(24, OEM_REVISION);
        b.put(28, CREATOR_ID);
        b.putInt(32, CREATOR_REVISION);
        a[9] = 0;
        a[9] = checksum(a, 0, a.length);
        return a;
    }

    /** The byte that makes {@code a[from, from + length)} sum to 0 mod 256 (with itself counted as 0). */
    static byte checksum(byte[] a, int from, int length) {
        int sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += a[i];
        }
        return (byte) -sum;
    }

    private static long align(long v, long to) {
        return (v + to - 1) & -to;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
