package io.jvmm.runtime.board;

import java.util.List;

/**
 * A built board: the I/O bus for the vCPUs, the devices in board order, their runner and the
 * line sets. {@link #close()} ends the runner's threads.
 */
public final class Chipset implements AutoCloseable {
    private final Board board;
    private final List<BoardDevice> devices;
    private final DeviceRunner runner;
    private final InterruptLines lines;

    Chipset(Board board, List<BoardDevice> devices, DeviceRunner runner, InterruptLines lines) {
        this.board = board;
        this.devices = List.copyOf(devices);
        this.runner = runner;
        this.lines = lines;
    }

    /** The bus to hand to the vCPUs. */
    public Board board() {
        return board;
    }

    /** Every device, base-chipset devices first, then the manifest's devices in list order. */
    public List<BoardDevice> devices() {
        return devices;
    }

    /** Lifecycle and polling of the devices. */
    public DeviceRunner runner() {
        return runner;
    }

    public InterruptLines lines() {
        return lines;
    }

    @Override
    public void close() {
        runner.close();
    }
}
