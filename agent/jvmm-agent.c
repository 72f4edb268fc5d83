/*
 * jvmm-agent: the guest side of jvmm's sandbox protocol (docs/sandbox-protocol.md, version 1).
 *
 * Runs as PID 1 of a sandbox guest (the initramfs's /init ends with `exec /sbin/jvmm-agent`):
 * connects to the host over vsock (CID 2, port 1024) or opens a serial tty raw, says READY, then
 * serves one request at a time: EXEC (a child in its own session with pipes for stdin, stdout and
 * stderr, relayed with backpressure), FILE_READ, FILE_WRITE, PING, SHUTDOWN. As PID 1 it reaps
 * every orphan, and it powers the guest off on SHUTDOWN and whenever its transport fails, so a
 * guest never hangs after its host went away.
 *
 * `jvmm-agent --stdio` speaks the same protocol over fds 0 and 1 as an ordinary process (no
 * power-off; SHUTDOWN exits 0): the host side's tests drive it natively, without KVM.
 *
 * Build: gcc -static -Os -o jvmm-agent jvmm-agent.c (agent/build.sh). No dependencies but libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

enum {
    T_READY = 0x01, T_PING = 0x02, T_PONG = 0x03,
    T_EXEC = 0x10, T_STDIN = 0x11, T_STDOUT = 0x12, T_STDERR = 0x13, T_EXITED = 0x14, T_KILL = 0x15,
    T_FILE_READ = 0x20, T_FILE_WRITE = 0x21, T_FILE_DATA = 0x22, T_FILE_DONE = 0x23,
    T_SHUTDOWN = 0x30, T_ERROR = 0x7f,
};

#define PROTOCOL_VERSION 1u
#define MAX_FRAME ((1u << 20) + 1)  /* type + body */
#define MAX_STR (64u << 10)
#define MAX_CHUNK (64u << 10)       /* STDOUT/STDERR/STDIN/FILE_DATA bodies */
#define MAX_PING (4u << 10)
#define MAX_COUNT 4096u             /* argc, envc */
#define MAX_FILE (1ull << 40)
#define HOST_CID 2u
#define DEFAULT_PORT 1024u
#define CONNECT_RETRY_NS (10ull * 1000000000ull)
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int stdio_mode;          /* --stdio: not PID 1, no power-off */
static int tin = -1, tout = -1; /* the transport: read and write ends (the same fd for vsock/serial) */
static uint8_t *frame;          /* the frame being read: type at [0], body after */
static uint32_t frame_len;      /* type + body */
static uint8_t outbuf[MAX_CHUNK + 64];
static pid_t command_pid = -1;  /* the EXEC's child, while it runs */
static char *write_tmp;         /* FILE_WRITE's temporary file, while it exists: removed by finish() */

static void logmsg(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    dprintf(2, "jvmm-agent: %s\n", line);
}

/* The end: PID 1 powers the guest off (it must never exit: the kernel would panic). */
static void __attribute__((noreturn)) finish(int status) {
    if (command_pid > 0) {
        kill(-command_pid, SIGKILL); /* a fatal error mid-command: --stdio has no power-off to end it */
    }
    if (write_tmp != NULL) {
        unlink(write_tmp); /* the transport ended or broke mid-FILE_WRITE: no half file is left */
    }
    if (stdio_mode) {
        _exit(status);
    }
    sync();
    reboot(RB_POWER_OFF);
    for (;;) {
        pause();
    }
}

static void __attribute__((noreturn)) fatal(const char *what) {
    logmsg("%s: %s; powering off", what, strerror(errno));
    finish(1);
}

/* ---- transport I/O ---- */

static int write_all(int fd, const void *data, size_t n) {
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd pfd = {fd, POLLOUT, 0};
                poll(&pfd, 1, -1);
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

/* Reads exactly n bytes; 0 on success, 1 on EOF before any byte, -1 on error or EOF mid-way. */
static int read_all(int fd, void *data, size_t n) {
    uint8_t *p = data;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r == 0) {
            return got == 0 ? 1 : -1;
        }
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd pfd = {fd, POLLIN, 0};
                poll(&pfd, 1, -1);
                continue;
            }
            return -1;
        }
        got += (size_t) r;
    }
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); p[2] = (uint8_t) (v >> 16); p[3] = (uint8_t) (v >> 24);
}

static void put_u64(uint8_t *p, uint64_t v) {
    put_u32(p, (uint32_t) v);
    put_u32(p + 4, (uint32_t) (v >> 32));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p) {
    return (uint64_t) get_u32(p) | (uint64_t) get_u32(p + 4) << 32;
}

/* Sends one frame of type and body (head and body written separately: no copy of the body). */
static void send_frame(uint8_t type, const void *body, uint32_t n) {
    uint8_t head[5];
    put_u32(head, n + 1);
    head[4] = type;
    if (write_all(tout, head, sizeof head) < 0 || (n > 0 && write_all(tout, body, n) < 0)) {
        fatal("writing to the host");
    }
}

static void send_error(int err, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
    }
    if ((size_t) n >= sizeof msg) {
        n = sizeof msg - 1;
    }
    uint8_t body[8 + sizeof msg];
    put_u32(body, (uint32_t) err);
    put_u32(body + 4, (uint32_t) n);
    memcpy(body + 8, msg, (size_t) n);
    send_frame(T_ERROR, body, 8 + (uint32_t) n);
}

/* A malformed frame: ERROR naming it, then the transport is closed (PID 1: power-off). */
static void __attribute__((noreturn)) protocol_error(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    logmsg("protocol error: %s", msg);
    send_error(EPROTO, "protocol error: %s", msg);
    finish(2);
}

/* Reads the next frame into `frame`; returns 0, or 1 when the host closed the transport cleanly. */
static int read_frame(void) {
    uint8_t head[4];
    int r = read_all(tin, head, sizeof head);
    if (r == 1) {
        return 1;
    }
    if (r < 0) {
        fatal("reading a frame header from the host");
    }
    uint32_t n = get_u32(head);
    if (n < 1 || n > MAX_FRAME) {
        protocol_error("frame length %u is outside 1..%u", n, MAX_FRAME);
    }
    if (read_all(tin, frame, n) != 0) {
        errno = errno ? errno : EPIPE;
        fatal("reading a frame body from the host");
    }
    frame_len = n;
    return 0;
}

/* ---- body parsing: a cursor over the current frame's body; any overrun is a protocol error ---- */

struct cursor {
    const uint8_t *p;
    uint32_t left;
    const char *frame;
};

static struct cursor body_cursor(const char *name) {
    struct cursor c = {frame + 1, frame_len - 1, name};
    return c;
}

static const uint8_t *take(struct cursor *c, uint32_t n, const char *field) {
    if (n > c->left) {
        protocol_error("%s: %s runs past the end of the body (%u bytes needed, %u left)", c->frame, field, n, c->left);
    }
    const uint8_t *p = c->p;
    c->p += n;
    c->left -= n;
    return p;
}

static uint32_t take_u32(struct cursor *c, const char *field) {
    return get_u32(take(c, 4, field));
}

static uint64_t take_u64(struct cursor *c, const char *field) {
    return get_u64(take(c, 8, field));
}

/* A str as a fresh NUL-terminated copy; a NUL inside is refused (it cannot reach a syscall intact). */
static char *take_str(struct cursor *c, const char *field) {
    uint32_t n = take_u32(c, field);
    if (n > MAX_STR) {
        protocol_error("%s: %s is %u bytes, more than %u", c->frame, field, n, MAX_STR);
    }
    const uint8_t *p = take(c, n, field);
    if (memchr(p, 0, n) != NULL) {
        protocol_error("%s: %s contains a NUL byte", c->frame, field);
    }
    char *s = malloc((size_t) n + 1);
    if (s == NULL) {
        fatal("malloc");
    }
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static void expect_end(struct cursor *c) {
    if (c->left != 0) {
        protocol_error("%s: %u bytes after the last field", c->frame, c->left);
    }
}

/* ---- children ---- */

static int command_status;
static int command_reaped;

/* Reaps every child that has ended (PID 1 inherits orphans); remembers the command's status. */
static void reap(void) {
    for (;;) {
        int status;
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p <= 0) {
            return;
        }
        if (p == command_pid) {
            command_status = status;
            command_reaped = 1;
        }
    }
}

/* True once the command has been reaped and no process is left in its process group. */
static int command_group_gone(pid_t pid) {
    if (!command_reaped) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            command_status = status;
            command_reaped = 1;
        }
    }
    return command_reaped && kill(-pid, 0) < 0 && errno == ESRCH;
}

static void set_nonblock(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* execvp's PATH search, with PATH taken from the command's own environment. Returns the errno. */
static int exec_search(char **argv, char **envp) {
    const char *file = argv[0];
    if (file[0] == 0) {
        return ENOENT;
    }
    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        return errno;
    }
    const char *path = DEFAULT_PATH;
    for (char **e = envp; *e != NULL; e++) {
        if (strncmp(*e, "PATH=", 5) == 0) {
            path = *e + 5;
        }
    }
    int result = ENOENT;
    size_t flen = strlen(file);
    for (const char *d = path;; d++) {
        const char *end = strchrnul(d, ':');
        size_t dlen = (size_t) (end - d);
        char full[PATH_MAX];
        /* an empty entry means the cwd: "./" + file, so it takes one byte more than its length */
        if ((dlen ? dlen : 1) + 1 + flen + 1 <= sizeof full) {
            memcpy(full, d, dlen);
            size_t at = dlen;
            if (dlen == 0) {
                full[at++] = '.';
            }
            full[at++] = '/';
            memcpy(full + at, file, flen + 1);
            execve(full, argv, envp);
            if (errno == EACCES) {
                result = EACCES; /* remembered, like execvp, unless a later entry runs */
            } else if (errno != ENOENT && errno != ENOTDIR) {
                return errno;
            }
        }
        if (*end == 0) {
            return result;
        }
        d = end;
    }
}

static void free_strs(char **v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

/*
 * The host closed the transport during a command: nobody will read EXITED, and the power-off (PID 1)
 * ends everything anyway, so the command's group is killed and the agent ends at once instead of
 * waiting for the command's pipes, which a process in another session may hold open forever.
 */
static void __attribute__((noreturn)) host_gone_during_command(pid_t pid) {
    kill(-pid, SIGKILL);
    logmsg("the host closed the transport during a command; %s", stdio_mode ? "exiting" : "powering off");
    finish(1);
}

/*
 * EXEC: the child gets its own session (so KILL reaches its whole process group), pipes for its
 * output, a pipe or /dev/null for its input, the cwd and the environment. The loop relays the
 * transport and the pipes; output is read only when the previous frame has been written, so a slow
 * host stops the child (its pipe fills) instead of the agent buffering.
 */
static void do_exec(void) {
    struct cursor c = body_cursor("EXEC");
    uint32_t argc = take_u32(&c, "argc");
    if (argc < 1 || argc > MAX_COUNT) {
        protocol_error("EXEC: argc %u is outside 1..%u", argc, MAX_COUNT);
    }
    char **argv = calloc((size_t) argc + 1, sizeof *argv);
    for (uint32_t i = 0; i < argc; i++) {
        argv[i] = take_str(&c, "argv");
    }
    uint32_t envc = take_u32(&c, "envc");
    if (envc > MAX_COUNT) {
        protocol_error("EXEC: envc %u is more than %u", envc, MAX_COUNT);
    }
    char **envp = calloc((size_t) envc + 1, sizeof *envp);
    for (uint32_t i = 0; i < envc; i++) {
        envp[i] = take_str(&c, "env");
    }
    char *cwd = take_str(&c, "cwd");
    uint8_t flags = *take(&c, 1, "flags");
    expect_end(&c);
    if (flags & ~1u) {
        protocol_error("EXEC: unknown flags 0x%02x", flags);
    }
    int want_stdin = flags & 1;

    int in[2] = {-1, -1}, out[2], err[2], status_pipe[2];
    if ((want_stdin ? pipe2(in, O_CLOEXEC) : 0) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0
            || pipe2(status_pipe, O_CLOEXEC) < 0) {
        fatal("pipe2");
    }
    command_reaped = 0;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        send_error(e, "fork: %s", strerror(e));
        close(out[0]); close(out[1]); close(err[0]); close(err[1]); close(status_pipe[0]); close(status_pipe[1]);
        if (want_stdin) { close(in[0]); close(in[1]); }
        goto done;
    }
    if (pid == 0) {
        int e = 0;
        const char *step = "setsid";
        if (setsid() < 0) {
            e = errno;
        }
        /* O_CLOEXEC like the pipes: only its dup2 copy on fd 0 reaches the command */
        int stdin_fd = want_stdin ? in[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (e == 0 && stdin_fd < 0) {
            e = errno;
            step = "open /dev/null";
        }
        if (e == 0 && (dup2(stdin_fd, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)) {
            e = errno;
            step = "dup2";
        }
        if (e == 0 && chdir(cwd[0] ? cwd : "/") < 0) {
            e = errno;
            step = "chdir";
        }
        if (e == 0) {
            signal(SIGPIPE, SIG_DFL); /* an ignored signal stays ignored across execve */
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            step = "execve";
            e = exec_search(argv, envp);
        }
        /* tell the parent which step failed and why: errno (4 bytes), then the step's name */
        uint8_t msg[68];
        put_u32(msg, (uint32_t) e);
        size_t n = strlen(step);
        memcpy(msg + 4, step, n);
        (void) !write(status_pipe[1], msg, 4 + n);
        _exit(e == ENOENT ? 127 : 126);
    }
    command_pid = pid;
    close(out[1]);
    close(err[1]);
    close(status_pipe[1]);
    if (want_stdin) {
        close(in[0]);
    }
    uint8_t msg[68];
    ssize_t got;
    do {
        got = read(status_pipe[0], msg, sizeof msg);
    } while (got < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (got >= 4) { /* the child could not start the command: no EXITED, an ERROR */
        int e = (int) get_u32(msg);
        msg[got < (ssize_t) sizeof msg ? got : (ssize_t) sizeof msg - 1] = 0;
        waitpid(pid, NULL, 0);
        command_pid = -1;
        close(out[0]);
        close(err[0]);
        if (want_stdin) {
            close(in[1]);
        }
        if (strcmp((char *) msg + 4, "execve") == 0) {
            send_error(e, "execve %s: %s", argv[0], strerror(e));
        } else if (strcmp((char *) msg + 4, "chdir") == 0) {
            send_error(e, "chdir %s: %s", cwd, strerror(e));
        } else {
            send_error(e, "%s: %s", (char *) msg + 4, strerror(e));
        }
        goto done;
    }

    int fds[2] = {out[0], err[0]};
    const uint8_t types[2] = {T_STDOUT, T_STDERR};
    int stdin_fd = want_stdin ? in[1] : -1;
    uint8_t *pending = NULL;     /* STDIN bytes not yet taken by the child's pipe */
    uint32_t pending_len = 0, pending_off = 0;
    int stdin_eof = 0;           /* the host sent EOF: close the pipe once pending is written */
    int killed = 0;              /* the host sent KILL */
    set_nonblock(fds[0]);
    set_nonblock(fds[1]);
    if (stdin_fd >= 0) {
        set_nonblock(stdin_fd);
    }
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[4];
        int np = 0, ix_t, ix_in = -1, ix_o[2] = {-1, -1};
        int want_frame = pending_len == pending_off; /* a frame is read only when the last STDIN is taken */
        /* the transport is polled even while STDIN waits (no POLLIN then): a host gone is noticed */
        ix_t = np;
        p[np++] = (struct pollfd) {tin, want_frame ? POLLIN : POLLRDHUP, 0};
        if (stdin_fd >= 0 && pending_len > pending_off) {
            ix_in = np;
            p[np++] = (struct pollfd) {stdin_fd, POLLOUT, 0};
        }
        for (int s = 0; s < 2; s++) {
            if (fds[s] >= 0) {
                ix_o[s] = np;
                p[np++] = (struct pollfd) {fds[s], POLLIN, 0};
            }
        }
        int r = poll(p, (nfds_t) np, killed ? 50 : 1000);
        if (r < 0 && errno != EINTR) {
            fatal("poll");
        }
        if (!stdio_mode) {
            reap(); /* orphans: the command's own status is kept when it comes by here */
        }
        if (killed && command_group_gone(pid)) {
            /*
             * KILL came and the command's whole process group is gone: what still holds its pipes
             * runs in another session, out of KILL's reach, so their EOF may never come. What the
             * pipes hold now is still sent (at most 1 MiB each: the largest pipe), then EXITED.
             */
            for (int s = 0; s < 2; s++) {
                for (int i = 0; fds[s] >= 0 && i < 16; i++) {
                    ssize_t n = read(fds[s], outbuf, MAX_CHUNK);
                    if (n <= 0) {
                        break;
                    }
                    send_frame(types[s], outbuf, (uint32_t) n);
                }
            }
            break;
        }
        if (r <= 0) {
            continue;
        }
        for (int s = 0; s < 2; s++) {
            if (ix_o[s] >= 0 && p[ix_o[s]].revents) {
                ssize_t n = read(fds[s], outbuf, MAX_CHUNK);
                if (n > 0) {
                    send_frame(types[s], outbuf, (uint32_t) n);
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    close(fds[s]);
                    fds[s] = -1;
                }
            }
        }
        if (ix_in >= 0 && p[ix_in].revents) {
            ssize_t w = write(stdin_fd, pending + pending_off, pending_len - pending_off);
            if (w > 0) {
                pending_off += (uint32_t) w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) { /* EPIPE: the child closed its stdin */
                pending_off = pending_len;
                close(stdin_fd);
                stdin_fd = -1;
            }
        }
        if (stdin_fd >= 0 && stdin_eof && pending_len == pending_off) {
            close(stdin_fd);
            stdin_fd = -1;
        }
        if (p[ix_t].revents && !want_frame) {
            /* POLLHUP, POLLERR or POLLRDHUP without a frame wanted: the host closed the transport */
            host_gone_during_command(pid);
        }
        if (p[ix_t].revents) {
            if (read_frame() != 0) {
                host_gone_during_command(pid);
            }
            uint8_t type = frame[0];
            if (type == T_STDIN) {
                uint32_t n = frame_len - 1;
                if (n > MAX_CHUNK) {
                    protocol_error("STDIN: %u bytes, more than %u", n, MAX_CHUNK);
                }
                if (!want_stdin || stdin_eof) {
                    protocol_error("STDIN: the command's stdin is %s", want_stdin ? "closed (EOF was sent)" : "/dev/null");
                }
                if (n == 0) {
                    stdin_eof = 1;
                    if (stdin_fd >= 0) {
                        close(stdin_fd);
                        stdin_fd = -1;
                    }
                } else if (stdin_fd >= 0) {
                    free(pending);
                    pending = malloc(n);
                    if (pending == NULL) {
                        fatal("malloc");
                    }
                    memcpy(pending, frame + 1, n);
                    pending_len = n;
                    pending_off = 0;
                } /* else: the child closed its stdin; the bytes have nowhere to go */
            } else if (type == T_KILL) {
                struct cursor k = body_cursor("KILL");
                uint32_t sig = take_u32(&k, "signal");
                expect_end(&k);
                if (sig < 1 || sig > 64) {
                    protocol_error("KILL: signal %u is outside 1..64", sig);
                }
                kill(-pid, (int) sig);
                killed = 1;
            } else {
                protocol_error("frame type 0x%02x is not allowed while a command runs (STDIN and KILL are)", type);
            }
        }
    }
    for (int s = 0; s < 2; s++) {
        if (fds[s] >= 0) {
            close(fds[s]);
        }
    }
    if (stdin_fd >= 0) {
        close(stdin_fd);
    }
    free(pending);
    /*
     * Both pipes are at EOF (or were given up after KILL), but the command may still run (it closed them itself): wait for it
     * while still serving KILL (a timeout must reach it) and taking late STDIN (nowhere to go now).
     */
    while (!command_reaped) {
        int status;
        pid_t p = waitpid(pid, &status, WNOHANG);
        if (p == pid) {
            command_status = status;
            command_reaped = 1;
            break;
        }
        if (p < 0 && errno != EINTR) {
            command_status = 0;
            command_reaped = 1;
            break;
        }
        struct pollfd t = {tin, POLLIN, 0};
        if (poll(&t, 1, 20) <= 0) {
            continue;
        }
        if (read_frame() != 0) {
            host_gone_during_command(pid);
        }
        if (frame[0] == T_KILL) {
            struct cursor k = body_cursor("KILL");
            uint32_t sig = take_u32(&k, "signal");
            expect_end(&k);
            if (sig < 1 || sig > 64) {
                protocol_error("KILL: signal %u is outside 1..64", sig);
            }
            kill(-pid, (int) sig);
        } else if (frame[0] != T_STDIN || frame_len - 1 > MAX_CHUNK) {
            protocol_error("frame type 0x%02x is not allowed while a command runs (STDIN and KILL are)", frame[0]);
        }
    }
    command_pid = -1;
    uint8_t body[5];
    if (WIFSIGNALED(command_status)) {
        body[0] = 1;
        put_u32(body + 1, (uint32_t) WTERMSIG(command_status));
    } else {
        body[0] = 0;
        put_u32(body + 1, (uint32_t) WEXITSTATUS(command_status));
    }
    send_frame(T_EXITED, body, sizeof body);
done:
    free_strs(argv, argc);
    free_strs(envp, envc);
    free(cwd);
}

/* ---- files ---- */

static void do_file_read(void) {
    struct cursor c = body_cursor("FILE_READ");
    char *path = take_str(&c, "path");
    uint64_t max = take_u64(&c, "max_bytes");
    expect_end(&c);
    /*
     * O_NONBLOCK: open() of a FIFO without a writer (or of some devices) would block for good, and
     * it stays on for the reads: a regular file ignores it, but a few /proc and tracefs "regular"
     * files (/proc/kmsg, trace_pipe) would otherwise block in read() until new data came.
     */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0) {
        send_error(errno, "open %s: %s", path, strerror(errno));
    } else if (fstat(fd, &st) < 0) {
        send_error(errno, "fstat %s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        send_error(S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "%s is not a regular file", path);
    } else if ((uint64_t) st.st_size > max) {
        send_error(EFBIG, "%s is %llu bytes, more than the limit of %llu", path,
                (unsigned long long) st.st_size, (unsigned long long) max);
    } else {
        uint64_t sent = 0;
        int failed = 0;
        while (sent < max) {
            uint64_t want = max - sent < MAX_CHUNK ? max - sent : MAX_CHUNK;
            ssize_t n = read(fd, outbuf, (size_t) want);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                send_error(errno, "read %s: %s", path, strerror(errno));
                failed = 1;
                break;
            }
            if (n == 0) {
                break;
            }
            send_frame(T_FILE_DATA, outbuf, (uint32_t) n);
            sent += (uint64_t) n;
        }
        if (!failed) {
            uint8_t body[8];
            put_u64(body, sent);
            send_frame(T_FILE_DONE, body, sizeof body);
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    free(path);
}

/*
 * FILE_WRITE: the data goes to a temporary file in the target's directory, which is fsynced and
 * renamed over the target only when every byte arrived: a reader never sees half a file.
 */
static void do_file_write(void) {
    struct cursor c = body_cursor("FILE_WRITE");
    char *path = take_str(&c, "path");
    uint32_t mode = take_u32(&c, "mode");
    uint64_t size = take_u64(&c, "size");
    expect_end(&c);
    if (size > MAX_FILE) {
        protocol_error("FILE_WRITE: size %llu is more than 2^40", (unsigned long long) size);
    }
    if (mode > 07777) {
        protocol_error("FILE_WRITE: mode 0%o has bits beyond 07777", mode);
    }
    /* a FIFO, device or directory is not replaced by a file: refused before any data is taken */
    struct stat st;
    if (path[0] && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        send_error(S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "%s is not a regular file", path);
        free(path);
        return; /* the FILE_DATA already on its way is ignored in idle */
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (tmp == NULL) {
        fatal("malloc");
    }
    snprintf(tmp, plen + 32, "%s.jvmm-XXXXXX", path);
    int fd = path[0] ? mkostemp(tmp, O_CLOEXEC) : -1;
    if (fd < 0) {
        int e = path[0] ? errno : ENOENT;
        send_error(e, "create %s: %s", path, strerror(e));
        goto out; /* the FILE_DATA already on its way is ignored in idle (see the protocol's States) */
    }
    write_tmp = tmp;
    int err = 0;
    const char *step = NULL;
    if (fchmod(fd, (mode_t) mode) < 0) {
        err = errno;
        step = "chmod";
    }
    uint64_t written = 0;
    while (written < size) {
        if (read_frame() != 0) {
            errno = EPIPE;
            fatal("the host closed the transport during FILE_WRITE");
        }
        if (frame[0] != T_FILE_DATA) {
            protocol_error("frame type 0x%02x during FILE_WRITE (FILE_DATA expected: %llu of %llu bytes so far)",
                    frame[0], (unsigned long long) written, (unsigned long long) size);
        }
        uint32_t n = frame_len - 1;
        if (n < 1 || n > MAX_CHUNK || n > size - written) {
            protocol_error("FILE_DATA: %u bytes with %llu of the file's %llu left (1..%u allowed)", n,
                    (unsigned long long) (size - written), (unsigned long long) size, MAX_CHUNK);
        }
        if (err == 0 && write_all(fd, frame + 1, n) < 0) {
            err = errno;
            step = "write";
            break; /* an early ERROR: the host stops sending; what is in flight is ignored in idle */
        }
        written += n;
    }
    if (err == 0 && fsync(fd) < 0) {
        err = errno;
        step = "fsync";
    }
    if (close(fd) < 0 && err == 0) {
        err = errno;
        step = "close";
    }
    if (err == 0 && rename(tmp, path) < 0) {
        err = errno;
        step = "rename";
    }
    if (err != 0) {
        unlink(tmp);
    }
    write_tmp = NULL;
    if (err != 0) {
        send_error(err, "%s %s: %s", step, path, strerror(err));
    } else {
        uint8_t body[8];
        put_u64(body, written);
        send_frame(T_FILE_DONE, body, sizeof body);
    }
out:
    free(tmp);
    free(path);
}

/* ---- transport set-up ---- */

static uint64_t boottime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* The value of jvmm.agent= on the kernel command line, or "vsock:1024". */
static void transport_spec(char *out, size_t cap) {
    snprintf(out, cap, "vsock:%u", DEFAULT_PORT);
    char cmdline[4096];
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
    close(fd);
    if (n <= 0) {
        return;
    }
    cmdline[n] = 0;
    for (char *tok = strtok(cmdline, " \n"); tok != NULL; tok = strtok(NULL, " \n")) {
        if (strncmp(tok, "jvmm.agent=", 11) == 0) {
            snprintf(out, cap, "%s", tok + 11);
        }
    }
}

static int open_vsock(unsigned port) {
    uint64_t deadline = boottime_ns() + CONNECT_RETRY_NS;
    int last = 0;
    for (;;) {
        int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            struct sockaddr_vm addr = {0};
            addr.svm_family = AF_VSOCK;
            addr.svm_cid = HOST_CID;
            addr.svm_port = port;
            if (connect(fd, (struct sockaddr *) &addr, sizeof addr) == 0) {
                return fd;
            }
            last = errno;
            close(fd);
        } else {
            last = errno; /* EAFNOSUPPORT until the transport module is in */
        }
        if (boottime_ns() > deadline) {
            errno = last;
            return -1;
        }
        struct timespec pause_ts = {0, 100 * 1000 * 1000};
        nanosleep(&pause_ts, NULL);
    }
}

static int open_serial(const char *tty) {
    int fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    struct termios t;
    if (tcgetattr(fd, &t) < 0) {
        close(fd);
        return -1;
    }
    cfmakeraw(&t);
    t.c_cflag &= ~(tcflag_t) CRTSCTS;
    t.c_cflag |= CLOCAL | CREAD;
    t.c_iflag &= ~(tcflag_t) (IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
    if (tcsetattr(fd, TCSANOW, &t) < 0) {
        close(fd);
        return -1;
    }
    tcflush(fd, TCIOFLUSH);
    return fd;
}

int main(int argc, char **argv) {
    stdio_mode = argc > 1 && strcmp(argv[1], "--stdio") == 0;
    if (argc > 1 && !stdio_mode) {
        dprintf(2, "usage: jvmm-agent [--stdio]\n"
                "  as PID 1: the transport from jvmm.agent= on the kernel command line (vsock:PORT or serial:TTY)\n"
                "  --stdio: the protocol over fds 0 and 1, for tests\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    frame = malloc(MAX_FRAME);
    if (frame == NULL) {
        fatal("malloc");
    }
    if (stdio_mode) {
        tin = 0;
        tout = 1;
    } else {
        if (getpid() != 1) {
            logmsg("not PID 1 (pid %d): power-off on exit applies anyway; use --stdio for tests", (int) getpid());
        }
        char spec[256];
        transport_spec(spec, sizeof spec);
        int fd;
        if (strncmp(spec, "vsock:", 6) == 0) {
            char *end;
            unsigned long port = strtoul(spec + 6, &end, 10);
            if (*end != 0 || port == 0 || port > 0xffffffffu) {
                errno = EINVAL;
                fatal("jvmm.agent=vsock:PORT has a bad port");
            }
            fd = open_vsock((unsigned) port);
            if (fd < 0) {
                fatal("connecting to the host (vsock CID 2) for 10 s");
            }
        } else if (strncmp(spec, "serial:", 7) == 0) {
            fd = open_serial(spec + 7);
            if (fd < 0) {
                fatal("opening the serial transport");
            }
        } else {
            errno = EINVAL;
            fatal("jvmm.agent= must be vsock:PORT or serial:TTY");
        }
        tin = tout = fd;
    }

    struct utsname u;
    const char *release = uname(&u) == 0 ? u.release : "";
    uint32_t rlen = (uint32_t) strlen(release);
    uint8_t ready[16 + sizeof u.release];
    put_u32(ready, PROTOCOL_VERSION);
    put_u64(ready + 4, boottime_ns());
    put_u32(ready + 12, rlen);
    memcpy(ready + 16, release, rlen);
    send_frame(T_READY, ready, 16 + rlen);

    for (;;) {
        if (!stdio_mode) {
            reap();
        }
        if (read_frame() != 0) {
            if (!stdio_mode) {
                logmsg("the host closed the transport; powering off");
            }
            finish(stdio_mode ? 0 : 1);
        }
        switch (frame[0]) {
        case T_PING:
            if (frame_len - 1 > MAX_PING) {
                protocol_error("PING: %u bytes, more than %u", frame_len - 1, MAX_PING);
            }
            send_frame(T_PONG, frame + 1, frame_len - 1);
            break;
        case T_EXEC:
            do_exec();
            break;
        case T_FILE_READ:
            do_file_read();
            break;
        case T_FILE_WRITE:
            do_file_write();
            break;
        case T_SHUTDOWN:
            if (frame_len != 1) {
                protocol_error("SHUTDOWN: a body of %u bytes (it has none)", frame_len - 1);
            }
            finish(0);
        case T_STDIN:
        case T_KILL:
        case T_FILE_DATA:
            /* the tail of a request that already ended (they cross EXITED or an early ERROR): ignored */
            if (frame_len - 1 > MAX_CHUNK) {
                protocol_error("frame type 0x%02x: %u bytes, more than %u", frame[0], frame_len - 1, MAX_CHUNK);
            }
            break;
        default:
            protocol_error("frame type 0x%02x is unknown or not allowed while idle", frame[0]);
        }
    }
}
