package io.jvmm.cli;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.handles.StdioSerialHandle;
import io.jvmm.api.handles.TapHandle;
import io.jvmm.api.handles.TcpSerialHandle;
import io.jvmm.api.handles.VirtioConsoleHandle;
import io.jvmm.api.handles.VirtioBlkHandle;
import io.jvmm.api.handles.VirtioNetHandle;
import io.jvmm.api.handles.VirtioVsockHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.ManifestBuildException;
import io.jvmm.runtime.manifest.ManifestException;
import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** The VM options shared by {@code run} and {@code manifest}. */
final class VmOptions {
    /** The PCI slot --vsock puts its device in. */
    static final int VSOCK_SLOT = 3;
    /** The PCI slot --rng puts its device in. */
    static final int RNG_SLOT = 4;
    /** The PCI slot --virtio-console puts its device in. */
    static final int CONSOLE_SLOT = 5;
    /** The PCI slot of the first --disk (5 is kept for the virtio console). */
    static final int FIRST_DISK_SLOT = 6;
    /** sun_path holds 108 bytes with its NUL; PATH_4294967295 must fit. */
    static final int MAX_UDS_PATH = 107 - "_4294967295".length();

    // the options' values; addTo declares the options (names, labels, defaults, descriptions)
    String chipset;
    String arch;
    Path manifest;
    List<String> serial = new ArrayList<>();
    String debugcon;
    String battery;
    boolean rng;
    String virtioConsole;
    List<String> disks = new ArrayList<>();
    List<String> nets = new ArrayList<>();
    String vsock;
    boolean serialWaitForRts;
    boolean proxyVga;
    boolean stubFloppy;
    boolean framebuffer;
    boolean guestWatchdog;
    boolean psp;

    /** Adds this instance's options to {@code command}, in the order its usage lists them. */
    void addTo(CommandSpec command) {
        command.addOption(BoundOptions.value("--chipset", String.class, () -> chipset, v -> chipset = v)
                .paramLabel("TYPE").defaultValue("unenlightened-linux-direct")
                .description("Base chipset: hyperv-gen1, hyperv-gen2-uefi, hyperv-gen2-linux-direct, hcl-host, "
                        + "unenlightened-linux-direct (default: ${DEFAULT-VALUE}).").build());
        command.addOption(BoundOptions.value("--arch", String.class, () -> arch, v -> arch = v)
                .paramLabel("ARCH").defaultValue("x86_64")
                .description("Guest architecture: x86_64 or aarch64 (default: ${DEFAULT-VALUE}).").build());
        command.addOption(BoundOptions.value("--manifest", Path.class, () -> manifest, v -> manifest = v)
                .paramLabel("FILE").description("A manifest document to use instead of the chipset builder options.")
                .build());
        command.addOption(BoundOptions.list("--serial", String.class, () -> serial, v -> serial = v)
                .paramLabel("N=BACKEND")
                .description("COM port N (1-4) backend: stdio, file=PATH, tcp=HOST:PORT, none (repeatable; "
                        + "default: 1=stdio).").build());
        command.addOption(BoundOptions.value("--debugcon", String.class, () -> debugcon, v -> debugcon = v)
                .paramLabel("PORT=BACKEND").description("A debug console port (e.g. 0xe9=stdio), output only; x86 only.")
                .build());
        command.addOption(BoundOptions.value("--battery", String.class, () -> battery, v -> battery = v)
                .paramLabel("SPEC").description("A battery: " + BatterySpec.SYNTAX_HELP).build());
        command.addOption(BoundOptions.flag("--rng", () -> rng, v -> rng = v)
                .description("A virtio entropy device (virtio_rng, PCI 00:04.0) fed by the host's SecureRandom; "
                        + "Linux reads it as /dev/hwrng (virtio_pci, virtio_rng).").build());
        command.addOption(BoundOptions.value("--virtio-console", String.class, () -> virtioConsole, v -> virtioConsole = v)
                .paramLabel("BACKEND")
                .description("A virtio console (virtio_console, PCI 00:05.0; Linux's hvc0, console=hvc0) on a serial "
                        + "backend: stdio, file=PATH, tcp=HOST:PORT, none. With stdio, COM1 defaults to none.").build());
        command.addOption(BoundOptions.list("--disk", String.class, () -> disks, v -> disks = v)
                .paramLabel("PATH[,ro][,serial=ID]")
                .description("A virtio block device (virtio_blk) on a raw image file whose size is a multiple of 512 "
                        + "bytes (repeatable: PCI 00:06.0, 00:07.0, ... in the order given, Linux's vda, vdb, ...). "
                        + "ro: read-only; serial=ID: what the guest reads as its serial (default: the file name, "
                        + "20 characters at most). A read-write image is locked against other processes.").build());
        command.addOption(BoundOptions.list("--net", String.class, () -> nets, v -> nets = v)
                .paramLabel("tap=NAME[,mac=MAC]")
                .description("A virtio network card (virtio_net) on the TAP interface NAME (repeatable: PCI slots after "
                        + "the disks, Linux's eth0/ens*, ... in the order given). An existing TAP is attached (make one "
                        + "for your user with 'ip tuntap add NAME mode tap user USER'); a missing one is created, which "
                        + "needs root or CAP_NET_ADMIN, and vanishes when the VM ends. mac=MAC: the card's address "
                        + "(default: 52:54:00:12:34:NN, NN = 0x56 + the card's index).").build());
        command.addOption(BoundOptions.value("--vsock", String.class, () -> vsock, v -> vsock = v)
                .paramLabel("cid=N,uds=PATH")
                .description("A virtio socket device (virtio_vsock, PCI 00:03.0) for guest CID N (3..4294967294) whose "
                        + "host side is Unix sockets: a guest connect(2, P) reaches a listener at PATH_P; a host client "
                        + "of PATH that writes 'CONNECT <port>\\n' reaches guest port <port> (answer 'OK <hostport>\\n').")
                .build());
        command.addOption(BoundOptions.flag("--serial-wait-for-rts", () -> serialWaitForRts, v -> serialWaitForRts = v)
                .description("Deliver host input only while the guest holds DTR and RTS.").build());
        command.addOption(BoundOptions.flag("--proxy-vga", () -> proxyVga, v -> proxyVga = v)
                .description("Use the Underhill VGA proxy (hyperv-gen1 only).").build());
        command.addOption(BoundOptions.flag("--stub-floppy", () -> stubFloppy, v -> stubFloppy = v)
                .description("Use the stub floppy device (hyperv-gen1 only).").build());
        command.addOption(BoundOptions.flag("--framebuffer", () -> framebuffer, v -> framebuffer = v)
                .description("Add the framebuffer device.").build());
        command.addOption(BoundOptions.flag("--guest-watchdog", () -> guestWatchdog, v -> guestWatchdog = v)
                .description("Add the guest watchdog device.").build());
        command.addOption(BoundOptions.flag("--psp", () -> psp, v -> psp = v)
                .description("Add the AMD64 PSP device.").build());
    }

    /** Whether the command line describes a board at all: --manifest or any builder option given explicitly. */
    boolean boardGiven(boolean chipsetGiven, boolean archGiven) {
        return manifest != null || builderOptionsGiven(chipsetGiven, archGiven);
    }

    /** Whether any builder option was given explicitly (they conflict with --manifest). */
    private boolean builderOptionsGiven(boolean chipsetGiven, boolean archGiven) {
        return chipsetGiven || archGiven || !serial.isEmpty() || debugcon != null || battery != null || serialWaitForRts || rng
                || virtioConsole != null
                || !disks.isEmpty() || !nets.isEmpty() || vsock != null
                || proxyVga || stubFloppy || framebuffer || guestWatchdog || psp;
    }

    /**
     * The manifest {@code run} would use: the document given with {@code --manifest}, or the
     * builder's result for the options.
     */
    VmManifest manifest(ResolverRegistry registry, boolean chipsetGiven, boolean archGiven) {
        if (manifest != null) {
            if (builderOptionsGiven(chipsetGiven, archGiven)) {
                throw UserError.config("--manifest describes the whole chipset; drop --chipset, --arch, --serial, "
                        + "--debugcon, --battery and the device flags, or drop --manifest");
            }
            if (Files.isDirectory(manifest)) {
                throw UserError.config("--manifest " + manifest + ": is a directory; give a manifest file "
                        + "(write one with 'jvmm manifest > vm.json')");
            }
            String text;
            try {
                text = Files.readString(manifest);
            } catch (IOException e) {
                throw UserError.config("--manifest " + manifest + ": cannot read: " + describe(e));
            }
            VmManifest read;
            try {
                read = new ManifestJson().read(text, registry);
            } catch (ManifestException e) {
                throw UserError.config("--manifest " + manifest + ": " + e.getMessage());
            }
            checkVirtioConsoleStdio(read, "--manifest " + manifest + ": ",
                    "give one of them another serial backend, e.g. \"id\": \"disconnected\"");
            return read;
        }
        BaseChipsetType type;
        MachineArch machine;
        try {
            type = BaseChipsetType.parse(chipset);
        } catch (IllegalArgumentException e) {
            throw UserError.config("--chipset: " + e.getMessage());
        }
        try {
            machine = MachineArch.parse(arch);
        } catch (IllegalArgumentException e) {
            throw UserError.config("--arch: " + e.getMessage());
        }
        VmManifestBuilder b = new VmManifestBuilder(type, machine);
        Resource<SerialBackend> console = virtioConsole == null ? null : backend("--virtio-console", virtioConsole);
        boolean consoleOnStdio = console != null && console.id().equals(StdioSerialHandle.ID);
        List<Resource<SerialBackend>> ports = serialPorts(consoleOnStdio);
        if (ports != null) {
            b = b.withSerial(ports);
        }
        if (serialWaitForRts) {
            b = b.withSerialWaitForRts();
        }
        if (rng) {
            b = b.withVirtioRng(RNG_SLOT);
        }
        if (console != null) {
            b = b.withVirtioConsole(CONSOLE_SLOT, console);
        }
        List<VirtioBlkHandle> diskHandles = diskHandles();
        for (VirtioBlkHandle disk : diskHandles) {
            b = b.withVirtioBlk(disk);
        }
        for (VirtioNetHandle card : netHandles(FIRST_DISK_SLOT + diskHandles.size())) {
            b = b.withPciFunction(card.pciDevice(), "virtio-net-" + card.pciDevice(), card.toResource());
        }
        if (vsock != null) {
            b = b.withVirtioVsock(vsockHandle());
        }
        if (debugcon != null) {
            int eq = debugcon.indexOf('=');
            if (eq < 0) {
                throw UserError.config("--debugcon '" + debugcon + "': expected PORT=BACKEND, e.g. 0xe9=stdio");
            }
            int port = parsePort("--debugcon", debugcon.substring(0, eq));
            b = b.withDebugcon(backend("--debugcon", debugcon.substring(eq + 1)), port);
        }
        if (battery != null) {
            Resource<BatterySource> source;
            try {
                source = BatterySpec.parse(battery);
            } catch (IllegalArgumentException e) {
                throw UserError.config("--battery: " + e.getMessage());
            }
            b = b.withBattery(source);
        }
        // The builder's own message names its method; say it in terms of the options instead.
        if ((proxyVga || stubFloppy) && type != BaseChipsetType.HYPERV_GEN1) {
            throw UserError.config((proxyVga ? "--proxy-vga" : "--stub-floppy") + " needs --chipset "
                    + BaseChipsetType.HYPERV_GEN1.label() + " (the chipset is " + type.label() + ")");
        }
        try {
            if (proxyVga) {
                b = b.withProxyVga();
            }
            if (stubFloppy) {
                b = b.withStubFloppy();
            }
        } catch (IllegalStateException e) {
            throw UserError.config((proxyVga ? "--proxy-vga" : "--stub-floppy") + ": " + e.getMessage());
        }
        if (framebuffer) {
            b = b.withFramebuffer();
        }
        if (guestWatchdog) {
            b = b.withGuestWatchdog();
        }
        if (psp) {
            b = b.withPsp();
        }
        try {
            VmManifest built = b.build();
            checkVirtioConsoleStdio(built, "--virtio-console stdio: ", "give one of them another backend, e.g. none");
            return built;
        } catch (ManifestBuildException e) {
            throw UserError.config("cannot build the " + type.label() + " " + machine.label() + " chipset: "
                    + e.getMessage());
        }
    }

    /**
     * A virtio console on stdio must be the only device there: every stdio backend reads the
     * terminal, so two would each get some of the keys (the command line moves COM1 off stdio
     * itself; a manifest has to say so).
     */
    static void checkVirtioConsoleStdio(VmManifest m, String prefix, String fix) {
        String console = null;
        for (ChipsetDeviceHandle d : m.devices()) {
            if (d.resource().handle() instanceof VirtioConsoleHandle h && h.io().id().equals(StdioSerialHandle.ID)) {
                console = d.name();
            }
        }
        if (console == null) {
            return;
        }
        for (ChipsetDeviceHandle d : m.devices()) {
            if (!d.name().equals(console) && ManifestJson.resources(new VmManifest(m.type(), m.arch(), m.chipset(),
                    List.of(d))).stream().anyMatch(r -> r.kind().equals(ResourceKinds.SERIAL_BACKEND)
                            && r.id().equals(StdioSerialHandle.ID))) {
                throw UserError.config(prefix + "device '" + d.name() + "' and the virtio console '" + console
                        + "' both use the stdio serial backend; one terminal cannot feed both: " + fix);
            }
        }
    }

    /**
     * The four COM backends. Without --serial, COM1 is stdio, or none when the virtio console has
     * stdio: one terminal cannot feed two devices (each would get some of the keys).
     */
    private List<Resource<SerialBackend>> serialPorts(boolean consoleOnStdio) {
        List<String> specs = serial.isEmpty() ? List.of(consoleOnStdio ? "1=none" : "1=stdio") : serial;
        @SuppressWarnings("unchecked")
        Resource<SerialBackend>[] ports = new Resource[4];
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq < 0) {
                throw UserError.config("--serial '" + spec + "': expected N=BACKEND, e.g. 1=stdio or 2=tcp=127.0.0.1:4444");
            }
            int n;
            try {
                n = Integer.parseInt(spec.substring(0, eq).trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > 4) {
                throw UserError.config("--serial '" + spec + "': N must be a COM port number 1..4");
            }
            if (ports[n - 1] != null) {
                throw UserError.config("--serial: COM" + n + " is given twice");
            }
            ports[n - 1] = backend("--serial " + n, spec.substring(eq + 1));
            if (consoleOnStdio && ports[n - 1].id().equals(StdioSerialHandle.ID)) {
                throw UserError.config("--serial " + n + "=stdio and --virtio-console stdio: one terminal cannot feed "
                        + "both; give one of them another backend (e.g. --serial " + n + "=none or --virtio-console "
                        + "tcp=127.0.0.1:4444)");
            }
        }
        return Arrays.asList(ports);
    }

    /**
     * The --disk options as handles, in slots from {@link #FIRST_DISK_SLOT}: each image checked here
     * (exists, a regular file, readable and for read-write writable, whole 512-byte sectors), so the
     * user hears of a mistake before the VM is built; the device locks it when it opens it.
     */
    List<VirtioBlkHandle> diskHandles() {
        int max = io.jvmm.api.device.PciPlatform.SLOTS - FIRST_DISK_SLOT;
        if (disks.size() > max) {
            throw UserError.config("--disk: " + disks.size() + " disks given, at most " + max + " fit (PCI slots "
                    + FIRST_DISK_SLOT + ".." + (io.jvmm.api.device.PciPlatform.SLOTS - 1) + ")");
        }
        List<VirtioBlkHandle> out = new ArrayList<>();
        List<Path> real = new ArrayList<>();
        for (int i = 0; i < disks.size(); i++) {
            String spec = disks.get(i);
            String[] parts = spec.split(",", -1);
            String path = parts[0];
            if (path.isBlank()) {
                throw UserError.config("--disk '" + spec + "': expected PATH[,ro][,serial=ID], e.g. --disk disk.img,ro");
            }
            boolean ro = false;
            String serial = null;
            for (int k = 1; k < parts.length; k++) {
                String opt = parts[k];
                if (opt.equals("ro")) {
                    ro = true;
                } else if (opt.startsWith("serial=")) {
                    serial = opt.substring(7);
                    String bad = VirtioBlkHandle.serialProblem(serial);
                    if (bad != null) {
                        throw UserError.config("--disk " + spec + ": serial " + bad);
                    }
                } else {
                    throw UserError.config("--disk '" + spec + "': unknown option '" + opt
                            + "' after the path (expected ro or serial=ID)");
                }
            }
            Path file = Path.of(path);
            if (Files.isDirectory(file)) {
                throw UserError.config("--disk " + path + ": is a directory; give a raw disk image file");
            }
            if (!Files.exists(file)) {
                throw UserError.config("--disk " + path + ": no such file; create a raw image first "
                        + "(e.g. truncate -s 1G " + path + ", then mkfs)");
            }
            if (!Files.isRegularFile(file)) {
                throw UserError.config("--disk " + path + ": not a regular file; give a raw disk image file");
            }
            if (!Files.isReadable(file) || (!ro && !Files.isWritable(file))) {
                throw UserError.config("--disk " + path + ": permission denied for "
                        + (ro ? "reading" : "reading and writing; fix its permissions or add ,ro"));
            }
            Path canonical;
            long size;
            try {
                canonical = file.toRealPath();
                size = Files.size(file);
            } catch (IOException e) {
                throw UserError.config("--disk " + path + ": " + describe(e));
            }
            if (size % 512 != 0) {
                throw UserError.config("--disk " + path + ": its size, " + size + " bytes, is not a multiple of 512; "
                        + "pad it (truncate -s %512 " + path + ")");
            }
            for (int j = 0; j < real.size(); j++) {
                if (real.get(j).equals(canonical) && (!ro || !out.get(j).readOnly())) {
                    throw UserError.config("--disk " + path + ": the same image as --disk " + disks.get(j)
                            + "; a read-write image may be given once (read-only images any number of times)");
                }
            }
            if (serial == null) {
                serial = defaultSerial(file);
            }
            real.add(canonical);
            // absolute, so a manifest written by 'jvmm manifest' works from any directory
            out.add(new VirtioBlkHandle(file.toAbsolutePath().normalize().toString(), ro, FIRST_DISK_SLOT + i, serial));
        }
        return out;
    }

    /**
     * The --net options as handles, in slots from {@code firstSlot} (after the disks). The
     * interface itself is opened when the device is resolved (whether it exists and may be used is
     * only known then).
     */
    List<VirtioNetHandle> netHandles(int firstSlot) {
        int max = io.jvmm.api.device.PciPlatform.SLOTS - firstSlot;
        if (nets.size() > max) {
            throw UserError.config("--net: " + nets.size() + " cards given, at most " + Math.max(max, 0)
                    + " fit after the disks (PCI slots " + firstSlot + ".." + (io.jvmm.api.device.PciPlatform.SLOTS - 1)
                    + ")");
        }
        List<VirtioNetHandle> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < nets.size(); i++) {
            String spec = nets.get(i);
            String tap = null;
            String mac = null;
            for (String opt : spec.split(",", -1)) {
                if (opt.startsWith("tap=")) {
                    tap = opt.substring(4);
                } else if (opt.startsWith("mac=")) {
                    mac = opt.substring(4);
                } else {
                    throw UserError.config("--net '" + spec + "': unknown option '" + opt
                            + "' (expected tap=NAME[,mac=MAC], e.g. --net tap=tap0,mac=52:54:00:12:34:56)");
                }
            }
            if (tap == null) {
                throw UserError.config("--net '" + spec + "': expected tap=NAME[,mac=MAC], e.g. --net tap=tap0");
            }
            String bad = TapHandle.nameProblem(tap);
            if (bad != null) {
                throw UserError.config("--net " + spec + ": interface " + bad);
            }
            if (names.contains(tap)) {
                throw UserError.config("--net " + spec + ": TAP " + tap + " is given twice; a TAP serves one card");
            }
            if (mac == null) {
                mac = defaultMac(i);
            }
            bad = VirtioNetHandle.macProblem(mac);
            if (bad != null) {
                throw UserError.config("--net " + spec + ": mac " + bad);
            }
            names.add(tap);
            out.add(new VirtioNetHandle(firstSlot + i, mac, new TapHandle(tap).toResource()));
        }
        return out;
    }

    /**
     * The MAC of card {@code index} when none is given: in QEMU's 52:54:00 range (locally
     * administered, unicast), the same for the same command line, different per card.
     */
    static String defaultMac(int index) {
        return String.format("52:54:00:12:34:%02x", (0x56 + index) & 0xFF);
    }

    /** The --vsock option as a handle: {@code cid=N,uds=PATH}, both required, the path's directory existing. */
    VirtioVsockHandle vsockHandle() {
        String syntax = "expected cid=N,uds=PATH, e.g. --vsock cid=3,uds=/tmp/vm.sock";
        Long cid = null;
        String uds = null;
        for (String part : vsock.split(",", -1)) {
            if (part.startsWith("cid=")) {
                String v = part.substring(4);
                if (v.isEmpty() || v.length() > 10 || !v.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                    throw UserError.config("--vsock '" + vsock + "': cid '" + v + "' is not a number; " + syntax);
                }
                cid = Long.parseLong(v);
                String bad = VirtioVsockHandle.cidProblem(cid);
                if (bad != null) {
                    throw UserError.config("--vsock '" + vsock + "': cid " + bad);
                }
            } else if (part.startsWith("uds=")) {
                uds = part.substring(4);
            } else {
                throw UserError.config("--vsock '" + vsock + "': unknown part '" + part + "'; " + syntax);
            }
        }
        if (cid == null || uds == null || uds.isBlank()) {
            throw UserError.config("--vsock '" + vsock + "': " + syntax);
        }
        Path path = Path.of(uds).toAbsolutePath().normalize();
        int bytes = path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_UDS_PATH) {
            throw UserError.config("--vsock uds=" + uds + ": too long for a Unix socket (with _PORT appended it must fit "
                    + "in 107 bytes; this is " + bytes + " bytes with its directory); give a shorter path, "
                    + "e.g. under /tmp");
        }
        Path parent = path.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw UserError.config("--vsock uds=" + uds + ": the directory " + parent + " does not exist; create it first");
        }
        if (Files.isDirectory(path)) {
            throw UserError.config("--vsock uds=" + uds + ": is a directory; give a socket path in it, e.g. "
                    + path.resolve("vm.sock"));
        }
        return new VirtioVsockHandle(VSOCK_SLOT, cid, path.toString());
    }

    /** The file name, printable ASCII only, at most 20 characters: the disk's default serial. */
    static String defaultSerial(Path file) {
        Path name = file.getFileName();
        String s = (name == null ? "disk" : name.toString()).replaceAll("[^\\x20-\\x7E]", "_");
        return s.length() > VirtioBlkHandle.SERIAL_MAX ? s.substring(0, VirtioBlkHandle.SERIAL_MAX) : s;
    }

    /** stdio | file=PATH | tcp=HOST:PORT | none. */
    static Resource<SerialBackend> backend(String option, String spec) {
        String s = spec.trim();
        if (s.equals("stdio")) {
            return StdioSerialHandle.resource();
        }
        if (s.equals("none")) {
            return DisconnectedSerialHandle.resource();
        }
        if (s.startsWith("file=")) {
            String path = s.substring(5);
            if (path.isEmpty()) {
                throw UserError.config(option + ": file= needs a path, e.g. file=/tmp/com1.log");
            }
            return FileSerialHandle.resource(path);
        }
        if (s.startsWith("tcp=")) {
            String hp = s.substring(4);
            int colon = hp.lastIndexOf(':');
            if (colon <= 0) {
                throw UserError.config(option + ": tcp= needs HOST:PORT, e.g. tcp=127.0.0.1:4444");
            }
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return TcpSerialHandle.resource(host, parsePort(option, hp.substring(colon + 1)));
        }
        throw UserError.config(option + ": unknown backend '" + spec + "' (expected stdio, file=PATH, tcp=HOST:PORT or none)");
    }

    static int parsePort(String option, String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            int v = t.startsWith("0x") ? Integer.parseInt(t.substring(2), 16) : Integer.parseInt(t);
            if (v >= 0 && v <= 0xFFFF) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw UserError.config(option + ": '" + text + "' is not a port number 0..65535 (decimal or 0x hex)");
    }

    static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
