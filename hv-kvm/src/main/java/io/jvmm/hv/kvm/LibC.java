package io.jvmm.hv.kvm;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * libc bound by JNA direct mapping. Pointers that are only handed back to the kernel are passed
 * as {@code long} addresses, which keeps the calls free of argument conversion and allocation.
 *
 * <p>None of these methods throws on failure: they return -1 like C, and the caller reads
 * {@link #errno()} right after. That keeps the KVM_RUN path clear of {@code LastErrorException}
 * (which costs microseconds per call when it has to be created).
 */
final class LibC {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final long MAP_FAILED = -1L;
    static final int MADV_DONTNEED = 4;

    static final int SIG_UNBLOCK = 1;
    static final int SA_ONSTACK = 0x08000000;
    static final int SA_RESTART = 0x10000000;

    /** eventfd(2) flags (EFD_CLOEXEC is O_CLOEXEC, EFD_NONBLOCK is O_NONBLOCK). */
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    /** epoll(7): struct epoll_event is packed on x86_64: u32 events, u64 data (12 bytes). */
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLLIN = 0x001;
    static final int EPOLL_EVENT_SIZE = 12;
    static final int EPOLL_EVENT_DATA = 4;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOENT = 2;
    static final int EACCES = 13;
    static final int EPERM = 1;
    static final int E2BIG = 7;

    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {}

    /** Does nothing; calling it runs the static initialiser above (JNA's registration of these methods). */
    static void link() {}

    static native int open(String path, int flags);

    static native int close(int fd);

    /** ioctl with an integer (or no) argument, or an address passed as a number. */
    static native int ioctl(int fd, long request, long arg);

    /** ioctl with a pointer to a structure. */
    static native int ioctl(int fd, long request, Pointer arg);

    static native int eventfd(int initval, int flags);

    static native int epoll_create1(int flags);

    /** {@code event} is the address of a struct epoll_event (0 for EPOLL_CTL_DEL). */
    static native int epoll_ctl(int epfd, int op, int fd, long event);

    /** {@code events} is the address of {@code maxEvents} struct epoll_event. */
    static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis);

    /** read(2) into the native buffer at {@code buffer}. */
    static native long read(int fd, long buffer, long count);

    /** write(2) from the native buffer at {@code buffer}. */
    static native long write(int fd, long buffer, long count);

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long addr, long length);

    static native int madvise(long addr, long length, int advice);

    static native long pthread_self();

    static native int pthread_kill(long thread, int signal);

    static native int pthread_sigmask(int how, Pointer set, Pointer oldSet);

    static native int sigaction(int signal, Pointer action, Pointer oldAction);

    /** glibc's first free real-time signal (glibc keeps the lowest two for itself). */
    static native int __libc_current_sigrtmin();

    static native String strerror(int errnum);

    /** The errno of the calling thread's last native call through JNA. */
    static int errno() {
        return Native.getLastError();
    }

    /** "EACCES (Permission denied)"-style text for messages. */
    static String describe(int errno) {
        return "errno " + errno + " (" + strerror(errno) + ")";
    }
}
