package io.jvmm.api.device;

import java.util.List;
import java.util.Optional;

/**
 * The optional capabilities of one {@link ChipsetDevice}, built once:
 *
 * <pre>{@code
 * private final Capabilities capabilities = Capabilities.builder()
 *         .portIo(this).pollDevice(this::pollNow).lifecycle(this).build();
 * }</pre>
 *
 * Each accessor returns the same {@code Optional} every time. Immutable.
 */
public final class Capabilities {
    /** A device that offers nothing. */
    public static final Capabilities NONE = builder().build();

    private final Optional<PortIoIntercept> portIo;
    private final Optional<MmioIntercept> mmio;
    private final Optional<PciConfigSpace> pciConfig;
    private final Optional<PciBus> pciBus;
    private final Optional<PciFunction> pciFunction;
    private final Optional<PollDevice> pollDevice;
    private final Optional<LineInterruptTarget> lineInterruptTarget;
    private final Optional<DeviceLifecycle> lifecycle;
    private final Optional<SaveRestore> savedState;
    private final List<AcpiNode> acpiNodes;
    private final Optional<AcpiNode> acpiNode;
    private final Optional<AcpiPmBlock> acpiPmBlock;
    private final Optional<PowerButton> powerButton;

    private Capabilities(Builder b) {
        portIo = Optional.ofNullable(b.portIo);
        mmio = Optional.ofNullable(b.mmio);
        pciConfig = Optional.ofNullable(b.pciConfig);
        pciBus = Optional.ofNullable(b.pciBus);
        pciFunction = Optional.ofNullable(b.pciFunction);
        pollDevice = Optional.ofNullable(b.pollDevice);
        lineInterruptTarget = Optional.ofNullable(b.lineInterruptTarget);
        lifecycle = Optional.ofNullable(b.lifecycle);
        savedState = Optional.ofNullable(b.savedState);
        acpiNodes = b.acpiNodes;
        acpiNode = acpiNodes.isEmpty() ? Optional.empty() : Optional.of(acpiNodes.get(0));
        acpiPmBlock = Optional.ofNullable(b.acpiPmBlock);
        powerButton = Optional.ofNullable(b.powerButton);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Port I/O, with the port regions the device declares. */
    public Optional<PortIoIntercept> portIo() {
        return portIo;
    }

    /** Memory-mapped I/O, with the MMIO regions the device declares. */
    public Optional<MmioIntercept> mmio() {
        return mmio;
    }

    /** A PCI function's configuration space, for devices that sit on a PCI bus. */
    public Optional<PciConfigSpace> pciConfig() {
        return pciConfig;
    }

    /** For PCI bus devices: where the board attaches the {@link #pciConfig()} of other devices. */
    public Optional<PciBus> pciBus() {
        return pciBus;
    }

    /** A PCI function (header, BARs, capabilities) the board attaches to the PCI bus. */
    public Optional<PciFunction> pciFunction() {
        return pciFunction;
    }

    /** Work done off the vCPU threads when the device's {@link DeviceWaker} fires. */
    public Optional<PollDevice> pollDevice() {
        return pollDevice;
    }

    /** For interrupt controllers and other targets of a line set. */
    public Optional<LineInterruptTarget> lineInterruptTarget() {
        return lineInterruptTarget;
    }

    /** Start, stop and reset notifications. */
    public Optional<DeviceLifecycle> lifecycle() {
        return lifecycle;
    }

    /** Versioned saved state. Devices without it cannot be saved (and say so). */
    public Optional<SaveRestore> savedState() {
        return savedState;
    }

    /** The device's node in the guest's ACPI namespace (DSDT): the first of {@link #acpiNodes()}. */
    public Optional<AcpiNode> acpiNode() {
        return acpiNode;
    }

    /** All of the device's ACPI nodes, in DSDT order; empty if it has none. */
    public List<AcpiNode> acpiNodes() {
        return acpiNodes;
    }

    /** For the ACPI power-management device: the fixed hardware the FADT describes. */
    public Optional<AcpiPmBlock> acpiPmBlock() {
        return acpiPmBlock;
    }

    /** A power button the host can press ({@code jvmm ctl shutdown}): the guest is asked to shut down. */
    public Optional<PowerButton> powerButton() {
        return powerButton;
    }

    /** Sets the capabilities a device has; the others stay empty. A null argument leaves one empty. */
    public static final class Builder {
        private PortIoIntercept portIo;
        private MmioIntercept mmio;
        private PciConfigSpace pciConfig;
        private PciBus pciBus;
        private PciFunction pciFunction;
        private PollDevice pollDevice;
        private LineInterruptTarget lineInterruptTarget;
        private DeviceLifecycle lifecycle;
        private SaveRestore savedState;
        private List<AcpiNode> acpiNodes = List.of();
        private AcpiPmBlock acpiPmBlock;
        private PowerButton powerButton;

        private Builder() {}

        public Builder portIo(PortIoIntercept portIo) {
            this.portIo = portIo;
            return this;
        }

        public Builder mmio(MmioIntercept mmio) {
            this.mmio = mmio;
            return this;
        }

        public Builder pciConfig(PciConfigSpace pciConfig) {
            this.pciConfig = pciConfig;
            return this;
        }

        public Builder pciBus(PciBus pciBus) {
            this.pciBus = pciBus;
            return this;
        }

        public Builder pciFunction(PciFunction pciFunction) {
            this.pciFunction = pciFunction;
            return this;
        }

        public Builder pollDevice(PollDevice pollDevice) {
            this.pollDevice = pollDevice;
            return this;
        }

        public Builder lineInterruptTarget(LineInterruptTarget target) {
            this.lineInterruptTarget = target;
            return this;
        }

        public Builder lifecycle(DeviceLifecycle lifecycle) {
            this.lifecycle = lifecycle;
            return this;
        }

        public Builder savedState(SaveRestore savedState) {
            this.savedState = savedState;
            return this;
        }

        /** The device's one ACPI node (null: none). */
        public Builder acpiNode(AcpiNode acpiNode) {
            this.acpiNodes = acpiNode == null ? List.of() : List.of(acpiNode);
            return this;
        }

        /**
         * The device's ACPI nodes, when it has more than one (a battery and its AC adapter); the first
         * gets the device's regions in its {@code _CRS}.
         */
        public Builder acpiNodes(List<AcpiNode> acpiNodes) {
            this.acpiNodes = List.copyOf(acpiNodes);
            return this;
        }

        public Builder acpiPmBlock(AcpiPmBlock acpiPmBlock) {
            this.acpiPmBlock = acpiPmBlock;
            return this;
        }

        public Builder powerButton(PowerButton powerButton) {
            this.powerButton = powerButton;
            return this;
        }

        public Capabilities build() {
            return new Capabilities(this);
        }
    }
}
