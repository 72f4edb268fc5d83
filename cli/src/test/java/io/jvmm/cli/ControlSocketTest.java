package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class ControlSocketTest {
    @TempDir
    Path dir;

    /** Records what the server asked of the VM. */
    static final class RecordingControl implements VmControl {
        final List<String> calls = new ArrayList<>();

        @Override
        public synchronized Map<String, Object> status() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("state", "RUNNING");
            m.put("vcpus", 1);
            return m;
        }

        @Override
        public synchronized void pause() {
            calls.add("pause");
        }

        @Override
        public synchronized void resume() {
            calls.add("resume");
        }

        @Override
        public synchronized void reset() {
            calls.add("reset");
        }

        @Override
        public synchronized Map<String, Object> shutdown(boolean force) {
            calls.add(force ? "shutdown --force" : "shutdown");
            return force ? Map.of() : Map.of("power_button", "pressed");
        }

        @Override
        public synchronized void battery(String spec) {
            if (spec.equals("bogus")) {
                throw new IllegalArgumentException("battery spec 'bogus' is not valid");
            }
            calls.add("battery " + spec);
        }

        @Override
        public synchronized void keys(List<String> keys) {
            calls.add("keys " + keys);
        }

        @Override
        public synchronized void serialSend(int port, String text) {
            calls.add("serial " + port + " " + text);
        }

        @Override
        public synchronized Map<String, Object> snapshot(String path, boolean stop) {
            calls.add("snapshot " + path + (stop ? " stop" : ""));
            return Map.of("path", path);
        }
    }

    @Test
    void everyCommandReachesTheVm() {
        Path sock = dir.resolve("vm.sock");
        RecordingControl vm = new RecordingControl();
        try (ControlServer server = ControlServer.start(sock, vm)) {
            CliHarness status = CliHarness.run("ctl", "--api-socket", sock.toString(), "status");
            assertEquals(0, status.exitCode(), status.err());
            assertTrue(status.out().contains("\"state\" : \"RUNNING\""), status.out());
            for (String c : List.of("pause", "resume", "reset", "shutdown")) {
                assertEquals(0, CliHarness.run("ctl", "--api-socket", sock.toString(), c).exitCode());
            }
            assertEquals(0, CliHarness.run("ctl", "--api-socket", sock.toString(), "battery", "50%").exitCode());
            assertEquals(0, CliHarness.run("ctl", "--api-socket", sock.toString(), "keys", "a", "Enter").exitCode());
            assertEquals(0, CliHarness.run("ctl", "--api-socket", sock.toString(), "serial-send", "1", "hi there")
                    .exitCode());
            CliHarness polite = CliHarness.run("ctl", "--api-socket", sock.toString(), "shutdown");
            assertEquals(0, polite.exitCode(), polite.err());
            assertTrue(polite.out().contains("\"power_button\" : \"pressed\""), polite.out());
            CliHarness forced = CliHarness.run("ctl", "--api-socket", sock.toString(), "shutdown", "--force");
            assertEquals(0, forced.exitCode(), forced.err());
            assertEquals("", forced.out());
            // a relative snapshot path is the client's, made absolute before it is sent
            CliHarness snap = CliHarness.run("ctl", "--api-socket", sock.toString(), "snapshot", "snap1", "--stop");
            assertEquals(0, snap.exitCode(), snap.err());
            String abs = Path.of("snap1").toAbsolutePath().toString();
            assertTrue(snap.out().contains("\"path\" : \"" + abs + "\""), snap.out());
            assertEquals(0, CliHarness.run("ctl", "--api-socket", sock.toString(), "snapshot", "/s2").exitCode());
            assertEquals(List.of("pause", "resume", "reset", "shutdown", "battery 50%", "keys [a, Enter]",
                    "serial 1 hi there", "shutdown", "shutdown --force", "snapshot " + abs + " stop", "snapshot /s2"),
                    vm.calls);

            CliHarness bad = CliHarness.run("ctl", "--api-socket", sock.toString(), "battery", "bogus");
            assertEquals(1, bad.exitCode());
            assertEquals("jvmm: battery: battery spec 'bogus' is not valid", bad.err().trim());
        }
        assertFalse(Files.exists(sock), "the socket file is removed on close");
    }

    @Test
    void aVmThatNeverAnswersEndsCtlAfterItsTimeout() throws Exception {
        Path sock = dir.resolve("wedged.sock");
        // a "VM" that accepts the connection and then says nothing
        try (java.nio.channels.ServerSocketChannel server =
                java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(sock));
            long start = System.nanoTime();
            CliHarness r = CliHarness.run("ctl", "--api-socket", sock.toString(), "--timeout", "1", "status");
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(1, r.exitCode(), r.err());
            assertTrue(r.err().contains("did not answer 'status' within 1 s"), r.err());
            assertTrue(ms >= 1000, "waited the timeout: " + ms + " ms");
        }
        CliHarness bad = CliHarness.run("ctl", "--api-socket", sock.toString(), "--timeout", "0", "status");
        assertEquals(2, bad.exitCode(), bad.err());
    }

    @Test
    void usageErrorsExitTwo() {
        Path sock = dir.resolve("vm.sock");
        try (ControlServer server = ControlServer.start(sock, new RecordingControl())) {
            CliHarness unknown = CliHarness.run("ctl", "--api-socket", sock.toString(), "explode");
            assertEquals(2, unknown.exitCode());
            assertTrue(unknown.err().contains("unknown command 'explode'"), unknown.err());
            CliHarness port = CliHarness.run("ctl", "--api-socket", sock.toString(), "serial-send", "x", "t");
            assertEquals(2, port.exitCode());
            assertTrue(port.err().contains("N must be a COM port number"), port.err());
            CliHarness args = CliHarness.run("ctl", "--api-socket", sock.toString(), "pause", "now");
            assertEquals(2, args.exitCode());
            CliHarness force = CliHarness.run("ctl", "--api-socket", sock.toString(), "reset", "--force");
            assertEquals(2, force.exitCode());
            assertTrue(force.err().contains("ctl reset: --force goes with shutdown only"), force.err());
        }
        CliHarness none = CliHarness.run("ctl", "--api-socket", dir.resolve("nobody.sock").toString(), "status");
        assertEquals(2, none.exitCode());
        assertTrue(none.err().contains("cannot reach a VM at --api-socket"), none.err());
        CliHarness missing = CliHarness.run("ctl", "status");
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("--api-socket"), missing.err());
    }

    @Test
    void malformedRequestsGetAnErrorLine() {
        Path sock = dir.resolve("vm.sock");
        try (ControlServer server = ControlServer.start(sock, new RecordingControl())) {
            assertEquals("{\"ok\":false,\"error\":\"a request is a JSON object with a \\\"command\\\" string\"}",
                    server.handle("[1,2]").toString());
            assertTrue(server.handle("{not json").get("error").asText().startsWith("not JSON"));
            assertEquals("\"force\" must be true or false",
                    server.handle("{\"command\":\"shutdown\",\"force\":\"yes\"}").get("error").asText());
            assertEquals("\"port\" must be a COM port number 1..4",
                    server.handle("{\"command\":\"serial-send\",\"port\":9,\"text\":\"x\"}").get("error").asText());
        }
    }

    @Test
    void staleSocketIsReplacedButALiveOneOrAPlainFileIsRefused() throws Exception {
        Path sock = dir.resolve("vm.sock");
        ControlServer first = ControlServer.start(sock, new RecordingControl());
        UserError live = org.junit.jupiter.api.Assertions.assertThrows(UserError.class,
                () -> ControlServer.start(sock, new RecordingControl()));
        assertTrue(live.getMessage().contains("another VM is listening there"), live.getMessage());
        assertEquals(2, live.exitCode());
        first.close();

        Path file = Files.writeString(dir.resolve("notes.txt"), "keep me");
        UserError plain = org.junit.jupiter.api.Assertions.assertThrows(UserError.class,
                () -> ControlServer.start(file, new RecordingControl()));
        assertTrue(plain.getMessage().contains("not a socket"), plain.getMessage());
        assertEquals("keep me", Files.readString(file));
    }
}
