package io.jvmm.api.device;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How a device appears in the guest's ACPI namespace (a {@code Device} object under {@code \_SB} in
 * the DSDT), so an ACPI OS finds it without probing. The board writes the node: {@code _HID},
 * {@code _UID} and a {@code _CRS} made from the device's declared port and MMIO regions (ACPI 6.x
 * §6.4.2.5 I/O port descriptor, §6.4.3.4 32-bit fixed memory descriptor) plus {@link #irqs()}
 * (§6.4.2.1 IRQ descriptor, ISA-style: edge-triggered, active high).
 *
 * <p>A node may also carry control methods that read the device's own registers, without the device
 * writing AML: it names {@link #registers()} (the board declares an {@code OperationRegion} over the
 * device's region and a {@code Field} per register, §19.6.100 and §19.6.48) and {@link #methods()}
 * whose result is built from constants and those registers (e.g. a battery's {@code _BST} package).
 * {@link #gpeHandlers()} are the {@code \_GPE._Exx}/{@code _Lxx} methods (§5.6.4.1) the board writes
 * for the GPE0 bits the device raises: they write registers (to acknowledge) and {@code Notify} nodes.
 *
 * <p>A device with several nodes (a battery and its AC adapter, a keyboard controller and its mouse
 * port) declares them all ({@link Capabilities.Builder#acpiNodes(List)}); only the first gets the
 * device's port and MMIO regions in its {@code _CRS}, the others list just their {@link #irqs()}.
 *
 * <p>A bridge also lists in its {@code _CRS} what it passes on to the devices behind it: its
 * {@link #windows()} (bus numbers, I/O ports, memory), as address space descriptors marked
 * ResourceProducer (§6.4.3.5), after the resources it consumes itself.
 *
 * @param name the preferred 4-character ACPI name ({@code [A-Z_][A-Z0-9_]{3}}, e.g. {@code COM1});
 *     the board renames a node whose name another node already uses and says so in its log
 * @param hid the hardware ID: a 7-character EISA/PNP ID such as {@code PNP0501} (encoded as
 *     {@code EisaId}) or an 8-character ACPI ID such as {@code ACPI0007} (a string)
 * @param uid the unique ID among devices of the same {@code _HID}, at least 0
 * @param irqs the ISA IRQ lines the device drives (0..15), in {@code _CRS} order
 * @param registers the device registers the node's methods and GPE handlers use, by name
 * @param methods the node's control methods (none take arguments)
 * @param gpeHandlers what the board's GPE methods do for the GPE0 bits this node's device raises
 * @param windows the ranges a bridge forwards to the devices behind it, in {@code _CRS} order
 */
public record AcpiNode(String name, String hid, int uid, List<Integer> irqs, List<Register> registers,
        List<Method> methods, List<GpeHandler> gpeHandlers, List<Window> windows) {
    private static final Pattern NAME = Pattern.compile("[A-Z_][A-Z0-9_]{3}");
    private static final Pattern EISA_ID = Pattern.compile("[A-Z]{3}[0-9A-F]{4}");
    private static final Pattern ACPI_ID = Pattern.compile("[A-Z0-9_]{4}[0-9A-F]{4}");
    /** Names the board writes into every node itself. */
    private static final Set<String> RESERVED = Set.of("_HID", "_UID", "_CRS");

    public AcpiNode {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hid, "hid");
        irqs = List.copyOf(irqs);
        registers = List.copyOf(registers);
        methods = List.copyOf(methods);
        gpeHandlers = List.copyOf(gpeHandlers);
        windows = List.copyOf(windows);
        checkName("ACPI name", name);
        if (!isEisaId(hid) && !ACPI_ID.matcher(hid).matches()) {
            throw new IllegalArgumentException("_HID '" + hid + "' is neither a PNP ID (3 letters, 4 hex digits) "
                    + "nor an ACPI ID (4 characters, 4 hex digits)");
        }
        if (uid < 0) {
            throw new IllegalArgumentException("_UID must not be negative, was " + uid);
        }
        for (int irq : irqs) {
            if (irq < 0 || irq > 15) {
                throw new IllegalArgumentException("IRQ " + irq + " is not an ISA IRQ (0..15)");
            }
        }
        Set<String> names = new HashSet<>();
        for (Register r : registers) {
            if (RESERVED.contains(r.name()) || !names.add(r.name())) {
                throw new IllegalArgumentException(name + ": register name " + r.name() + " is used twice or reserved");
            }
        }
        Set<String> registerNames = Set.copyOf(names);
        for (Method m : methods) {
            if (RESERVED.contains(m.name()) || !names.add(m.name())) {
                throw new IllegalArgumentException(name + ": method name " + m.name() + " is used twice or reserved");
            }
            m.result().checkRegisters(name, registerNames);
        }
        for (GpeHandler g : gpeHandlers) {
            for (Action a : g.actions()) {
                if (a instanceof Write w && !registerNames.contains(w.register())) {
                    throw new IllegalArgumentException(name + ": GPE " + g.gpe() + " writes register " + w.register()
                            + ", which the node does not declare");
                }
            }
        }
    }

    /** A node without {@link #windows()}: a device that is not a bridge. */
    public AcpiNode(String name, String hid, int uid, List<Integer> irqs, List<Register> registers,
            List<Method> methods, List<GpeHandler> gpeHandlers) {
        this(name, hid, uid, irqs, registers, methods, gpeHandlers, List.of());
    }

    /** A node with a {@code _HID}, {@code _UID} and {@code _CRS} only. */
    public AcpiNode(String name, String hid, int uid, List<Integer> irqs) {
        this(name, hid, uid, irqs, List.of(), List.of(), List.of(), List.of());
    }

    /** Whether {@code hid} is a PNP/EISA ID, which ACPI encodes as a compressed 32-bit integer. */
    public static boolean isEisaId(String hid) {
        return EISA_ID.matcher(hid).matches();
    }

    private static void checkName(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " '" + name + "' is not 4 characters of A-Z, 0-9 and _ "
                    + "(not starting with a digit)");
        }
    }

    /** The address space of a device region a {@link Register} lies in. */
    public enum Space {
        /** One of the device's {@link PortIoIntercept#pioRegions()} (ACPI SystemIO). */
        PORT_IO,
        /** One of the device's {@link MmioIntercept#mmioRegions()} below 4 GiB (ACPI SystemMemory). */
        MMIO
    }

    /**
     * A device register, as a named field of {@code size} bytes accessed whole (ByteAcc, WordAcc or
     * DWordAcc) at {@code offset} into the device's region number {@code region} of {@code space}.
     *
     * @param name the field's 4-character ACPI name, unique in the node
     * @param space port I/O or MMIO
     * @param region the index into the device's declared regions of that space
     * @param offset the byte offset into that region, a multiple of {@code size}
     * @param size 1, 2 or 4 bytes
     */
    public record Register(String name, Space space, int region, int offset, int size) {
        public Register {
            checkName("register name", name);
            Objects.requireNonNull(space, "space");
            if (size != 1 && size != 2 && size != 4) {
                throw new IllegalArgumentException("register " + name + " is " + size + " bytes, not 1, 2 or 4");
            }
            if (region < 0 || offset < 0 || offset % size != 0) {
                throw new IllegalArgumentException("register " + name + ": region " + region + " offset " + offset
                        + " is not a naturally aligned place in a region");
            }
        }
    }

    /** What a method returns: a constant, a register's value, or a package of those. */
    public sealed interface Value {
        /** Throws if this value reads a register not in {@code registers}. */
        default void checkRegisters(String node, Set<String> registers) {
        }
    }

    /** An integer constant (64 bits; the DSDT is revision 2). */
    public record Const(long value) implements Value {
    }

    /** A string constant, ASCII without NUL. */
    public record Text(String value) implements Value {
        public Text {
            if (!value.chars().allMatch(c -> c >= 0x01 && c <= 0x7F)) {
                throw new IllegalArgumentException("an ACPI string is ASCII without NUL: '" + value + "'");
            }
        }
    }

    /** The current value of one of the node's {@link Register}s, read when the method runs. */
    public record Read(String register) implements Value {
        public Read {
            checkName("register name", register);
        }

        @Override
        public void checkRegisters(String node, Set<String> registers) {
            if (!registers.contains(register)) {
                throw new IllegalArgumentException(node + ": a method reads register " + register
                        + ", which the node does not declare");
            }
        }
    }

    /** A reference to a namespace object by its absolute path (e.g. {@code \_SB} in an AC's {@code _PCL}). */
    public record Ref(String path) implements Value {
        public Ref {
            if (path == null || !path.matches("\\\\([A-Z_][A-Z0-9_]{0,3}(\\.[A-Z_][A-Z0-9_]{0,3})*)?")) {
                throw new IllegalArgumentException("'" + path + "' is not an absolute ACPI path like \\_SB");
            }
        }
    }

    /** A package (ACPI 6.x §19.6.101) of values, at most 255; a package inside may not read registers. */
    public record Pkg(List<Value> elements) implements Value {
        public Pkg {
            elements = List.copyOf(elements);
            if (elements.size() > 255) {
                throw new IllegalArgumentException("a package holds at most 255 elements, got " + elements.size());
            }
            for (Value v : elements) {
                if (v instanceof Pkg p && p.elements().stream().anyMatch(e -> !(e instanceof Const
                        || e instanceof Text || e instanceof Ref))) {
                    throw new IllegalArgumentException("a package inside a package holds constants only");
                }
            }
        }

        @Override
        public void checkRegisters(String node, Set<String> registers) {
            for (Value v : elements) {
                v.checkRegisters(node, registers);
            }
        }
    }

    /**
     * A control method without arguments that returns {@code result}, e.g. {@code _STA},
     * {@code _BST}, {@code _PSR}.
     *
     * @param name the method's 4-character name
     * @param result what it returns
     */
    public record Method(String name, Value result) {
        public Method {
            checkName("method name", name);
            Objects.requireNonNull(result, "result");
        }
    }

    /**
     * What happens when GPE0 status bit {@code gpe} is set and enabled: the board writes
     * {@code \_GPE._Exx} (edge: the OS clears the status bit before it runs the method) or
     * {@code _Lxx} (level: after) with {@code actions} in order. Handlers of several nodes for the same
     * bit are run one after the other in one method.
     *
     * @param gpe the GPE0 bit, 0..255, as the device raises it on the {@code gpe0} line set
     * @param level whether the event is level-triggered
     * @param actions what the method does
     */
    public record GpeHandler(int gpe, boolean level, List<Action> actions) {
        public GpeHandler {
            if (gpe < 0 || gpe > 0xFF) {
                throw new IllegalArgumentException("GPE " + gpe + " is not 0..255");
            }
            actions = List.copyOf(actions);
        }
    }

    /** A step of a GPE handler. */
    public sealed interface Action {
    }

    /** Writes {@code value} to one of the node's registers (e.g. to acknowledge the event). */
    public record Write(String register, long value) implements Action {
        public Write {
            checkName("register name", register);
        }
    }

    /**
     * {@code Notify(node, code)} (§5.6.6): tells the OS's driver of {@code node} (the preferred name of
     * a node of the same device) what happened, e.g. 0x80 "status changed".
     */
    public record Notify(String node, int code) implements Action {
        public Notify {
            checkName("node name", node);
            if (code < 0 || code > 0xFF) {
                throw new IllegalArgumentException("notify code " + code + " is not a byte");
            }
        }
    }

    /** What a bridge {@link Window} forwards. */
    public enum WindowKind {
        /** Bus numbers (a WordBusNumber descriptor, 0..0xFF). */
        BUS_NUMBERS,
        /** I/O ports (a WordIO descriptor, 0..0xFFFF, decoding ISA and non-ISA ranges alike). */
        PORT_IO,
        /** Memory below 4 GiB (a DWordMemory descriptor, read-write, non-cacheable). */
        MEMORY32
    }

    /**
     * A range a bridge decodes and passes on to the devices behind it (a PCI root bridge's bus
     * numbers and I/O and memory windows), listed in {@code _CRS} as an address space descriptor
     * (ACPI 6.x §6.4.3.5: Word for bus numbers and ports, DWord for memory) that is a
     * ResourceProducer with fixed minimum and maximum, positive decode, no translation.
     *
     * @param kind what the range is of
     * @param min the first bus number, port or address
     * @param max the last one, inclusive
     */
    public record Window(WindowKind kind, long min, long max) {
        public Window {
            Objects.requireNonNull(kind, "kind");
            long limit = switch (kind) {
                case BUS_NUMBERS -> 0xFF;
                case PORT_IO -> 0xFFFF;
                case MEMORY32 -> 0xFFFF_FFFFL;
            };
            if (min < 0 || max < min || max > limit) {
                throw new IllegalArgumentException(String.format("%s window 0x%x..0x%x is not within 0..0x%x",
                        kind, min, max, limit));
            }
        }
    }
}
