package io.jvmm.dev.virtionet;

import io.jvmm.api.net.NetBackend;
import io.jvmm.api.net.NetBackendListener;
import io.jvmm.api.net.NetOffload;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A {@link NetBackend} in memory: frames queued for the guest, frames the guest sent, a switch that
 * makes it full, and a record of the calls; the test calls the listener as a backend's poller would.
 */
final class FakeNetBackend implements NetBackend {
    final Set<NetOffload> offloads;
    final Deque<byte[]> toGuest = new ArrayDeque<>();
    final List<byte[]> fromGuest = new ArrayList<>();
    Set<NetOffload> receiveOffloads = EnumSet.noneOf(NetOffload.class);
    final List<Set<NetOffload>> offloadCalls = new ArrayList<>();
    boolean full;
    /** Rejects the next sends with an IOException. */
    int reject;
    int receiveCalls;
    /** Fails the next receives with an IOException (a passing failure). */
    int failReceives;
    /** Every receive throws ClosedChannelException (the host side is gone for good). */
    boolean gone;
    boolean closed;
    NetBackendListener listener;

    FakeNetBackend(Set<NetOffload> offloads) {
        this.offloads = offloads;
    }

    @Override
    public Set<NetOffload> offloads() {
        return offloads;
    }

    @Override
    public void setReceiveOffloads(Set<NetOffload> wanted) throws IOException {
        if (!offloads.containsAll(wanted)) {
            throw new IOException("cannot " + wanted);
        }
        receiveOffloads = EnumSet.copyOf(wanted.isEmpty() ? EnumSet.noneOf(NetOffload.class) : wanted);
        offloadCalls.add(receiveOffloads);
    }

    @Override
    public int receive(ByteBuffer[] buffers, int count) throws IOException {
        receiveCalls++;
        if (gone) {
            throw new ClosedChannelException();
        }
        if (failReceives > 0) {
            failReceives--;
            throw new IOException("a passing failure");
        }
        byte[] f = toGuest.poll();
        if (f == null) {
            return 0;
        }
        int at = 0;
        for (int i = 0; i < count && at < f.length; i++) {
            int n = Math.min(buffers[i].remaining(), f.length - at);
            buffers[i].put(f, at, n);
            at += n;
        }
        return f.length;
    }

    @Override
    public boolean send(ByteBuffer[] buffers, int count) throws IOException {
        if (full) {
            return false;
        }
        if (reject > 0) {
            reject--;
            throw new IOException("rejected");
        }
        int total = 0;
        for (int i = 0; i < count; i++) {
            total += buffers[i].remaining();
        }
        byte[] f = new byte[total];
        int at = 0;
        for (int i = 0; i < count; i++) {
            int n = buffers[i].remaining();
            buffers[i].get(f, at, n);
            at += n;
        }
        fromGuest.add(f);
        return true;
    }

    @Override
    public void setListener(NetBackendListener listener) {
        this.listener = listener;
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public void close() {
        closed = true;
    }
}
