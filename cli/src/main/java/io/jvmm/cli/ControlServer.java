package io.jvmm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VM's control socket: a Unix domain socket speaking line-delimited JSON. Each request line is
 * an object with a {@code command} and its arguments; each response line is {@code {"ok":true,…}}
 * or {@code {"ok":false,"error":"…"}}. Requests are served on their own threads, never a vCPU's.
 */
final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** The protocol's commands (kept here without touching the logger at parse time: see CtlCommand). */
    static final List<String> COMMANDS = CtlCommand.COMMANDS;

    private final Path path;
    private final ServerSocketChannel server;
    private final VmControl control;
    /**
     * Made by the first request ({@link #json()}): building Jackson's mapper loads several hundred
     * classes, about 10 MiB of RSS for the life of the VM (jvmm-bench, memory row, which runs with
     * a control socket), which a VM that is never asked anything should not pay.
     */
    private ObjectMapper json;
    private final Thread acceptor;
    private volatile boolean closed;
    /** Requests being handled or answered; {@link #close()} lets them finish (a snapshot --stop's answer). */
    private int inFlight;
    /** How long {@link #close()} waits for answers still being written. */
    private static final long CLOSE_GRACE_MS = 2000;

    private ControlServer(Path path, ServerSocketChannel server, VmControl control) {
        this.path = path;
        this.server = server;
        this.control = control;
        this.acceptor = new Thread(this::acceptLoop, "jvmm-control");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds {@code path}. A stale socket file left by a dead VM is replaced; a live one, or any other
     * file, is a configuration error.
     */
    static ControlServer start(Path path, VmControl control) {
        checkPath(path);
        if (Files.exists(path)) {
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                throw UserError.config("--api-socket " + path + ": another VM is listening there; choose another path");
            } catch (IOException stale) {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw UserError.config("--api-socket " + path + ": cannot remove the stale socket: " + e.getMessage());
                }
            }
        }
        try {
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            ControlServer cs = new ControlServer(path, server, control);
            cs.acceptor.start();
            return cs;
        } catch (IOException e) {
            throw UserError.config("--api-socket " + path + ": cannot listen: " + e.getMessage());
        }
    }

    /**
     * Fails early (before a VM is built) when the socket's directory is missing or another kind of
     * file is in the way; binds nothing and removes nothing (also what {@code jvmm check} checks).
     */
    static void checkPath(Path path) {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw UserError.config("--api-socket " + path + ": directory " + dir
                    + " does not exist; create it or choose another path");
        }
        if (Files.exists(path) && !isSocketFile(path)) {
            throw UserError.config("--api-socket " + path + ": a file that is not a socket exists there; choose another path");
        }
    }

    static boolean isSocketFile(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            return mode instanceof Integer m && (m & 0170000) == 0140000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                Thread t = new Thread(() -> serve(client), "jvmm-control-client");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("control socket accept failed: {}", e.getMessage());
                }
                return;
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client;
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                        StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(client)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                synchronized (this) {
                    inFlight++;
                }
                try {
                    ObjectNode response = handle(line);
                    out.write((json().writeValueAsString(response) + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } finally {
                    synchronized (this) {
                        inFlight--;
                        notifyAll();
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("control client left: {}", e.getMessage());
        }
    }

    private synchronized ObjectMapper json() {
        if (json == null) {
            json = new ObjectMapper();
        }
        return json;
    }

    /** Executes one request line. Never throws. */
    ObjectNode handle(String line) {
        ObjectNode response = json().createObjectNode();
        try {
            JsonNode req = json().readTree(line);
            if (req == null || !req.isObject() || !req.path("command").isTextual()) {
                throw new IllegalArgumentException("a request is a JSON object with a \"command\" string");
            }
            String command = req.get("command").asText();
            switch (command) {
                case "status" -> {
                    for (Map.Entry<String, Object> e : control.status().entrySet()) {
                        response.set(e.getKey(), json().valueToTree(e.getValue()));
                    }
                }
                case "pause" -> control.pause();
                case "resume" -> control.resume();
                case "reset" -> control.reset();
                case "shutdown" -> {
                    JsonNode force = req.path("force");
                    if (!force.isMissingNode() && !force.isBoolean()) {
                        throw new IllegalArgumentException("\"force\" must be true or false");
                    }
                    for (Map.Entry<String, Object> e : control.shutdown(force.asBoolean(false)).entrySet()) {
                        response.set(e.getKey(), json().valueToTree(e.getValue()));
                    }
                }
                case "battery" -> control.battery(text(req, "spec"));
                case "keys" -> {
                    JsonNode keys = req.path("keys");
                    if (!keys.isArray() || keys.isEmpty()) {
                        throw new IllegalArgumentException("\"keys\" must be a non-empty array of key names");
                    }
                    List<String> names = new ArrayList<>();
                    keys.forEach(k -> names.add(k.asText()));
                    control.keys(names);
                }
                case "snapshot" -> {
                    JsonNode stop = req.path("stop");
                    if (!stop.isMissingNode() && !stop.isBoolean()) {
                        throw new IllegalArgumentException("\"stop\" must be true or false");
                    }
                    for (Map.Entry<String, Object> e : control.snapshot(text(req, "path"), stop.asBoolean(false))
                            .entrySet()) {
                        response.set(e.getKey(), json().valueToTree(e.getValue()));
                    }
                }
                case "serial-send" -> {
                    JsonNode port = req.path("port");
                    if (!port.canConvertToInt() || port.asInt() < 1 || port.asInt() > 4) {
                        throw new IllegalArgumentException("\"port\" must be a COM port number 1..4");
                    }
                    control.serialSend(port.asInt(), text(req, "text"));
                }
                default -> throw new IllegalArgumentException("unknown command '" + command + "' (known: "
                        + String.join(", ", COMMANDS) + ")");
            }
            response.put("ok", true);
        } catch (IllegalArgumentException | IllegalStateException e) {
            response.removeAll();
            response.put("ok", false).put("error", e.getMessage());
        } catch (IOException e) {
            response.removeAll();
            response.put("ok", false).put("error", "not JSON: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("control request failed", e);
            response.removeAll();
            response.put("ok", false).put("error", "internal error: " + e);
        }
        return response;
    }

    private static String text(JsonNode req, String field) {
        JsonNode v = req.path(field);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a string");
        }
        return v.asText();
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        closed = true;
        // An answer being written (the one to 'snapshot --stop', whose run has just ended) gets out first.
        long end = System.nanoTime() + CLOSE_GRACE_MS * 1_000_000;
        synchronized (this) {
            while (inFlight > 0 && System.nanoTime() < end) {
                try {
                    wait(Math.max(1, (end - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.debug("could not remove {}: {}", path, e.getMessage());
        }
    }
}
