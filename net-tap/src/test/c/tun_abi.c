/*
 * Prints the <linux/if_tun.h>, <net/if.h>, poll, uio and errno values net-tap hard-codes
 * (io.jvmm.net.tap.TunLibC) as "NAME value" lines; TunAbiTest compiles and runs it and compares.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <limits.h>
#include <sys/ioctl.h>

#define P(name, value) printf("%s %lu\n", name, (unsigned long)(value))

int main(void) {
    P("O_RDWR", O_RDWR);
    P("O_NONBLOCK", O_NONBLOCK);
    P("O_CLOEXEC", O_CLOEXEC);
    P("EFD_CLOEXEC", EFD_CLOEXEC);
    P("EFD_NONBLOCK", EFD_NONBLOCK);
    P("POLLIN", POLLIN);
    P("POLLOUT", POLLOUT);
    P("POLLERR", POLLERR);
    P("POLLHUP", POLLHUP);
    P("POLLNVAL", POLLNVAL);
    P("POLLFD_SIZE", sizeof(struct pollfd));
    P("POLLFD_EVENTS", offsetof(struct pollfd, events));
    P("POLLFD_REVENTS", offsetof(struct pollfd, revents));
    P("IOVEC_SIZE", sizeof(struct iovec));
    P("IOVEC_LEN", offsetof(struct iovec, iov_len));
    P("IOV_MAX", sysconf(_SC_IOV_MAX));
    P("EPERM", EPERM);
    P("ENOENT", ENOENT);
    P("EINTR", EINTR);
    P("EIO", EIO);
    P("ENXIO", ENXIO);
    P("EAGAIN", EAGAIN);
    P("EACCES", EACCES);
    P("EBUSY", EBUSY);
    P("ENODEV", ENODEV);
    P("EINVAL", EINVAL);
    P("TUNSETIFF", TUNSETIFF);
    P("TUNSETOFFLOAD", TUNSETOFFLOAD);
    P("TUNSETVNETHDRSZ", TUNSETVNETHDRSZ);
    P("IFF_TAP", IFF_TAP);
    P("IFF_NO_PI", IFF_NO_PI);
    P("IFF_VNET_HDR", IFF_VNET_HDR);
    P("TUN_F_CSUM", TUN_F_CSUM);
    P("TUN_F_TSO4", TUN_F_TSO4);
    P("TUN_F_TSO6", TUN_F_TSO6);
    P("TUN_F_TSO_ECN", TUN_F_TSO_ECN);
    P("TUN_F_UFO", TUN_F_UFO);
    P("IFNAMSIZ", IFNAMSIZ);
    P("IFREQ_SIZE", sizeof(struct ifreq));
    P("IFREQ_FLAGS", offsetof(struct ifreq, ifr_flags));
    return 0;
}
