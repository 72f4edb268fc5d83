package io.jvmm.runtime.vm;

import io.jvmm.api.hv.IoBus;

/** Reports the first I/O exit once, then forwards everything; used only when profiling. */
final class FirstExitBus implements IoBus {
    private final IoBus bus;
    private Runnable first;

    FirstExitBus(IoBus bus, Runnable first) {
        this.bus = bus;
        this.first = first;
    }

    private void seen() {
        Runnable r = first;
        if (r != null) {
            first = null;
            r.run();
        }
    }

    @Override
    public void pioRead(int port, byte[] data) {
        seen();
        bus.pioRead(port, data);
    }

    @Override
    public void pioWrite(int port, byte[] data) {
        seen();
        bus.pioWrite(port, data);
    }

    @Override
    public void mmioRead(long address, byte[] data) {
        seen();
        bus.mmioRead(address, data);
    }

    @Override
    public void mmioWrite(long address, byte[] data) {
        seen();
        bus.mmioWrite(address, data);
    }
}
