package io.jvmm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jvmm ctl}: one request to a running VM's control socket. */
final class CtlCommand implements Callable<Integer> {
    static final int SNAPSHOT_TIMEOUT_SECONDS = 3600;

    Path socket;
    String command;
    int timeoutSeconds;
    boolean force;
    boolean stop;
    List<String> args = new ArrayList<>();

    /** This command's model: its description, its options and parameters bound to this instance's fields. */
    final CommandSpec spec;

    CtlCommand() {
        // descriptions are format strings: a literal '%' is written "%%"
        spec = BoundOptions.command(this, "ctl", "Talk to a running VM over its control socket.", "",
                "Commands:",
                "  status                 state, uptime, memory, vCPUs",
                "  pause | resume | reset",
                "  shutdown [--force]     press the ACPI power button (the guest decides); --force: power off now",
                "  battery SPEC           e.g. 50%%, host, absent, present,charging,rate=1500,remaining=40000,max=50000,ac",
                "  keys KEY...            key names, e.g. a Enter ctrl-alt-del 0x1c",
                "  serial-send N TEXT     send TEXT to the host side of COM N",
                "  snapshot PATH [--stop] save the VM to the new directory PATH (see 'jvmm run --restore');",
                "                         --stop: end the run once saved. Answers when the snapshot is on disk.");
        spec.usageMessage().sortOptions(true); // as annotated before
        spec.addOption(BoundOptions.value("--api-socket", Path.class, () -> socket, v -> socket = v)
                .required(true).paramLabel("PATH").description("The VM's control socket.").build());
        spec.addPositional(BoundOptions.positional("0", String.class, () -> command, v -> command = v)
                .required(true).paramLabel("COMMAND").description("One of: ${COMPLETION-CANDIDATES}").completionCandidates(COMMANDS)
                .build());
        spec.addOption(BoundOptions.value("--timeout", int.class, () -> timeoutSeconds, v -> timeoutSeconds = v)
                .paramLabel("SECONDS").defaultValue("30")
                .description("How long to wait for the VM's answer (default: ${DEFAULT-VALUE}; for snapshot "
                        + SNAPSHOT_TIMEOUT_SECONDS + ", as writing a large guest's memory takes its time).").build());
        spec.addOption(BoundOptions.flag("--force", () -> force, v -> force = v)
                .description("With shutdown: power the VM off at once instead of pressing its power button.").build());
        spec.addOption(BoundOptions.flag("--stop", () -> stop, v -> stop = v)
                .description("With snapshot: end the VM's run once the snapshot is written (exit code 0) instead of "
                        + "resuming it.").build());
        spec.addPositional(BoundOptions.positionals("1..*", String.class, () -> args, v -> args = v)
                .arity("0..1").paramLabel("ARG").description("Arguments of the command.").build());
        BoundOptions.addStandardHelpOptions(spec);
    }

    /** The control protocol's commands. Defined here so parsing options does not start logging. */
    static final List<String> COMMANDS = List.of("status", "pause", "resume", "reset", "shutdown", "battery", "keys",
            "serial-send", "snapshot");

    @Override
    public Integer call() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode req = request(json);
        JsonNode resp;
        if (Files.exists(socket) && !ControlServer.isSocketFile(socket)) {
            // connecting would only say "Connection refused"; say what is there instead
            throw UserError.config("--api-socket " + socket + ": " + (Files.isDirectory(socket) ? "a directory" : "a file")
                    + " that is not a socket is there; give the socket a VM serves (jvmm run --api-socket PATH)");
        }
        if (timeoutSeconds < 1) {
            throw UserError.config("ctl --timeout " + timeoutSeconds + ": give at least 1 second");
        }
        // A snapshot writes and syncs all of guest RAM: minutes for a large guest on a slow disk. Giving
        // up on it would report a failure while it still completes (and, with --stop, ends the VM).
        int timeoutSeconds = command.equals("snapshot") && !spec.commandLine().getParseResult().hasMatchedOption("--timeout")
                ? SNAPSHOT_TIMEOUT_SECONDS : this.timeoutSeconds;
        Duration answerTimeout = Duration.ofSeconds(timeoutSeconds);
        AtomicBoolean timedOut = new AtomicBoolean();
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                OutputStream out = Channels.newOutputStream(ch);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                        StandardCharsets.UTF_8))) {
            // A wedged VM must not hang its controller: closing the channel ends the blocked read.
            Thread deadline = new Thread(() -> {
                try {
                    Thread.sleep(answerTimeout.toMillis());
                    timedOut.set(true);
                    ch.close();
                } catch (InterruptedException | IOException answeredOrClosed) {
                    // answered in time (interrupted), or closed anyway
                }
            }, "jvmm-ctl-deadline");
            deadline.setDaemon(true);
            deadline.start();
            try {
                out.write((json.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                String line = in.readLine();
                if (line == null) {
                    throw UserError.vm("the VM closed the control connection without answering");
                }
                resp = json.readTree(line);
            } finally {
                deadline.interrupt();
            }
        } catch (IOException e) {
            if (timedOut.get()) {
                throw UserError.vm("the VM at --api-socket " + socket + " did not answer '" + command + "' within "
                        + timeoutSeconds + " s; it may be stuck ('jvmm ctl --api-socket " + socket
                        + " status' asks again; killing the jvmm process ends it)");
            }
            throw UserError.config("cannot reach a VM at --api-socket " + socket + ": " + e.getMessage()
                    + " (is the VM running with --api-socket " + socket + "?)");
        }
        if (!resp.path("ok").asBoolean(false)) {
            spec.commandLine().getErr().println("jvmm: " + command + ": " + resp.path("error").asText("failed"));
            return Main.VM_ERROR;
        }
        ((ObjectNode) resp).remove("ok");
        if (!resp.isEmpty()) {
            try {
                spec.commandLine().getOut().println(json.writerWithDefaultPrettyPrinter().writeValueAsString(resp));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return 0;
    }

    private ObjectNode request(ObjectMapper json) {
        if (!COMMANDS.contains(command)) {
            throw UserError.config("ctl: unknown command '" + command + "' (known: "
                    + String.join(", ", COMMANDS) + ")");
        }
        ObjectNode req = json.createObjectNode().put("command", command);
        if (force && !command.equals("shutdown")) {
            throw UserError.config("ctl " + command + ": --force goes with shutdown only");
        }
        switch (command) {
            case "battery" -> {
                expect(1, "battery SPEC");
                req.put("spec", args.get(0));
            }
            case "keys" -> {
                if (args.isEmpty()) {
                    throw UserError.config("ctl keys: give at least one key name, e.g. 'jvmm ctl --api-socket S keys a Enter'");
                }
                ArrayNode keys = req.putArray("keys");
                args.forEach(keys::add);
            }
            case "serial-send" -> {
                expect(2, "serial-send N TEXT");
                int port;
                try {
                    port = Integer.parseInt(args.get(0));
                } catch (NumberFormatException e) {
                    throw UserError.config("ctl serial-send: N must be a COM port number 1..4, not '" + args.get(0) + "'");
                }
                req.put("port", port).put("text", args.get(1));
            }
            case "snapshot" -> {
                expect(1, "snapshot PATH [--stop]");
                // the VM resolves nothing against its own working directory: send where the user means
                req.put("path", Path.of(args.get(0)).toAbsolutePath().toString());
                if (stop) {
                    req.put("stop", true);
                }
            }
            case "shutdown" -> {
                expect(0, "shutdown [--force]");
                if (force) {
                    req.put("force", true);
                }
            }
            default -> expect(0, command);
        }
        return req;
    }

    private void expect(int n, String usage) {
        if (args.size() != n) {
            throw UserError.config("ctl " + command + ": expected " + n + " argument(s): " + usage);
        }
    }
}
