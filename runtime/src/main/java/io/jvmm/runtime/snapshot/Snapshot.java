package io.jvmm.runtime.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.runtime.vm.GuestPayload;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A snapshot directory, read and checked ({@link #read}), or written atomically ({@link #write}).
 * The layout is described in this package's documentation.
 *
 * @param dir where it is
 * @param info what {@code snapshot.json} says
 * @param state the partition's, vCPUs' and devices' state ({@code state.bin})
 * @param payload the payload's bytes ({@code payload/})
 * @param memoryImage {@code memory.bin}, to be mapped as the new partition's RAM
 */
public record Snapshot(Path dir, SnapshotInfo info, MachineState state, GuestPayload payload, Path memoryImage) {
    /** The {@code format} of {@code snapshot.json}. */
    public static final String FORMAT = "jvmm-snapshot";
    /** The snapshot layout version this jvmm writes and reads. */
    public static final int VERSION = 1;
    public static final String INFO_FILE = "snapshot.json";
    public static final String STATE_FILE = "state.bin";
    public static final String MEMORY_FILE = "memory.bin";
    static final String FIRMWARE_FILE = "payload/firmware.bin";
    static final String KERNEL_FILE = "payload/kernel";
    static final String INITRD_FILE = "payload/initrd";
    static final String CMDLINE_FILE = "payload/cmdline";
    private static final String SHA256 = "sha-256";
    private static final String CRC32C_NAME = "crc32c";
    /** snapshot.json is small; a huge one is not ours. */
    private static final long MAX_INFO = 16 << 20;
    /** state.bin: vCPUs (a few KiB each), devices (at most tens of KiB each, e.g. buffered output). */
    static final long MAX_STATE = 64L << 20;

    public Snapshot {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(memoryImage, "memoryImage");
    }

    /** Writes RAM into {@code memory.bin} ({@link io.jvmm.api.hv.GuestMemory#saveImage}). */
    @FunctionalInterface
    public interface MemoryWriter {
        void write(FileChannel file) throws IOException;
    }

    /**
     * What was written and how long it took.
     *
     * @param path the snapshot directory
     * @param fileBytes each file's length
     * @param memoryMillis time spent writing and checksumming RAM
     * @param totalMillis time spent in {@link #write} (all files, fsyncs and the rename)
     */
    public record Written(Path path, Map<String, Long> fileBytes, long memoryMillis, long totalMillis) {
        /** Sum of the files' lengths. */
        public long totalBytes() {
            return fileBytes.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * The facts of the snapshot that are not files.
     *
     * @param jvmmVersion the writing jvmm's version
     * @param hypervisor backend name
     * @param arch guest architecture label
     * @param memoryBytes guest RAM
     * @param vcpus vCPU count
     * @param manifest the canonical manifest document
     * @param acpi whether the payload got ACPI tables
     * @param resetPolicy {@code restart} or {@code exit}
     */
    public record Facts(String jvmmVersion, String hypervisor, String arch, long memoryBytes, int vcpus,
            String manifest, boolean acpi, String resetPolicy) {}

    private static JsonMapper mapper() {
        return JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    /**
     * Writes a snapshot to {@code target} atomically: into the sibling {@code TARGET.partial-PID},
     * every file and directory fsync'd, then renamed to {@code target} and the parent fsync'd. An
     * existing {@code target} is refused (nothing is overwritten); on any failure the temporary
     * directory is removed and {@code target} does not exist.
     *
     * @throws SnapshotException a configuration error for a target that exists or whose parent is
     *     missing, a host failure otherwise
     */
    public static Written write(Path target, Facts facts, GuestPayload payload, MachineState state,
            MemoryWriter memory) throws SnapshotException {
        long start = System.nanoTime();
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new SnapshotException("snapshot " + target + ": directory " + parent
                    + " does not exist; create it or choose another path", true);
        }
        refuseExisting(target, abs);
        Path tmp = parent.resolve(abs.getFileName() + ".partial-" + ProcessHandle.current().pid());
        try {
            if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(tmp); // left by a crashed process that had this pid
            }
            Files.createDirectory(tmp);
        } catch (IOException e) {
            throw new SnapshotException("snapshot " + target + ": cannot create " + tmp + ": " + e.getMessage(),
                    false, e);
        }
        boolean done = false;
        try {
            Map<String, SnapshotInfo.FileSum> sums = new LinkedHashMap<>();
            Map<String, Long> sizes = new LinkedHashMap<>();
            byte[] stateBytes = state.encode();
            writeFile(tmp, STATE_FILE, stateBytes, sums);
            long memStart = System.nanoTime();
            Path mem = tmp.resolve(MEMORY_FILE);
            try (FileChannel ch = FileChannel.open(mem, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ)) {
                memory.write(ch);
                ch.force(true);
                sums.put(MEMORY_FILE, new SnapshotInfo.FileSum(ch.size(), CRC32C_NAME, crc32c(ch)));
            }
            long memoryMillis = (System.nanoTime() - memStart) / 1_000_000;
            if (sums.get(MEMORY_FILE).length() != facts.memoryBytes()) {
                throw new IOException("the memory image is " + sums.get(MEMORY_FILE).length() + " bytes, not the VM's "
                        + facts.memoryBytes());
            }
            Files.createDirectory(tmp.resolve("payload"));
            SnapshotInfo.PayloadInfo payloadInfo;
            if (payload instanceof GuestPayload.Firmware f) {
                writeFile(tmp, FIRMWARE_FILE, f.image(), sums);
                payloadInfo = new SnapshotInfo.PayloadInfo("firmware", f.name(), facts.acpi());
            } else {
                GuestPayload.Linux l = (GuestPayload.Linux) payload;
                writeFile(tmp, KERNEL_FILE, l.kernel(), sums);
                if (l.initrd() != null) {
                    writeFile(tmp, INITRD_FILE, l.initrd(), sums);
                }
                writeFile(tmp, CMDLINE_FILE, l.cmdline().getBytes(StandardCharsets.UTF_8), sums);
                payloadInfo = new SnapshotInfo.PayloadInfo("linux", l.name(), facts.acpi());
            }
            fsyncDirectory(tmp.resolve("payload"));
            SnapshotInfo info = new SnapshotInfo(facts.jvmmVersion(), Instant.now(), facts.hypervisor(), facts.arch(),
                    facts.memoryBytes(), facts.vcpus(), facts.manifest(), payloadInfo, facts.resetPolicy(), sums);
            byte[] json = infoJson(info);
            writeFile(tmp, INFO_FILE, json, null);
            fsyncDirectory(tmp);
            sizes.put(INFO_FILE, (long) json.length);
            sums.forEach((name, sum) -> sizes.put(name, sum.length()));
            refuseExisting(target, abs); // created while this one was written: still nothing overwritten
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                throw new SnapshotException("snapshot " + target + " already exists (created while this snapshot was "
                        + "written); nothing was overwritten", true, e);
            }
            done = true;
            try {
                fsyncDirectory(parent);
            } catch (IOException e) {
                // The snapshot is complete under its name; only its directory entry may not survive a
                // host crash. Reporting a failure now would make a --stop snapshot resume the VM.
                System.getLogger(Snapshot.class.getName()).log(System.Logger.Level.WARNING, "snapshot " + abs
                        + " is written, but syncing its parent directory failed: " + e.getMessage());
            }
            return new Written(abs, sizes, memoryMillis, (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            throw new SnapshotException("could not write snapshot " + target + ": " + message(e), false, e);
        } finally {
            if (!done) {
                try {
                    deleteTree(tmp);
                } catch (IOException e) {
                    // the original failure is what the user needs; this one names what is left behind
                    System.getLogger(Snapshot.class.getName()).log(System.Logger.Level.WARNING,
                            "could not remove the partial snapshot " + tmp + ": " + e.getMessage());
                }
            }
        }
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static void refuseExisting(Path target, Path abs) throws SnapshotException {
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new SnapshotException("snapshot " + target + " already exists; a snapshot never overwrites anything: "
                    + "remove it or choose another path", true);
        }
    }

    private static void writeFile(Path dir, String name, byte[] bytes, Map<String, SnapshotInfo.FileSum> sums)
            throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        if (sums != null) {
            sums.put(name, new SnapshotInfo.FileSum(bytes.length, SHA256, sha256(bytes)));
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(dir)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * CRC32C of a whole file: memory.bin's checksum. CRC32C rather than SHA-256 because the check
     * exists for truncation and bit rot, not tampering, and runs at about 60 GB/s here against
     * SHA-256's 1.2 GB/s (256 MiB: 4 ms against 210 ms, measured on the development host with
     * SHA-NI), so what remains is reading the file.
     */
    static String crc32c(FileChannel ch) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long pos = 0;
        while (true) {
            buf.clear();
            int n = ch.read(buf, pos);
            if (n < 0) {
                break;
            }
            pos += n;
            buf.flip();
            crc.update(buf);
        }
        return String.format("%08x", crc.getValue());
    }

    static byte[] infoJson(SnapshotInfo info) throws IOException {
        JsonMapper m = mapper();
        ObjectNode root = m.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("jvmm_version", info.jvmmVersion());
        root.put("created", info.created().toString());
        root.put("hypervisor", info.hypervisor());
        root.put("arch", info.arch());
        root.put("memory_bytes", info.memoryBytes());
        root.put("vcpus", info.vcpus());
        root.put("reset_policy", info.resetPolicy());
        ObjectNode p = root.putObject("payload");
        p.put("kind", info.payload().kind());
        p.put("name", info.payload().name());
        p.put("acpi", info.payload().acpi());
        ObjectNode files = root.putObject("files");
        info.files().forEach((name, sum) -> files.putObject(name).put("length", sum.length())
                .put("algorithm", sum.algorithm()).put("digest", sum.digest()));
        root.set("manifest", m.readTree(info.manifest()));
        return m.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    /**
     * Reads and checks a snapshot directory: {@code snapshot.json}'s format and version, every file's
     * length, every file's checksum except {@code memory.bin}'s unless {@code verifyMemory}, and that
     * {@code state.bin} parses. Nothing here needs a hypervisor or plugins.
     *
     * @param verifyMemory also read {@code memory.bin} whole to check its CRC32C
     * @throws SnapshotException naming the file and what is wrong (a configuration error, except an
     *     I/O failure reading a file that is there)
     */
    public static Snapshot read(Path dir, boolean verifyMemory) throws SnapshotException {
        if (!Files.isDirectory(dir)) {
            throw new SnapshotException("--restore " + dir + ": " + (Files.exists(dir) ? "not a directory"
                    : "no such directory") + "; give a snapshot directory written by 'jvmm ctl snapshot'", true);
        }
        Path infoPath = dir.resolve(INFO_FILE);
        byte[] infoBytes = readSmall(dir, INFO_FILE, MAX_INFO);
        SnapshotInfo info = parseInfo(infoBytes, infoPath);
        for (String name : info.files().keySet()) {
            if (!known(name, info.payload().kind())) {
                throw new SnapshotException(infoPath + " lists an unknown file '" + name + "'", true);
            }
        }
        for (String need : required(info)) {
            if (!info.files().containsKey(need)) {
                throw new SnapshotException(infoPath + " does not list " + need + "; the snapshot is incomplete", true);
            }
        }
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (Map.Entry<String, SnapshotInfo.FileSum> f : info.files().entrySet()) {
            String name = f.getKey();
            SnapshotInfo.FileSum sum = f.getValue();
            Path p = dir.resolve(name);
            long length;
            try {
                length = Files.size(p);
            } catch (NoSuchFileException e) {
                throw new SnapshotException("snapshot " + dir + " is incomplete: " + name + " is missing", true, e);
            } catch (IOException e) {
                throw new SnapshotException("cannot read " + p + ": " + e.getMessage(), false, e);
            }
            if (length != sum.length()) {
                throw new SnapshotException("snapshot file " + p + " is " + length + " bytes, but " + INFO_FILE
                        + " says " + sum.length() + (length < sum.length() ? " (truncated)" : " (corrupted)"), true);
            }
            if (name.equals(MEMORY_FILE)) {
                if (verifyMemory) {
                    checkMemory(p, sum);
                }
                continue;
            }
            // Read whole, so bounded before anything is allocated: the machine state by what any
            // board's devices and vCPUs can hold, the payload by the RAM it was loaded into.
            byte[] bytes = readSmall(dir, name, name.equals(STATE_FILE) ? MAX_STATE
                    : Math.min(info.memoryBytes(), Integer.MAX_VALUE - 16));
            if (!sum.algorithm().equals(SHA256)) {
                throw new SnapshotException(infoPath + ": " + name + " has checksum algorithm '" + sum.algorithm()
                        + "'; expected " + SHA256, true);
            }
            if (!sha256(bytes).equals(sum.digest())) {
                throw new SnapshotException("snapshot file " + p + " is corrupted: its SHA-256 does not match "
                        + INFO_FILE, true);
            }
            contents.put(name, bytes);
        }
        MachineState state = MachineState.decode(contents.get(STATE_FILE), dir.resolve(STATE_FILE).toString());
        if (state.vcpus().size() != info.vcpus()) {
            throw new SnapshotException(dir.resolve(STATE_FILE) + " holds " + state.vcpus().size() + " vCPUs, but "
                    + INFO_FILE + " says " + info.vcpus(), true);
        }
        GuestPayload payload;
        if (info.payload().kind().equals("firmware")) {
            payload = new GuestPayload.Firmware(info.payload().name(), contents.get(FIRMWARE_FILE));
        } else {
            payload = new GuestPayload.Linux(info.payload().name(), contents.get(KERNEL_FILE), contents.get(INITRD_FILE),
                    new String(contents.get(CMDLINE_FILE), StandardCharsets.UTF_8));
        }
        return new Snapshot(dir, info, state, payload, dir.resolve(MEMORY_FILE));
    }

    private static boolean known(String name, String payloadKind) {
        return Set.of(STATE_FILE, MEMORY_FILE).contains(name)
                || payloadKind.equals("firmware") && name.equals(FIRMWARE_FILE)
                || payloadKind.equals("linux") && Set.of(KERNEL_FILE, INITRD_FILE, CMDLINE_FILE).contains(name);
    }

    private static List<String> required(SnapshotInfo info) {
        List<String> out = new ArrayList<>(List.of(STATE_FILE, MEMORY_FILE));
        if (info.payload().kind().equals("firmware")) {
            out.add(FIRMWARE_FILE);
        } else {
            out.add(KERNEL_FILE);
            out.add(CMDLINE_FILE);
        }
        return out;
    }

    private static void checkMemory(Path p, SnapshotInfo.FileSum sum) throws SnapshotException {
        if (!sum.algorithm().equals(CRC32C_NAME)) {
            throw new SnapshotException(INFO_FILE + ": " + MEMORY_FILE + " has checksum algorithm '" + sum.algorithm()
                    + "'; expected " + CRC32C_NAME, true);
        }
        String actual;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            actual = crc32c(ch);
        } catch (IOException e) {
            throw new SnapshotException("cannot read " + p + ": " + e.getMessage(), false, e);
        }
        if (!actual.equals(sum.digest())) {
            throw new SnapshotException("snapshot file " + p + " is corrupted: its CRC32C is " + actual + ", "
                    + INFO_FILE + " says " + sum.digest(), true);
        }
    }

    private static byte[] readSmall(Path dir, String name, long max) throws SnapshotException {
        Path p = dir.resolve(name);
        try {
            long size = Files.size(p);
            if (size > max) {
                throw new SnapshotException(p + " is " + size + " bytes, too large for a jvmm snapshot's " + name, true);
            }
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new SnapshotException(name.equals(INFO_FILE)
                    ? dir + " is not a jvmm snapshot (it has no " + INFO_FILE + ")"
                    : "snapshot " + dir + " is incomplete: " + name + " is missing", true, e);
        } catch (IOException e) {
            throw new SnapshotException("cannot read " + p + ": " + e.getMessage(), false, e);
        }
    }

    static SnapshotInfo parseInfo(byte[] bytes, Path where) throws SnapshotException {
        JsonNode root;
        try {
            root = mapper().readTree(bytes);
        } catch (IOException e) {
            String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new SnapshotException(where + " is not valid JSON (truncated or corrupted): " + m, true, e);
        }
        if (root == null || !root.isObject()) {
            throw new SnapshotException(where + " is not a jvmm snapshot description (not a JSON object)", true);
        }
        String format = root.path("format").asText("");
        if (!format.equals(FORMAT)) {
            throw new SnapshotException(where + " is not a jvmm snapshot description (format '" + format
                    + "', expected '" + FORMAT + "')", true);
        }
        JsonNode version = root.path("version");
        if (!version.isInt() || version.asInt() != VERSION) {
            throw new SnapshotException(where + " is snapshot version " + version + "; this jvmm reads version "
                    + VERSION + " only (take the snapshot again with this jvmm, or restore it with the jvmm that wrote "
                    + "it: " + root.path("jvmm_version").asText("unknown") + ")", true);
        }
        Fields f = new Fields(root, where);
        Instant created;
        try {
            created = Instant.parse(f.text("created"));
        } catch (DateTimeParseException e) {
            throw new SnapshotException(where + ": \"created\" is not an ISO-8601 instant", true, e);
        }
        JsonNode manifest = root.path("manifest");
        if (!manifest.isObject()) {
            throw new SnapshotException(where + ": \"manifest\" must be the manifest document (an object)", true);
        }
        Fields p = new Fields(f.object("payload"), where);
        String kind = p.text("kind");
        if (!kind.equals("firmware") && !kind.equals("linux")) {
            throw new SnapshotException(where + ": payload kind '" + kind + "' is neither firmware nor linux", true);
        }
        String reset = f.text("reset_policy");
        if (!reset.equals("restart") && !reset.equals("exit")) {
            throw new SnapshotException(where + ": reset_policy '" + reset + "' is neither restart nor exit", true);
        }
        Map<String, SnapshotInfo.FileSum> files = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = f.object("files").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Fields s = new Fields(e.getValue(), where);
            long length = s.number("length");
            if (length < 0) {
                throw new SnapshotException(where + ": file " + e.getKey() + " has a negative length", true);
            }
            files.put(e.getKey(), new SnapshotInfo.FileSum(length, s.text("algorithm"), s.text("digest")));
        }
        long memory = f.number("memory_bytes");
        long vcpus = f.number("vcpus");
        if (memory <= 0 || vcpus < 1 || vcpus > 1024) {
            throw new SnapshotException(where + ": memory_bytes " + memory + " or vcpus " + vcpus + " out of range", true);
        }
        return new SnapshotInfo(f.text("jvmm_version"), created, f.text("hypervisor"), f.text("arch"), memory,
                (int) vcpus, manifest.toString(), new SnapshotInfo.PayloadInfo(kind, p.text("name"), p.bool("acpi")),
                reset, files);
    }

    /** Required fields of one JSON object, each missing or mistyped one named. */
    private record Fields(JsonNode node, Path where) {
        JsonNode get(String name) throws SnapshotException {
            JsonNode v = node.get(name);
            if (v == null) {
                throw new SnapshotException(where + " has no \"" + name + "\"; it is incomplete or corrupted", true);
            }
            return v;
        }

        String text(String name) throws SnapshotException {
            JsonNode v = get(name);
            if (!v.isTextual()) {
                throw new SnapshotException(where + ": \"" + name + "\" must be a string", true);
            }
            return v.asText();
        }

        long number(String name) throws SnapshotException {
            JsonNode v = get(name);
            if (!v.canConvertToLong() || !v.isIntegralNumber()) {
                throw new SnapshotException(where + ": \"" + name + "\" must be an integer", true);
            }
            return v.asLong();
        }

        boolean bool(String name) throws SnapshotException {
            JsonNode v = get(name);
            if (!v.isBoolean()) {
                throw new SnapshotException(where + ": \"" + name + "\" must be true or false", true);
            }
            return v.asBoolean();
        }

        JsonNode object(String name) throws SnapshotException {
            JsonNode v = get(name);
            if (!v.isObject()) {
                throw new SnapshotException(where + ": \"" + name + "\" must be an object", true);
            }
            return v;
        }
    }
}
