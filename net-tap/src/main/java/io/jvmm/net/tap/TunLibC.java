package io.jvmm.net.tap;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * libc and the {@code <linux/if_tun.h>} ABI (x86_64), bound by JNA direct mapping. Addresses are
 * passed as {@code long}s. Calls return -1 like C; the caller reads {@link #errno()} right after.
 * {@code TunAbiTest} compares every constant here with the host's headers.
 */
final class TunLibC {
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;

    static final short POLLIN = 0x001;
    static final short POLLOUT = 0x004;
    static final short POLLERR = 0x008;
    static final short POLLHUP = 0x010;
    static final short POLLNVAL = 0x020;
    /** struct pollfd: int fd, short events, short revents. */
    static final int POLLFD_SIZE = 8;
    static final int POLLFD_EVENTS = 4;
    static final int POLLFD_REVENTS = 6;
    /** struct iovec: void *iov_base, size_t iov_len. */
    static final int IOVEC_SIZE = 16;
    static final int IOVEC_LEN = 8;
    /** The most buffers one readv/writev takes (UIO_MAXIOV). */
    static final int IOV_MAX = 1024;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    /** A TAP descriptor whose interface was deleted (tun's tun_get() finds none). */
    static final int EBADFD = 77;

    // <linux/if_tun.h>
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    static final int TUN_F_TSO_ECN = 0x08;
    static final int TUN_F_UFO = 0x10;
    // <net/if.h>: struct ifreq is the name (IFNAMSIZ) then a union whose first member is ifr_flags
    static final int IFNAMSIZ = 16;
    static final int IFREQ_SIZE = 40;
    static final int IFREQ_FLAGS = 16;

    static {
        Native.register(TunLibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private TunLibC() {}

    static native int open(String path, int flags);

    static native int close(int fd);

    /** ioctl with an integer argument, or an address passed as a number. */
    static native int ioctl(int fd, long request, long arg);

    static native long readv(int fd, long iov, int count);

    static native long writev(int fd, long iov, int count);

    static native long read(int fd, long buffer, long count);

    static native long write(int fd, long buffer, long count);

    static native int eventfd(int initval, int flags);

    static native int poll(long fds, long count, int timeoutMillis);

    static native String strerror(int errnum);

    /** The interface's index in the calling thread's network namespace, 0 when there is none. */
    static native int if_nametoindex(String name);

    static int errno() {
        return Native.getLastError();
    }

    /** "EACCES (Permission denied)"-style text for messages. */
    static String describe(int errno) {
        return strerror(errno) + " (errno " + errno + ")";
    }
}
