package io.jvmm.cli;

import io.jvmm.api.battery.UpdatableBatterySource;
import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.input.KeyNames;
import io.jvmm.runtime.vm.LaunchedVm;
import java.nio.charset.StandardCharsets;
import io.jvmm.api.device.PowerButton;
import io.jvmm.runtime.board.BoardDevice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.jvmm.runtime.snapshot.Snapshot;
import io.jvmm.runtime.snapshot.SnapshotException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;

/** The control socket's view of a launched VM. */
final class LaunchedVmControl implements VmControl {
    private final LaunchedVm vm;

    LaunchedVmControl(LaunchedVm vm) {
        this.vm = vm;
    }

    @Override
    public Map<String, Object> status() {
        return vm.status();
    }

    @Override
    public void pause() {
        vm.machine().pause();
    }

    @Override
    public void resume() {
        vm.machine().resume();
    }

    @Override
    public void reset() {
        vm.machine().reset("jvmm ctl reset (control socket)");
    }

    @Override
    public Map<String, Object> shutdown(boolean force) {
        if (force) {
            vm.machine().shutdown("jvmm ctl shutdown --force (control socket)");
            return Map.of();
        }
        List<PowerButton> buttons = new ArrayList<>();
        for (BoardDevice d : vm.chipset().devices()) {
            d.device().capabilities().powerButton().ifPresent(buttons::add);
        }
        if (buttons.isEmpty()) {
            throw new IllegalStateException("this VM has no power button to press (no ACPI power-management "
                    + "device); 'jvmm ctl shutdown --force' powers it off");
        }
        boolean listening = false;
        for (PowerButton b : buttons) {
            listening |= b.press();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("power_button", "pressed");
        out.put("guest_listening", listening);
        out.put("note", listening
                ? "the guest decides what a press does; 'jvmm ctl shutdown --force' powers the VM off at once"
                : "the guest has not enabled the power-button event (PWRBTN_EN) and will likely ignore the press;"
                        + " 'jvmm ctl shutdown --force' powers the VM off at once");
        return out;
    }

    @Override
    public void battery(String spec) {
        List<UpdatableBatterySource> sources = vm.chipset().resolved(UpdatableBatterySource.class);
        if (sources.isEmpty()) {
            throw new IllegalStateException("this VM has no updatable battery; start it with --battery N%");
        }
        var state = BatterySpec.parseState(spec);
        sources.forEach(s -> s.update(state));
    }

    @Override
    public void keys(List<String> keys) {
        List<KeyEvent> events = new ArrayList<>();
        for (String k : keys) {
            events.addAll(KeyNames.parse(k));
        }
        vm.keyboard().sendAll(events);
    }

    @Override
    public Map<String, Object> snapshot(String path, boolean stop) {
        Snapshot.Written w;
        try {
            w = vm.snapshot(Path.of(path), stop).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the snapshot");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IllegalStateException(cause instanceof SnapshotException || cause instanceof IllegalStateException
                    || cause instanceof IllegalArgumentException ? cause.getMessage()
                    : "the snapshot failed: " + cause);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("path", w.path().toString());
        out.put("bytes", w.totalBytes());
        out.put("files", w.fileBytes());
        out.put("memory_ms", w.memoryMillis());
        out.put("total_ms", w.totalMillis());
        out.put("vm", stop ? "stopped" : "resumed");
        return out;
    }

    @Override
    public void serialSend(int port, String text) {
        SerialBackend backend = vm.chipset().serialBackend("serial-com" + port)
                .orElseThrow(() -> new IllegalStateException("this VM has no COM" + port));
        if (!backend.injectInput(text.getBytes(StandardCharsets.UTF_8))) {
            throw new IllegalStateException("COM" + port + "'s backend does not take injected input");
        }
    }
}
