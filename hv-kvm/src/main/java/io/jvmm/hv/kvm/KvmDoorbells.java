package io.jvmm.hv.kvm;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.jvmm.api.hv.DoorbellSupport;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.MmioDoorbell;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Doorbells on KVM: each registration is an eventfd(2) that KVM signals itself when the guest writes
 * the doorbell ({@code KVM_IOEVENTFD}, Documentation/virt/kvm/api.rst 4.59): the vCPU takes no exit
 * to user space (KVM completes the write in the kernel and re-enters the guest). One poller thread
 * per partition waits on every eventfd with epoll(7), reads each readable one (the eventfd's counter
 * is the number of writes since the last read) and runs its callback.
 *
 * <p>The poller's path allocates nothing: registrations live in a copy-on-write array indexed by
 * the epoll event's data, and the native buffers are allocated once. Registering and closing are
 * rare and synchronize on this object (not on the poller's path). An eventfd is closed only by the
 * poller thread, between two epoll_wait batches, so a closed number is never read through a reused
 * descriptor.
 */
final class KvmDoorbells implements DoorbellSupport {
    private static final Logger LOG = LoggerFactory.getLogger(KvmDoorbells.class);
    private static final int MAX_EVENTS = 32;
    /** Epoll data of the control eventfd (wakes the poller to close descriptors or stop). */
    private static final long CONTROL = -1L;

    private final int vmFd;
    private final String name;
    /** Slot i: the registration whose epoll data is i, or null. Replaced whole, read by the poller. */
    private volatile Bell[] slots = new Bell[0];
    /** Eventfds whose registrations closed, for the poller to close. Guarded by this. */
    private final ArrayDeque<Integer> toClose = new ArrayDeque<>();
    private int epollFd = -1;
    private int controlFd = -1;
    private Thread poller;
    private boolean closed;
    /** Eight bytes for eventfd writes outside the poller (control) and one ioctl structure. */
    private final Memory scratch = new Memory(8);
    private final Memory request = new Memory(Kvm.IOEVENTFD_SIZE);

    KvmDoorbells(int vmFd, String name) {
        this.vmFd = vmFd;
        this.name = name;
    }

    @Override
    public synchronized Registration register(MmioDoorbell doorbell, Runnable ring) throws HypervisorException {
        if (closed) {
            throw new HypervisorException("the VM is closed");
        }
        startPoller();
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (fd < 0) {
            throw new HypervisorException("eventfd failed: " + LibC.describe(LibC.errno()));
        }
        if (ioeventfd(doorbell, fd, 0) < 0) {
            int errno = LibC.errno();
            LibC.close(fd);
            throw new HypervisorException("KVM_IOEVENTFD for the " + doorbell + " failed: " + LibC.describe(errno));
        }
        Bell[] old = slots;
        int slot = 0;
        while (slot < old.length && old[slot] != null) {
            slot++;
        }
        Bell bell = new Bell(doorbell, fd, slot, ring);
        if (epollAdd(fd, slot) < 0) {
            int errno = LibC.errno();
            ioeventfd(doorbell, fd, Kvm.IOEVENTFD_FLAG_DEASSIGN);
            LibC.close(fd);
            throw new HypervisorException("epoll_ctl failed: " + LibC.describe(errno));
        }
        Bell[] next = Arrays.copyOf(old, Math.max(old.length, slot + 1));
        next[slot] = bell;
        slots = next;
        return bell;
    }

    /** KVM_IOEVENTFD for {@code doorbell} and {@code fd}, with {@code flags} (DEASSIGN to remove). */
    private int ioeventfd(MmioDoorbell doorbell, int fd, int flags) {
        request.clear();
        request.setLong(Kvm.IOEVENTFD_DATAMATCH, doorbell.value().orElse(0));
        request.setLong(Kvm.IOEVENTFD_ADDR, doorbell.address());
        request.setInt(Kvm.IOEVENTFD_LEN, doorbell.width());
        request.setInt(Kvm.IOEVENTFD_FD, fd);
        request.setInt(Kvm.IOEVENTFD_FLAGS, flags | (doorbell.value().isPresent() ? Kvm.IOEVENTFD_FLAG_DATAMATCH : 0));
        return LibC.ioctl(vmFd, Kvm.IOEVENTFD, request);
    }

    private int epollAdd(int fd, long data) {
        try (Memory event = new Memory(LibC.EPOLL_EVENT_SIZE)) {
            event.setInt(0, LibC.EPOLLIN);
            event.setLong(LibC.EPOLL_EVENT_DATA, data);
            return LibC.epoll_ctl(epollFd, LibC.EPOLL_CTL_ADD, fd, Pointer.nativeValue(event));
        }
    }

    private void startPoller() throws HypervisorException {
        if (poller != null) {
            return;
        }
        epollFd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (epollFd < 0) {
            throw new HypervisorException("epoll_create1 failed: " + LibC.describe(LibC.errno()));
        }
        controlFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (controlFd < 0 || epollAdd(controlFd, CONTROL) < 0) {
            int errno = LibC.errno();
            if (controlFd >= 0) {
                LibC.close(controlFd);
            }
            LibC.close(epollFd);
            epollFd = -1;
            controlFd = -1;
            throw new HypervisorException("cannot set up the doorbell poller: " + LibC.describe(errno));
        }
        int ep = epollFd;
        int control = controlFd;
        poller = new Thread(() -> poll(ep, control), name + "-doorbells");
        poller.setDaemon(true);
        poller.start();
    }

    /** The poller thread: waits, reads each signalled eventfd, rings. */
    private void poll(int ep, int control) {
        Memory events = new Memory((long) MAX_EVENTS * LibC.EPOLL_EVENT_SIZE);
        Memory counter = new Memory(8);
        long eventsAddress = Pointer.nativeValue(events);
        long counterAddress = Pointer.nativeValue(counter);
        while (true) {
            int n = LibC.epoll_wait(ep, eventsAddress, MAX_EVENTS, -1);
            if (n < 0) {
                int errno = LibC.errno();
                if (errno == LibC.EINTR) {
                    continue;
                }
                LOG.error("{}: epoll_wait failed, doorbells stop: {}", name, LibC.describe(errno));
                return;
            }
            boolean controlled = false;
            Bell[] bells = slots;
            for (int i = 0; i < n; i++) {
                long data = events.getLong((long) i * LibC.EPOLL_EVENT_SIZE + LibC.EPOLL_EVENT_DATA);
                if (data == CONTROL) {
                    controlled = true;
                    continue;
                }
                Bell bell = data >= 0 && data < bells.length ? bells[(int) data] : null;
                if (bell == null || bell.closed) {
                    continue;
                }
                if (LibC.read(bell.fd, counterAddress, 8) == 8) {
                    bell.rings.addAndGet(counter.getLong(0));
                    try {
                        bell.ring.run();
                    } catch (RuntimeException | Error e) {
                        // this thread serves every doorbell of the VM: one device's failure must not
                        // silence the others (KVM would go on absorbing their notifications unread)
                        LOG.warn("{}: the callback of the {} threw: {}", name, bell.doorbell, e.toString());
                    }
                }
            }
            if (controlled) {
                LibC.read(control, counterAddress, 8);
                if (closeQueued()) {
                    LibC.close(control);
                    LibC.close(ep);
                    return;
                }
            }
        }
    }

    /** Closes the queued eventfds (poller thread); true when the whole poller is to stop. */
    private synchronized boolean closeQueued() {
        Integer fd;
        while ((fd = toClose.poll()) != null) {
            LibC.close(fd);
        }
        return closed;
    }

    /** Deassigns and forgets {@code bell}; its eventfd is closed by the poller. */
    private synchronized void unregister(Bell bell) {
        if (bell.closed) {
            return;
        }
        bell.closed = true;
        if (!closed) {
            if (ioeventfd(bell.doorbell, bell.fd, Kvm.IOEVENTFD_FLAG_DEASSIGN) < 0) {
                LOG.warn("{}: removing the {} from KVM failed: {}", name, bell.doorbell, LibC.describe(LibC.errno()));
            }
        }
        LibC.epoll_ctl(epollFd, LibC.EPOLL_CTL_DEL, bell.fd, 0);
        Bell[] next = slots.clone();
        next[bell.slot] = null;
        slots = next;
        toClose.add(bell.fd);
        wakePoller();
    }

    private void wakePoller() {
        scratch.setLong(0, 1);
        LibC.write(controlFd, Pointer.nativeValue(scratch), 8);
    }

    /**
     * Stops the poller and releases every eventfd; called by the partition before it closes the VM
     * (closing the VM drops KVM's side of every registration).
     */
    synchronized void close() {
        if (closed) {
            return;
        }
        for (Bell bell : slots) {
            if (bell != null) {
                unregister(bell);
            }
        }
        closed = true;
        if (poller != null) {
            wakePoller(); // the poller closes the queued eventfds, its control eventfd and epoll, then ends
        }
    }

    /** Waits (briefly) for the poller thread to end; for tests. */
    void awaitPollerEnd(long millis) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = poller;
        }
        if (t != null) {
            t.join(millis);
        }
    }

    /** One registration. */
    private final class Bell implements Registration {
        final MmioDoorbell doorbell;
        final int fd;
        final int slot;
        final Runnable ring;
        final AtomicLong rings = new AtomicLong();
        volatile boolean closed;

        Bell(MmioDoorbell doorbell, int fd, int slot, Runnable ring) {
            this.doorbell = doorbell;
            this.fd = fd;
            this.slot = slot;
            this.ring = ring;
        }

        @Override
        public MmioDoorbell doorbell() {
            return doorbell;
        }

        @Override
        public long rings() {
            return rings.get();
        }

        @Override
        public void close() {
            unregister(this);
        }

        @Override
        public String toString() {
            return "doorbell " + doorbell + " (eventfd " + fd + ")";
        }
    }
}
