package io.jvmm.hv.kvm;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import io.jvmm.api.hv.HypervisorException;

/**
 * The real-time signal that interrupts a vCPU thread's KVM_RUN.
 *
 * <p>An ignored signal would not interrupt the ioctl, so the signal needs a handler; a Java
 * callback would be unsafe in signal context. The handler is therefore a native libc function that
 * only computes on its argument ({@code abs}, called as {@code void handler(int)}): it changes no
 * state, not even errno. HotSpot does not use real-time signals, so this does not disturb the JVM.
 *
 * <p>The signal is chosen once per process by looking for the first real-time signal (above glibc's
 * reserved ones) whose disposition is the default or already this handler.
 */
final class KickSignal {
    private static final int SIGACTION_SIZE = 152; // glibc x86_64 struct sigaction
    private static final int SA_HANDLER = 0;
    private static final int SA_FLAGS = 136;
    private static final int SIGSET_SIZE = 128;

    private final int signal;

    private KickSignal(int signal) {
        this.signal = signal;
    }

    int signal() {
        return signal;
    }

    /** Finds or installs the kick signal handler. Idempotent: the same signal comes back each time. */
    static KickSignal install() throws HypervisorException {
        Function handler = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("abs");
        long handlerAddress = Pointer.nativeValue(handler);
        int first = LibC.__libc_current_sigrtmin() + 2;
        int last = first + 16;
        NativeBuffer current = new NativeBuffer(SIGACTION_SIZE);
        for (int sig = first; sig <= last; sig++) {
            if (LibC.sigaction(sig, null, current.memory) != 0) {
                continue;
            }
            long installed = current.bytes.getLong(SA_HANDLER);
            if (installed == handlerAddress) {
                return new KickSignal(sig);
            }
            if (installed == 0) { // SIG_DFL: free
                NativeBuffer action = new NativeBuffer(SIGACTION_SIZE);
                action.bytes.putLong(SA_HANDLER, handlerAddress);
                // SA_RESTART: other syscalls of the vCPU thread restart; KVM_RUN still returns EINTR
                action.bytes.putInt(SA_FLAGS, LibC.SA_RESTART | LibC.SA_ONSTACK);
                if (LibC.sigaction(sig, action.memory, null) != 0) {
                    throw new HypervisorException("cannot install the vCPU kick signal handler (signal " + sig
                            + "): " + LibC.describe(LibC.errno()));
                }
                return new KickSignal(sig);
            }
        }
        throw new HypervisorException("no free real-time signal for kicking vCPUs in " + first + ".." + last
                + ": another library claimed them all");
    }

    /** Unblocks the signal in the calling thread, which will run a vCPU. */
    void unblockInCurrentThread() {
        NativeBuffer set = new NativeBuffer(SIGSET_SIZE);
        int bit = signal - 1;
        set.bytes.putLong(8 * (bit / 64), 1L << (bit % 64));
        LibC.pthread_sigmask(LibC.SIG_UNBLOCK, set.memory, null);
    }

    /** Sends the signal to a thread; failure (a thread that has exited) is harmless for a kick. */
    void send(long pthread) {
        LibC.pthread_kill(pthread, signal);
    }
}
