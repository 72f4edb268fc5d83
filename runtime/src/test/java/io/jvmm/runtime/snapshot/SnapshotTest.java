package io.jvmm.runtime.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.runtime.vm.GuestPayload;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {
    private static final long MEMORY = 4L << 20;
    private static final String MANIFEST = "{\"version\":1,\"chipset\":{\"type\":\"unenlightened-linux-direct\","
            + "\"arch\":\"x86_64\",\"base\":{}},\"devices\":[]}";

    @TempDir
    Path dir;

    private static MachineState state() {
        Map<String, SavedStateBlob> devices = new LinkedHashMap<>();
        devices.put("serial-com1", new SavedStateBlob("serial.uart16550", 3, new byte[] {1, 2, 3}));
        devices.put("generic_pic", new SavedStateBlob("empty", 1, new byte[0]));
        return new MachineState(new SavedStateBlob("kvm.x86.partition", 1, new byte[] {9, 8}),
                List.of(new SavedStateBlob("kvm.x86.vcpu", 1, new byte[100]),
                        new SavedStateBlob("kvm.x86.vcpu", 1, new byte[] {7})), devices);
    }

    private static Snapshot.Facts facts(boolean acpi) {
        return new Snapshot.Facts("1.2.3", "kvm", "x86_64", MEMORY, 2, MANIFEST, acpi, "restart");
    }

    /** RAM: a marker at 1 MiB and at the last byte, holes elsewhere (sparse, as a backend writes it). */
    private static void memory(java.nio.channels.FileChannel ch) throws IOException {
        ch.write(ByteBuffer.wrap("low".getBytes(StandardCharsets.US_ASCII)), 1 << 20);
        ch.write(ByteBuffer.wrap(new byte[] {0x55}), MEMORY - 1);
    }

    private Path write(String name, GuestPayload payload) throws SnapshotException {
        Path p = dir.resolve(name);
        Snapshot.write(p, facts(true), payload, state(), SnapshotTest::memory);
        return p;
    }

    @Test
    void aWrittenSnapshotReadsBackWithEverything() throws Exception {
        GuestPayload.Linux linux = new GuestPayload.Linux("/boot/vmlinuz", new byte[] {1, 2, 3}, new byte[] {4, 5},
                "console=ttyS0 quiet");
        Path p = dir.resolve("snap");
        Snapshot.Written w = Snapshot.write(p, facts(true), linux, state(), SnapshotTest::memory);
        assertEquals(p.toAbsolutePath(), w.path());
        assertEquals(MEMORY, w.fileBytes().get("memory.bin"));

        Snapshot s = Snapshot.read(p, true);
        assertEquals(state(), s.state());
        assertEquals("kvm", s.info().hypervisor());
        assertEquals(2, s.info().vcpus());
        assertEquals(MEMORY, s.info().memoryBytes());
        assertEquals("1.2.3", s.info().jvmmVersion());
        assertTrue(s.info().payload().acpi());
        assertEquals("restart", s.info().resetPolicy());
        GuestPayload.Linux back = (GuestPayload.Linux) s.payload();
        assertArrayEquals(linux.kernel(), back.kernel());
        assertArrayEquals(linux.initrd(), back.initrd());
        assertEquals(linux.cmdline(), back.cmdline());
        assertEquals("/boot/vmlinuz", back.name());
        assertEquals(new com.fasterxml.jackson.databind.ObjectMapper().readTree(MANIFEST),
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(s.info().manifest()));
        byte[] low = new byte[3];
        try (RandomAccessFile f = new RandomAccessFile(s.memoryImage().toFile(), "r")) {
            f.seek(1 << 20);
            f.readFully(low);
        }
        assertEquals("low", new String(low, StandardCharsets.US_ASCII));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(p.getFileName()), left.map(Path::getFileName).toList(), "no temporary directory left");
        }
    }

    @Test
    void firmwareSnapshotsKeepTheImage() throws Exception {
        Path p = write("fw", new GuestPayload.Firmware("counter.bin", new byte[] {(byte) 0xea, 0, 0}));
        GuestPayload.Firmware f = (GuestPayload.Firmware) Snapshot.read(p, false).payload();
        assertArrayEquals(new byte[] {(byte) 0xea, 0, 0}, f.image());
        assertTrue(Files.isRegularFile(p.resolve("payload/firmware.bin")));
    }

    @Test
    void anExistingPathIsRefusedAndKept() throws Exception {
        Path p = dir.resolve("snap");
        Files.createDirectory(p);
        Files.writeString(p.resolve("precious"), "keep me");
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> Snapshot.write(p, facts(false), fw(), state(), SnapshotTest::memory));
        assertTrue(e.isConfiguration());
        assertEquals("snapshot " + p + " already exists; a snapshot never overwrites anything: remove it or choose "
                + "another path", e.getMessage());
        assertEquals("keep me", Files.readString(p.resolve("precious")));
    }

    @Test
    void aFailureMidWriteLeavesNeitherPathNorTemporaryDirectory() throws Exception {
        Path p = dir.resolve("snap");
        SnapshotException e = assertThrows(SnapshotException.class, () -> Snapshot.write(p, facts(false), fw(), state(),
                ch -> {
                    ch.write(ByteBuffer.allocate(4096), 0); // part of RAM is on disk already
                    throw new IOException("No space left on device");
                }));
        assertFalse(e.isConfiguration());
        assertEquals("could not write snapshot " + p + ": No space left on device", e.getMessage());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void aMemoryImageOfTheWrongSizeIsAFailure() {
        Path p = dir.resolve("snap");
        SnapshotException e = assertThrows(SnapshotException.class, () -> Snapshot.write(p, facts(false), fw(), state(),
                ch -> ch.write(ByteBuffer.allocate(10), 0)));
        assertEquals("could not write snapshot " + p + ": the memory image is 10 bytes, not the VM's 4194304",
                e.getMessage());
        assertFalse(Files.exists(p));
    }

    @Test
    void aMissingParentIsAConfigurationError() {
        Path p = dir.resolve("no/such/snap");
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> Snapshot.write(p, facts(false), fw(), state(), SnapshotTest::memory));
        assertTrue(e.isConfiguration());
        assertEquals("snapshot " + p + ": directory " + dir.resolve("no/such") + " does not exist; create it or "
                + "choose another path", e.getMessage());
    }

    private static GuestPayload.Firmware fw() {
        return new GuestPayload.Firmware("fw.bin", new byte[16]);
    }

    private String readError(Path p, boolean verifyMemory) {
        SnapshotException e = assertThrows(SnapshotException.class, () -> Snapshot.read(p, verifyMemory));
        assertTrue(e.isConfiguration(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void truncatedFilesAreRefusedByLength() throws Exception {
        Path p = write("snap", fw());
        Path state = p.resolve("state.bin");
        long len = Files.size(state);
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.setLength(len - 5);
        }
        assertEquals("snapshot file " + state + " is " + (len - 5) + " bytes, but snapshot.json says " + len
                + " (truncated)", readError(p, false));
        Path mem = write("snap2", fw()).resolve("memory.bin");
        try (RandomAccessFile f = new RandomAccessFile(mem.toFile(), "rw")) {
            f.setLength(MEMORY - 4096);
        }
        assertEquals("snapshot file " + mem + " is " + (MEMORY - 4096) + " bytes, but snapshot.json says " + MEMORY
                + " (truncated)", readError(mem.getParent(), false));
    }

    /** A hostile snapshot.json that declares a huge state.bin is refused before anything is read into memory. */
    @Test
    void anOversizedStateFileIsRefusedBeforeItIsRead() throws Exception {
        Path p = write("snap", fw());
        Path state = p.resolve("state.bin");
        long len = Files.size(state);
        long huge = Snapshot.MAX_STATE + 1;
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.setLength(huge); // sparse: no disk used
        }
        Path info = p.resolve("snapshot.json");
        String json = Files.readString(info);
        String declared = "\"length\" : " + len + ",";
        assertTrue(json.contains(declared), json);
        Files.writeString(info, json.replace(declared, "\"length\" : " + huge + ","));
        assertEquals(state + " is " + huge + " bytes, too large for a jvmm snapshot's state.bin", readError(p, false));
    }

    @Test
    void corruptedFilesAreRefusedByChecksum() throws Exception {
        Path p = write("snap", fw());
        flip(p.resolve("state.bin"), 20);
        assertEquals("snapshot file " + p.resolve("state.bin") + " is corrupted: its SHA-256 does not match snapshot.json",
                readError(p, false));
        Path q = write("snap2", fw());
        flip(q.resolve("payload/firmware.bin"), 3);
        assertEquals("snapshot file " + q.resolve("payload/firmware.bin")
                + " is corrupted: its SHA-256 does not match snapshot.json", readError(q, false));
    }

    @Test
    void memoryContentIsCheckedOnlyWhenAsked() throws Exception {
        Path p = write("snap", fw());
        flip(p.resolve("memory.bin"), (1 << 20) + 1);
        Snapshot.read(p, false); // length only: the restore maps it lazily
        String m = readError(p, true);
        assertTrue(m.startsWith("snapshot file " + p.resolve("memory.bin") + " is corrupted: its CRC32C is "), m);
    }

    @Test
    void versionsFormatsAndBrokenJsonAreNamed() throws Exception {
        Path p = write("snap", fw());
        Path info = p.resolve("snapshot.json");
        String json = Files.readString(info);
        Files.writeString(info, json.replace("\"version\" : 1", "\"version\" : 2"));
        assertEquals(info + " is snapshot version 2; this jvmm reads version 1 only (take the snapshot again with this "
                + "jvmm, or restore it with the jvmm that wrote it: 1.2.3)", readError(p, false));
        Files.writeString(info, json.replace("jvmm-snapshot", "qemu-savevm"));
        assertEquals(info + " is not a jvmm snapshot description (format 'qemu-savevm', expected 'jvmm-snapshot')",
                readError(p, false));
        Files.writeString(info, json.substring(0, json.length() / 2));
        assertTrue(readError(p, false).startsWith(info + " is not valid JSON (truncated or corrupted): "));
        Files.writeString(info, json.replace("\"hypervisor\"", "\"hypervisr\""));
        assertEquals(info + " has no \"hypervisor\"; it is incomplete or corrupted", readError(p, false));
        Files.delete(info);
        assertEquals(p + " is not a jvmm snapshot (it has no snapshot.json)", readError(p, false));
        assertEquals("--restore " + dir.resolve("none") + ": no such directory; give a snapshot directory written by "
                + "'jvmm ctl snapshot'", readError(dir.resolve("none"), false));
    }

    @Test
    void aMissingListedFileIsNamed() throws Exception {
        Path p = write("snap", fw());
        Files.delete(p.resolve("payload/firmware.bin"));
        assertEquals("snapshot " + p + " is incomplete: payload/firmware.bin is missing", readError(p, false));
    }

    @Test
    void stateFileFramingErrorsAreNamed() {
        byte[] good = state().encode();
        assertEquals(state(), assertDoesNotThrowDecode(good));
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 2);
        assertEquals("state.bin is truncated: it ends inside device generic_pic's state", decodeError(cut));
        byte[] version = good.clone();
        version[11] = 9;
        assertEquals("state.bin has state-file version 9; this jvmm reads version 1", decodeError(version));
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertEquals("state.bin is not a jvmm state file (it does not start with JVMMSTAT)", decodeError(magic));
        byte[] extra = java.util.Arrays.copyOf(good, good.length + 3);
        assertEquals("state.bin is corrupted: 3 bytes follow its last device", decodeError(extra));
    }

    private static MachineState assertDoesNotThrowDecode(byte[] b) {
        try {
            return MachineState.decode(b, "state.bin");
        } catch (SnapshotException e) {
            throw new AssertionError(e);
        }
    }

    private static String decodeError(byte[] b) {
        return assertThrows(SnapshotException.class, () -> MachineState.decode(b, "state.bin")).getMessage();
    }

    private static void flip(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
    }
}
