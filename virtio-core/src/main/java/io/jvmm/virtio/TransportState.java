package io.jvmm.virtio;

import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.MsixTable;
import io.jvmm.api.support.StateFormat;
import io.jvmm.api.support.StateReader;
import io.jvmm.api.support.StateWriter;
import java.util.List;
import java.util.Optional;

/**
 * A {@link VirtioPciDevice}'s saved state: the common configuration (virtio 1.2 §4.1.4.3), the ISR
 * (§4.1.4.5), the PCI configuration access window (§4.1.4.9), the command register bits the function
 * acts on, every queue ({@link QueueState}), the MSI-X table when the function has one, and the
 * device type's own state in its own format ({@link VirtioDevice#saveState()}). The compact
 * constructor holds what is true of any such state; {@link VirtioPciDevice} checks the rest against
 * the device it is restored into (device type, queue count and sizes, vectors, features offered).
 *
 * @param deviceId the virtio device ID (§5), so that a state is not restored into another device type
 * @param status device_status
 * @param deviceFeatureSelect device_feature_select
 * @param driverFeatureSelect driver_feature_select
 * @param driverFeatures the driver's feature bits (negotiated once {@code status} has FEATURES_OK)
 * @param configGeneration config_generation
 * @param queueSelect queue_select
 * @param isr the ISR status bits (bit 0 queue, bit 1 configuration change)
 * @param command the PCI command register as the function last saw it (bus mastering, INTx disable)
 * @param configVector config_msix_vector
 * @param window the configuration access window's cap.bar, cap.offset, cap.length and pci_cfg_data
 * @param queues one per queue, in order
 * @param msix the MSI-X state; empty when the function has no MSI-X
 * @param device the device type's own state; empty when it keeps none
 */
record TransportState(int deviceId, int status, long deviceFeatureSelect, long driverFeatureSelect,
        long driverFeatures, int configGeneration, int queueSelect, int isr, int command, int configVector,
        Window window, List<QueueState> queues, Optional<MsixTable.State> msix, Optional<SavedStateBlob> device) {

    /** The most queues a virtio PCI device has here (the transport's limit). */
    static final int MAX_QUEUES = 0x400;
    /** The most bytes of a device type's own state. */
    static final int MAX_DEVICE_STATE = 1 << 20;

    /** The configuration access window's registers (§4.1.4.9), all guest-written. */
    record Window(int bar, long offset, long length, long data) {
        Window {
            check("cap.bar", bar, 0xFF);
            check("cap.offset", offset, 0xFFFF_FFFFL);
            check("cap.length", length, 0xFFFF_FFFFL);
            check("pci_cfg_data", data, 0xFFFF_FFFFL);
        }

        static final Window INITIAL = new Window(0, 0, 0, 0);
    }

    TransportState {
        queues = List.copyOf(queues);
        check("deviceId", deviceId, 0xFFFF);
        check("status", status, 0xFF);
        check("deviceFeatureSelect", deviceFeatureSelect, 0xFFFF_FFFFL);
        check("driverFeatureSelect", driverFeatureSelect, 0xFFFF_FFFFL);
        check("configGeneration", configGeneration, 0xFF);
        check("queueSelect", queueSelect, 0xFFFF);
        check("isr", isr, 3);
        check("command", command, 0xFFFF);
        check("configVector", configVector, 0xFFFF);
        if (queues.isEmpty() || queues.size() > MAX_QUEUES) {
            throw new IllegalArgumentException("a virtio device has 1.." + MAX_QUEUES + " queues, the state has "
                    + queues.size());
        }
        if ((status & VirtioPciDevice.STATUS_FEATURES_OK) != 0 && (driverFeatures & VirtioPciDevice.F_VERSION_1) == 0) {
            throw new IllegalArgumentException("FEATURES_OK without VIRTIO_F_VERSION_1");
        }
    }

    private static void check(String name, long value, long max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(name + " " + value + " is outside [0, " + max + "]");
        }
    }

    static final StateFormat<TransportState> FORMAT = StateFormat.of("virtio.pci", 1, TransportState::write,
            TransportState::read);

    private static void write(TransportState s, StateWriter out) {
        out.u16("deviceId", s.deviceId()).u8("status", s.status())
                .u32("deviceFeatureSelect", s.deviceFeatureSelect()).u32("driverFeatureSelect", s.driverFeatureSelect())
                .i64("driverFeatures", s.driverFeatures()).u8("configGeneration", s.configGeneration())
                .u16("queueSelect", s.queueSelect()).u8("isr", s.isr()).u16("command", s.command())
                .u16("configVector", s.configVector())
                .u8("windowBar", s.window().bar()).u32("windowOffset", s.window().offset())
                .u32("windowLength", s.window().length()).u32("windowData", s.window().data())
                .list("queues", s.queues(), QueueState.ENCODER)
                .list("msix", s.msix().stream().toList(), MsixTable.State.ENCODER);
        s.device().ifPresent(d -> out.text("deviceFormat", d.format()).u32("deviceVersion", d.version())
                .bytes("deviceState", d.data()));
    }

    private static TransportState read(StateReader in) {
        int deviceId = in.u16("deviceId");
        int status = in.u8("status");
        long dfs = in.u32("deviceFeatureSelect");
        long drfs = in.u32("driverFeatureSelect");
        long features = in.i64("driverFeatures");
        int generation = in.u8("configGeneration");
        int queueSelect = in.u16("queueSelect");
        int isr = in.u8("isr");
        int command = in.u16("command");
        int configVector = in.u16("configVector");
        Window window = new Window(in.u8("windowBar"), in.u32("windowOffset"), in.u32("windowLength"),
                in.u32("windowData"));
        List<QueueState> queues = in.list("queues", MAX_QUEUES, QueueState.DECODER);
        List<MsixTable.State> msix = in.list("msix", 1, MsixTable.State.DECODER);
        Optional<SavedStateBlob> device = Optional.empty();
        if (in.has("deviceFormat")) {
            String format = in.text("deviceFormat", 255);
            long version = in.u32("deviceVersion");
            if (version < 1 || version > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("device state version " + version);
            }
            device = Optional.of(new SavedStateBlob(format, (int) version, in.bytes("deviceState", MAX_DEVICE_STATE)));
        }
        return new TransportState(deviceId, status, dfs, drfs, features, generation, queueSelect, isr, command,
                configVector, window, queues, msix.stream().findFirst(), device);
    }
}
