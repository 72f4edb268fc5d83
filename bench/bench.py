#!/usr/bin/env python3
"""jvmm-bench harness: jvmm against QEMU and a bare C KVM loop, side by side.

Started by ../jvmm-bench, which checks the prerequisites and builds everything first. Runs every
contender the same number of times, alternating them (the order rotates each round), on the same
guest images (bench/guests/*.bin), and writes a Markdown report plus the raw numbers.

Timing is taken on the host: the guests write marker bytes to port 0xE9, which every contender sends
to a FIFO that this script reads and timestamps (jvmm --debugcon 0xe9=file=FIFO, QEMU -debugcon
file:FIFO, the C loop's marker file). Nothing here is estimated: a run that does not produce the
expected markers, exit status or serial output stops the benchmark with an error.
"""

import argparse
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1 << 20
GUEST_RAM_MIB = 256
# The memory-touching guests (bench.inc modes 4-6) write one dword to every 4 KiB page of their RAM
# except the legacy VGA/ROM hole [0xA0000, 0x100000): 384 KiB of each VM's RAM is never touched, so
# RSS "minus guest RAM" subtracts only what the guest made resident.
LEGACY_HOLE_KIB = 384


def touched_kib(ram_mib):
    """The guest RAM a memory-touching bench guest of ram_mib makes resident, KiB."""
    return ram_mib * 1024 - LEGACY_HOLE_KIB
PIO_EXITS = 200000  # bench.inc PIO_EXITS
SERIAL_BYTES = 262144  # bench.inc SERIAL_BYTES
SERIAL_PATTERN = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+\n"


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Running one VMM process


class Run:
    """One finished VMM process: marker arrival times and exit time in seconds since spawn."""

    def __init__(self):
        self.markers = []  # (byte, seconds since spawn)
        self.exit_s = None
        self.status = None
        self.maxrss_kb = None
        self.cpu_s = None
        self.output = ""
        self.extra = {}

    def marker(self, ch):
        for b, t in self.markers:
            if b == ch:
                return t
        return None

    def marker_text(self):
        return "".join(chr(b) for b, _ in self.markers)


def run_once(cmd, env, workdir, fifo, timeout, on_ready=None, ready_byte=ord("R")):
    """Spawns cmd, timestamps the bytes arriving on fifo, waits for the exit (wait4: max RSS).

    on_ready(pid, run) is called once when ready_byte ('R': the memory guest's) arrives; it must make
    the process end (it is given the pid)."""
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    # Our own writer keeps read() from reporting end-of-file before the VMM has opened the FIFO.
    keep = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    out_path = os.path.join(workdir, "output.txt")
    run = Run()
    waited = {}
    with open(out_path, "wb") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)

        def wait():
            _, status, usage = os.wait4(proc.pid, 0)
            waited["t"] = time.monotonic()
            waited["status"] = status
            waited["usage"] = usage

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        ready_done = False
        deadline = t0 + timeout
        try:
            while waiter.is_alive():
                if time.monotonic() > deadline:
                    os.kill(proc.pid, signal.SIGKILL)
                    waiter.join(5)
                    raise BenchError(f"timed out after {timeout} s: {' '.join(cmd)}\n{tail(out_path)}")
                r, _, _ = select.select([rfd], [], [], 0.02)
                if r:
                    now = time.monotonic() - t0
                    data = os.read(rfd, 4096)
                    run.markers.extend((b, now) for b in data)
                    if on_ready and not ready_done and ready_byte in data:
                        ready_done = True
                        on_ready(proc.pid, run)
        finally:
            os.close(keep)
        waiter.join()
        proc.returncode = 0  # reaped by wait4 above; keep Popen from trying again
        try:
            while True:
                data = os.read(rfd, 4096)
                if not data:
                    break
                run.markers.extend((b, waited["t"] - t0) for b in data)
        except BlockingIOError:
            pass
        os.close(rfd)
    run.exit_s = waited["t"] - t0
    st = waited["status"]
    run.status = os.waitstatus_to_exitcode(st)
    usage = waited["usage"]
    run.maxrss_kb = usage.ru_maxrss
    run.cpu_s = usage.ru_utime + usage.ru_stime
    with open(out_path, "rb") as f:
        run.output = f.read().decode("utf-8", "replace")
    return run


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------
# Contenders


class Contender:
    def __init__(self, key, label):
        self.key = key
        self.label = label


class Jvmm(Contender):
    def __init__(self, launcher, cds=True, java_opts=None, key="jvmm", label="jvmm"):
        super().__init__(key, label)
        self.launcher = launcher
        self.cds = cds
        self.java_opts = java_opts
        self.ctl_failures = []

    def env(self):
        env = dict(os.environ)
        env["JVMM_CDS"] = "on" if self.cds else "off"
        if self.java_opts:
            env["JAVA_OPTS"] = self.java_opts
        else:
            env.pop("JAVA_OPTS", None)
        return env

    def cmd(self, image, fifo, serial=None, socket=None, profile=False):
        c = [self.launcher, "run", "--firmware", image, "--memory", f"{GUEST_RAM_MIB}M", "--on-reset", "exit",
             "--serial", f"1=file={serial}" if serial else "1=none", "--debugcon", f"0xe9=file={fifo}"]
        if socket:
            c += ["--api-socket", socket]
        if profile:
            c.append("--profile")
        return c

    def linux_cmd(self, kernel, initrd, cmdline, fifo, serial, disk=None, tap=None, vsock=None):
        c = [self.launcher, "run", "--kernel", kernel, "--initrd", initrd, "--cmdline", cmdline, "--memory",
             f"{GUEST_RAM_MIB}M", "--on-reset", "exit", "--serial", f"1=file={serial}", "--debugcon",
             f"0xe9=file={fifo}"]
        if disk:
            c += ["--disk", f"{disk},ro"]
        if tap:
            c += ["--net", f"tap={tap},mac={NET_MAC}"]
        if vsock:
            cid, uds = vsock
            c += ["--vsock", f"cid={cid},uds={uds}"]
        return c

    def sandbox_cmd(self, kernel, initrd, cmdline, console, vsock):
        cid, uds = vsock
        return [self.launcher, "run", "--kernel", kernel, "--initrd", initrd, "--cmdline", cmdline, "--memory",
                f"{GUEST_RAM_MIB}M", "--on-reset", "exit", "--serial", f"1=file={console}", "--vsock",
                f"cid={cid},uds={uds}"]

    def stop(self, pid, socket):
        # --force: the hard power-off. A plain `ctl shutdown` presses the ACPI power button, which the
        # memory guest (firmware, no ACPI OS) never enables.
        r = subprocess.run([self.launcher, "ctl", "--api-socket", socket, "shutdown", "--force"], env=self.env(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            # The VM may have ended before the answer went out; the run's exit status (checked by
            # the caller) says whether the shutdown itself worked. Counted in the report.
            self.ctl_failures.append(r.stdout.decode("utf-8", "replace").strip())


class Qemu(Contender):
    def __init__(self, binary, key="qemu", label="QEMU", vhost=False):
        super().__init__(key, label)
        self.binary = binary
        self.vhost = vhost

    def env(self):
        return dict(os.environ)

    def cmd(self, image, fifo, serial=None, socket=None, profile=False):
        return [self.binary, "-M", "pc", "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", f"{GUEST_RAM_MIB}M",
                "-bios", image, "-display", "none", "-serial", f"file:{serial}" if serial else "none",
                "-debugcon", f"file:{fifo}", "-no-reboot"]

    def linux_cmd(self, kernel, initrd, cmdline, fifo, serial, disk=None, tap=None, vsock=None):
        c = [self.binary, "-M", "pc", "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", f"{GUEST_RAM_MIB}M",
             "-kernel", kernel, "-initrd", initrd, "-append", cmdline, "-display", "none", "-serial",
             f"file:{serial}", "-debugcon", f"file:{fifo}", "-no-reboot"]
        if disk:
            # QEMU's defaults otherwise: cache=writeback (the host page cache, as jvmm's FileChannel),
            # aio=threads, virtio-blk-pci with MSI-X and ioeventfd.
            c += ["-drive", f"file={disk},if=virtio,format=raw,readonly=on"]
        if tap:
            # the existing TAP, no scripts; virtio-net-pci with MSI-X and ioeventfd, its data path in QEMU
            # (vhost=off) or in the host kernel's vhost-net (vhost=on)
            c += ["-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no,vhost={'on' if self.vhost else 'off'}",
                  "-device", f"virtio-net-pci,netdev=n0,mac={NET_MAC}"]
        if vsock:
            # the kernel's vhost-vsock (/dev/vhost-vsock): the data path is in the host kernel, and
            # the host end is an AF_VSOCK socket; QEMU has no hybrid Unix-socket mapping
            c += ["-device", f"vhost-vsock-pci,guest-cid={vsock[0]}"]
        return c

    def sandbox_cmd(self, kernel, initrd, cmdline, console, vsock):
        # microvm: no PCI by default, so pcie=on gives the image's virtio_pci a bus (a PCIe host bridge
        # found through ACPI's MCFG) for the vsock device; -nodefaults -no-user-config: nothing but
        # what is named, QEMU at its leanest. qboot, microvm's firmware, boots the kernel.
        return [self.binary, "-M", "microvm,pcie=on", "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m",
                f"{GUEST_RAM_MIB}M", "-kernel", kernel, "-initrd", initrd, "-append", cmdline, "-display", "none",
                "-nodefaults", "-no-user-config", "-serial", f"file:{console}", "-device",
                f"vhost-vsock-pci,guest-cid={vsock[0]}", "-no-reboot"]

    def stop(self, pid, socket):
        os.kill(pid, signal.SIGTERM)


class BareC(Contender):
    def __init__(self, binary):
        super().__init__("c", "bare C")
        self.binary = binary

    def env(self):
        return dict(os.environ)

    def cmd(self, image, fifo, serial=None, socket=None, profile=False):
        c = [self.binary, image, str(GUEST_RAM_MIB), fifo]
        if serial:
            c.append(serial)
        return c

    def stop(self, pid, socket):
        os.kill(pid, signal.SIGTERM)


# --------------------------------------------------------------------------------------------
# Statistics and formatting


def stats(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values),
            "values": values}


def fmt(s, digits=1):
    if s is None:
        return "—"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def ratio(a, b):
    # No ratio against a figure near zero or negative (the bare C loop's memory overhead).
    if a is None or b is None or b["median"] <= 0.5 or a["median"] < 0:
        return None
    return a["median"] / b["median"]


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}×"


def rounds(contenders, runs):
    """The run order: every contender once per round, the order rotating each round."""
    for i in range(runs):
        k = i % len(contenders)
        yield i, contenders[k:] + contenders[:k]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The benchmarks


def check_run(what, c, run, expect, allow_status=(0,)):
    if run.status not in allow_status:
        raise BenchError(f"{what}: {c.label} exited with status {run.status}\n{run.output[-2000:]}")
    if run.marker_text() != expect:
        raise BenchError(f"{what}: {c.label} sent markers {run.marker_text()!r}, expected {expect!r}\n"
                         f"{run.output[-2000:]}")


def bench_pio(ctx, contenders):
    image = os.path.join(ctx.guests, "pio.bin")
    res = {c.key: [] for c in contenders}
    cpu = {c.key: [] for c in contenders}
    for c in contenders:  # warm-up, not recorded (page cache, CDS archive)
        check_run("PIO warm-up", c, run_once(c.cmd(image, ctx.fifo), c.env(), ctx.work, ctx.fifo, 120), "SE")
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            run = run_once(c.cmd(image, ctx.fifo), c.env(), ctx.work, ctx.fifo, 120)
            check_run("PIO", c, run, "SE")
            us = (run.marker(ord("E")) - run.marker(ord("S"))) * 1e6 / PIO_EXITS
            res[c.key].append(us)
            cpu[c.key].append(run.cpu_s)
            log(f"  pio   round {i + 1}: {c.label:10s} {us:7.2f} us/exit")
    return {k: stats(v) for k, v in res.items()}, {k: stats(v) for k, v in cpu.items()}


def bench_serial(ctx, contenders):
    image = os.path.join(ctx.guests, "serial.bin")
    expected = SERIAL_PATTERN * (SERIAL_BYTES // len(SERIAL_PATTERN))
    out = os.path.join(ctx.work, "com1.out")
    res = {c.key: [] for c in contenders}
    total = {c.key: [] for c in contenders}
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            if os.path.exists(out):
                os.unlink(out)
            run = run_once(c.cmd(image, ctx.fifo, serial=out), c.env(), ctx.work, ctx.fifo, 300)
            check_run("serial", c, run, "SE")
            with open(out, "rb") as f:
                got = f.read()
            if got != expected:
                raise BenchError(f"serial: {c.label} wrote {len(got)} bytes to {out}; expected the {len(expected)}-byte "
                                 f"pattern (first difference at byte {first_diff(got, expected)})")
            ms = (run.marker(ord("E")) - run.marker(ord("S"))) * 1e3
            res[c.key].append(ms)
            total[c.key].append(run.exit_s * 1e3)
            log(f"  serial round {i + 1}: {c.label:10s} {ms:8.1f} ms for {len(got)} bytes (verified)")
    return {k: stats(v) for k, v in res.items()}, {k: stats(v) for k, v in total.items()}


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


PROFILE_LINE = re.compile(r"^\s+(.*?)\s+([0-9.]+) ms$")


def parse_profile(text):
    phases = {}
    for line in text.splitlines():
        m = PROFILE_LINE.match(line)
        if m:
            phases[m.group(1)] = float(m.group(2))
    return phases


def bench_start(ctx, contenders):
    image = os.path.join(ctx.guests, "start.bin")
    keys = ["first", "exit", "jvm", "main_to_exit1", "profile_main"]
    res = {c.key: {k: [] for k in keys} for c in contenders}
    for c in contenders:  # warm-up: the page cache
        check_run("start-up warm-up", c, run_once(c.cmd(image, ctx.fifo, profile=isinstance(c, Jvmm)), c.env(),
                                                  ctx.work, ctx.fifo, 60), "S")
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            jv = isinstance(c, Jvmm)
            run = run_once(c.cmd(image, ctx.fifo, profile=jv), c.env(), ctx.work, ctx.fifo, 60)
            check_run("start-up", c, run, "S")
            first = run.marker(ord("S")) * 1e3
            r = res[c.key]
            r["first"].append(first)
            r["exit"].append(run.exit_s * 1e3)
            line = f"  start round {i + 1}: {c.label:16s} first write {first:7.1f} ms, exit {run.exit_s * 1e3:7.1f} ms"
            if jv:
                p = parse_profile(run.output)
                main = p.get("process start → jvmm main")
                exit1 = p.get("first guest exit")
                if main is None or exit1 is None:
                    raise BenchError("start-up: jvmm --profile printed no phase timings:\n" + run.output[-2000:])
                # The profile's phases are System.nanoTime differences (exact); spawn → first marker is
                # the host's clock. The difference is the time before jvmm's main: the JVM's share.
                r["main_to_exit1"].append(exit1 - main)
                r["jvm"].append(first - (exit1 - main))
                r["profile_main"].append(main)
                line += f", JVM start {first - (exit1 - main):6.1f} ms (profile says {main:.1f})"
            log(line)
    return {c: {k: (stats(v) if v else None) for k, v in d.items()} for c, d in res.items()}


NMT_LINE = re.compile(r"^-\s+(.+?) \(reserved=(\d+)KB, committed=(\d+)KB\)")
NMT_STACK = re.compile(r"\(stack: reserved=(\d+)KB, committed=(\d+)KB\)")


def parse_nmt(text):
    cats = {}
    current = None
    for line in text.splitlines():
        m = NMT_LINE.match(line.strip())
        if m:
            current = m.group(1).strip()
            cats[current] = int(m.group(3))
            continue
        s = NMT_STACK.search(line)
        if s and current == "Thread":
            cats["Thread stacks"] = int(s.group(2))
    total = re.search(r"Total: reserved=(\d+)KB, committed=(\d+)KB", text)
    if total:
        cats["Total"] = int(total.group(2))
    return cats


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if v.strip().endswith("kB"):
                fields[k] = int(v.split()[0])
    return fields


def bench_memory(ctx, contenders, nmt_contender):
    image = os.path.join(ctx.guests, "memory.bin")
    sock = os.path.join(ctx.work, "api.sock")
    guest_kb = touched_kib(GUEST_RAM_MIB)
    every = contenders + [nmt_contender]
    res = {c.key: {"rss": [], "hwm": [], "anon": [], "file": []} for c in every}
    nmt = {}
    for i, order in rounds(every, ctx.runs):
        for c in order:
            sample = {}

            def ready(pid, run, c=c, sample=sample):
                time.sleep(1.0)  # let start-up threads settle
                sample.update(proc_status(pid))
                if c is nmt_contender:
                    r = subprocess.run([ctx.jcmd, str(pid), "VM.native_memory", "summary"], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, timeout=120)
                    text = r.stdout.decode("utf-8", "replace")
                    cats = parse_nmt(text)
                    if r.returncode != 0 or "Java Heap" not in cats:
                        os.kill(pid, signal.SIGKILL)
                        raise BenchError("jcmd VM.native_memory summary failed:\n" + text[-2000:])
                    sample["nmt"] = cats
                c.stop(pid, sock)

            if os.path.exists(sock):
                os.unlink(sock)
            run = run_once(c.cmd(image, ctx.fifo, socket=sock), c.env(), ctx.work, ctx.fifo, 120, on_ready=ready)
            check_run("memory", c, run, "R", allow_status=(0, -signal.SIGTERM))
            if "VmRSS" not in sample:
                raise BenchError(f"memory: {c.label} never signalled 'ready'")
            rss = sample["VmRSS"] - guest_kb
            res[c.key]["rss"].append(rss / 1024)
            res[c.key]["hwm"].append((run.maxrss_kb - guest_kb) / 1024)
            res[c.key]["anon"].append((sample["RssAnon"] - guest_kb) / 1024)
            res[c.key]["file"].append(sample["RssFile"] / 1024)
            if "nmt" in sample:
                for k, v in sample["nmt"].items():
                    nmt.setdefault(k, []).append(v / 1024)
            log(f"  memory round {i + 1}: {c.label:16s} RSS {sample['VmRSS'] / 1024:7.1f} MiB "
                f"(minus guest RAM {rss / 1024:6.1f}), max RSS {run.maxrss_kb / 1024:7.1f} MiB")
    return ({c: {k: stats(v) for k, v in d.items()} for c, d in res.items()},
            {k: stats(v) for k, v in nmt.items()})


VMS_COUNTS = (1, 2, 4, 8)
VMS_RAM_MIB = 64


def proc_threads(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return None


def multivm_once(ctx, n, nmt=False):
    """examples/multi-vm (run.sh, the built tree's cli/target/jvmm/lib) with n VMs of VMS_RAM_MIB each:
    /proc status (and NMT) 1 s after every guest has touched its RAM and said 'R'; then the program
    stops the VMs, and each must have powered off."""
    image = os.path.join(ctx.guests, "vms.bin")
    cmd = [ctx.multivm, str(n), "--memory", str(VMS_RAM_MIB), "--image", image, "--hold"]
    env = dict(os.environ)
    env["JAVA_HOME"] = os.path.dirname(os.path.dirname(ctx.java))
    if nmt:
        env["JAVA_OPTS"] = "-XX:NativeMemoryTracking=summary"
    else:
        env.pop("JAVA_OPTS", None)
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    deadline = time.monotonic() + 180
    try:
        while b"\nready\n" not in out:
            if time.monotonic() > deadline or p.poll() is not None:
                raise BenchError(f"vms: multi-vm with {n} VMs did not report 'ready':\n"
                                 + out.decode("utf-8", "replace")[-2000:])
            r, _, _ = select.select([p.stdout], [], [], 0.1)
            if r:
                out += os.read(p.stdout.fileno(), 65536)
        time.sleep(1.0)  # let start-up threads settle, as in the memory row
        sample = proc_status(p.pid)
        sample["threads"] = proc_threads(p.pid)
        if nmt:
            r = subprocess.run([ctx.jcmd, str(p.pid), "VM.native_memory", "summary"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=120)
            text = r.stdout.decode("utf-8", "replace")
            cats = parse_nmt(text)
            if r.returncode != 0 or "Java Heap" not in cats:
                raise BenchError("vms: jcmd VM.native_memory summary failed:\n" + text[-2000:])
            sample["nmt"] = cats
        rest, _ = p.communicate(b"\n", timeout=120)
        out += rest
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = out.decode("utf-8", "replace")
    ended = len(re.findall(r"^vm\d+: the guest powered off: the multi-vm example stops it$", text, re.M))
    if p.returncode != 0 or ended != n:
        raise BenchError(f"vms: multi-vm with {n} VMs exited with {p.returncode}, {ended} VMs powered off:\n"
                         + text[-2000:])
    return sample


def qemu_vms_once(ctx, n):
    """n QEMU processes, one per VM, the same guest and RAM: each one's /proc status 1 s after all said 'R'."""
    image = os.path.join(ctx.guests, "vms.bin")
    procs = []
    try:
        for i in range(n):
            marker = os.path.join(ctx.work, f"qemu-vm{i}.out")
            if os.path.exists(marker):
                os.unlink(marker)
            cmd = [ctx.qemu, "-M", "pc", "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", f"{VMS_RAM_MIB}M",
                   "-bios", image, "-display", "none", "-serial", "none", "-debugcon", f"file:{marker}", "-no-reboot"]
            procs.append((subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL), marker))
        deadline = time.monotonic() + 120
        for proc, marker in procs:
            while True:
                if os.path.exists(marker) and open(marker, "rb").read() == b"R":
                    break
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise BenchError(f"vms: QEMU ({n} processes) did not signal 'R' (status {proc.poll()})")
                time.sleep(0.02)
        time.sleep(1.0)
        samples = [proc_status(proc.pid) for proc, _ in procs]
        for s, (proc, _) in zip(samples, procs):
            s["threads"] = proc_threads(proc.pid)
        return samples
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc, _ in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def slope(points):
    """Least-squares slope of (x, y) points."""
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)


def bench_vms(ctx):
    guest_mib = VMS_RAM_MIB
    touched = touched_kib(VMS_RAM_MIB) / 1024
    jv = {n: {"rss": [], "anon": [], "file": [], "threads": []} for n in VMS_COUNTS}
    qm = {n: {"rss": [], "per_vm": [], "threads": []} for n in VMS_COUNTS}
    nmt = {n: [] for n in (VMS_COUNTS[0], VMS_COUNTS[-1])}
    points = []
    for i in range(ctx.runs):
        for n in VMS_COUNTS:
            s = multivm_once(ctx, n)
            rss = s["VmRSS"] / 1024
            points.append((n, rss))
            jv[n]["rss"].append(rss)
            jv[n]["anon"].append(s["RssAnon"] / 1024)
            jv[n]["file"].append(s["RssFile"] / 1024)
            jv[n]["threads"].append(s["threads"])
            qs = qemu_vms_once(ctx, n)
            total = sum(q["VmRSS"] for q in qs) / 1024
            qm[n]["rss"].append(total)
            qm[n]["per_vm"].extend(q["VmRSS"] / 1024 - touched for q in qs)
            qm[n]["threads"].append(sum(q["threads"] for q in qs))
            log(f"  vms round {i + 1}: N={n}: jvmm one JVM RSS {rss:7.1f} MiB ({s['threads']} threads), "
                f"QEMU {n} processes {total:7.1f} MiB")
        for n in nmt:
            nmt[n].append(multivm_once(ctx, n, nmt=True)["nmt"])
    fit = slope(points) - touched
    steps = []
    med = {n: statistics.median(jv[n]["rss"]) for n in VMS_COUNTS}
    for a, b in zip(VMS_COUNTS, VMS_COUNTS[1:]):
        steps.append({"from": a, "to": b, "per_vm": (med[b] - med[a]) / (b - a) - touched})
    lo, hi = VMS_COUNTS[0], VMS_COUNTS[-1]
    nmt_per_vm = {}
    for k in nmt[hi][0]:
        if all(k in d for d in nmt[lo] + nmt[hi]):
            nmt_per_vm[k] = {"lo": statistics.median(d[k] / 1024 for d in nmt[lo]),
                             "hi": statistics.median(d[k] / 1024 for d in nmt[hi])}
    return {"guest_mib": guest_mib, "counts": list(VMS_COUNTS),
            "jvmm": {str(n): {k: stats(v) for k, v in d.items()} for n, d in jv.items()},
            "qemu": {str(n): {k: stats(v) for k, v in d.items()} for n, d in qm.items()},
            "fit_per_vm": fit, "steps": steps, "nmt": nmt_per_vm}


def qmp_hmp(sock_path, commands, timeout=120):
    """Sends HMP commands to a QEMU monitor socket, one after the other; returns their output."""
    import socket as pysocket
    s = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    out = b""

    def until_prompt():
        nonlocal out
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        out += buf
        return buf.decode("utf-8", "replace")

    until_prompt()
    replies = []
    for c in commands:
        s.sendall((c + "\n").encode())
        replies.append(until_prompt())
    s.close()
    return replies


def bench_snapshot(ctx, contenders):
    """Snapshot and restore of a 256 MiB guest that has written every page of its RAM (snapshot.bin):
    the snapshot's time, the restore's (process spawn → the guest's first marker after the restore)
    and RSS one second after the restore, against the same guest's cold boot (spawn → 'R', the
    state it was saved in). jvmm: `ctl snapshot PATH --stop` / `run --restore PATH`; QEMU: HMP
    `migrate "exec:cat > FILE"` / `-incoming "exec:cat FILE"`."""
    image = os.path.join(ctx.guests, "snapshot.bin")
    sock = os.path.join(ctx.work, "api.sock")
    mon = os.path.join(ctx.work, "qemu-mon.sock")
    keys = ["cold", "snapshot", "snapshot_vmm", "restore", "rss", "rss_anon", "rss_file", "size", "disk"]
    res = {c.key: {k: [] for k in keys} for c in contenders}
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            path = os.path.join(ctx.work, f"snap-{c.key}-{i}")
            shutil.rmtree(path, ignore_errors=True)
            if os.path.exists(path):
                os.unlink(path)
            jv = isinstance(c, Jvmm)
            taken = {}

            def save(pid, run, c=c, path=path, taken=taken, jv=jv):
                t = time.monotonic()
                if jv:
                    r = subprocess.run([c.launcher, "ctl", "--api-socket", sock, "--timeout", "600", "snapshot", path,
                                        "--stop"], env=c.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       timeout=900)
                    text = r.stdout.decode("utf-8", "replace")
                    if r.returncode != 0:
                        os.kill(pid, signal.SIGKILL)
                        raise BenchError(f"snapshot: jvmm ctl snapshot failed:\n{text}")
                    taken["vmm_ms"] = json.loads(text)["total_ms"]
                else:
                    # no "stop" first: a stopped source leaves the destination paused after -incoming
                    replies = qmp_hmp(mon, [f'migrate "exec:cat > {path}"'])
                    while True:
                        info = qmp_hmp(mon, ["info migrate"])[0]
                        if "Migration status: completed" in info:
                            break
                        if "failed" in info or "cancelled" in info:
                            os.kill(pid, signal.SIGKILL)
                            raise BenchError(f"snapshot: QEMU migration failed: {replies} {info}")
                        time.sleep(0.01)
                    taken["vmm_ms"] = None
                taken["ms"] = (time.monotonic() - t) * 1e3
                if not jv:
                    qmp_hmp(mon, ["quit"])

            for f in (sock, mon):
                if os.path.exists(f):
                    os.unlink(f)
            if jv:
                cold_cmd = c.cmd(image, ctx.fifo, socket=sock)
            else:
                cold_cmd = c.cmd(image, ctx.fifo) + ["-monitor", f"unix:{mon},server,nowait"]
            saver = {}

            def save_async(pid, run, saver=saver, save=save):
                # In its own thread: run_once must go on draining the marker FIFO, or the guest's '.'
                # writes fill it and block the VMM (the first L1 run of this row measured that stall).
                def work():
                    try:
                        save(pid, run)
                    except BaseException as e:  # reported after the run
                        saver["error"] = e
                t = threading.Thread(target=work, daemon=True)
                saver["thread"] = t
                t.start()

            run = run_once(cold_cmd, c.env(), ctx.work, ctx.fifo, 900, on_ready=save_async)
            if "thread" in saver:
                saver["thread"].join(600)
            if "error" in saver:
                raise saver["error"]
            if "ms" not in taken:
                raise BenchError(f"snapshot: {c.label}'s snapshot did not complete\n{run.output[-2000:]}")
            if run.status != 0 or not run.marker_text().startswith("R"):
                raise BenchError(f"snapshot: {c.label}'s cold run exited with status {run.status}, markers "
                                 f"{run.marker_text()[:40]!r}\n{run.output[-2000:]}")
            cold = run.marker(ord("R")) * 1e3
            size = 0
            disk = 0
            for root, _, files in os.walk(path) if os.path.isdir(path) else [(os.path.dirname(path), [], [os.path.basename(path)])]:
                for f in files:
                    st = os.stat(os.path.join(root, f))
                    size += st.st_size
                    disk += st.st_blocks * 512
            sample = {}

            def measure(pid, run, c=c, sample=sample):
                time.sleep(1.0)
                sample.update(proc_status(pid))
                # SIGTERM rather than `jvmm ctl shutdown`: that starts a JVM, which under L1 and load took
                # longer than the 60 s its caller allows. jvmm ends its run on it (exit 143), QEMU too.
                os.kill(pid, signal.SIGTERM)

            for f in (sock, mon):
                if os.path.exists(f):
                    os.unlink(f)
            if jv:
                restore_cmd = [c.launcher, "run", "--restore", path, "--serial", "1=none", "--debugcon",
                               f"0xe9=file={ctx.fifo}", "--api-socket", sock]
            else:
                restore_cmd = c.cmd(image, ctx.fifo) + ["-incoming", f"exec:cat {path}"]
            back = run_once(restore_cmd, c.env(), ctx.work, ctx.fifo, 300, on_ready=measure, ready_byte=ord("."))
            if back.status not in (0, 128 + signal.SIGTERM, -signal.SIGTERM) or not back.marker_text().startswith("."):
                raise BenchError(f"snapshot: {c.label}'s restored run exited with status {back.status}, markers "
                                 f"{back.marker_text()[:40]!r} (a restore continues after 'R', so '.' comes first)\n"
                                 f"{back.output[-2000:]}")
            if "VmRSS" not in sample:
                raise BenchError(f"snapshot: {c.label}'s restored guest never wrote '.'")
            r = res[c.key]
            r["cold"].append(cold)
            r["snapshot"].append(taken["ms"])
            if taken["vmm_ms"] is not None:
                r["snapshot_vmm"].append(taken["vmm_ms"])
            r["restore"].append(back.marker(ord(".")) * 1e3)
            r["rss"].append(sample["VmRSS"] / 1024)
            r["rss_anon"].append(sample["RssAnon"] / 1024)
            r["rss_file"].append(sample["RssFile"] / 1024)
            r["size"].append(size / MIB)
            r["disk"].append(disk / MIB)
            log(f"  snapshot round {i + 1}: {c.label:8s} cold boot to 'R' {cold:7.1f} ms, snapshot {taken['ms']:7.1f} ms, "
                f"restore to '.' {r['restore'][-1]:7.1f} ms, RSS after restore {sample['VmRSS'] / 1024:6.1f} MiB "
                f"(anon {sample['RssAnon'] / 1024:.1f}, file {sample['RssFile'] / 1024:.1f}), "
                f"snapshot {size / MIB:.1f} MiB ({disk / MIB:.1f} on disk)")
            shutil.rmtree(path, ignore_errors=True)
            if os.path.exists(path):
                os.unlink(path)
    return {c: {k: (stats(v) if v else None) for k, v in d.items()} for c, d in res.items()}


def bench_jmh(ctx):
    out = os.path.join(ctx.work, "jmh.json")
    cmd = [ctx.java, "-jar", ctx.jmh_jar, "BoardDispatchBenchmark", "-prof", "gc", "-f", "1", "-wi", "3", "-w", "1s",
           "-i", str(max(5, ctx.runs)), "-r", "1s", "-rf", "json", "-rff", out]
    log("  " + " ".join(cmd))
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise BenchError("JMH failed:\n" + r.stdout.decode("utf-8", "replace")[-3000:])
    with open(out) as f:
        data = json.load(f)
    rows = {}
    for b in data:
        name = b["benchmark"].rsplit(".", 1)[-1]
        ns = [x for fork in b["primaryMetric"]["rawData"] for x in fork]
        alloc = None
        for key, m in b.get("secondaryMetrics", {}).items():
            if key.lstrip("·") == "gc.alloc.rate.norm":
                alloc = [x for fork in m["rawData"] for x in fork]
        if alloc is None:
            raise BenchError(f"JMH: no gc.alloc.rate.norm for {name}; was -prof gc applied?")
        rows[name] = {"ns": stats(ns), "alloc": stats(alloc)}
        log(f"  jmh {name:26s} {statistics.median(ns):7.2f} ns/op, {statistics.median(alloc):.3f} B/op")
    return rows


LINUX_CMDLINE = "console=ttyS0 reboot=t panic=-1 quiet"

# The /init of the Linux row: as soon as userspace runs, it writes 'U' to port 0xE9 through
# /dev/port (offset = port number; Debian's kernel has CONFIG_DEVPORT) and reboots at once
# (reboot=t: a triple fault, which ends jvmm under --on-reset exit and QEMU under -no-reboot).
LINUX_INIT = b"""#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox printf U | /bin/busybox dd of=/dev/port bs=1 seek=233 2>/dev/null
/bin/busybox reboot -f
"""


def newc_archive(entries):
    """A cpio archive in the 'newc' format the kernel unpacks as its initramfs.

    entries: (name, mode, data) with data None for a directory or a (major, minor) pair for a
    character device."""
    out = bytearray()

    def pad4():
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
        rmajor = rminor = 0
        if data is None:
            mode |= 0o040000
            data = b""
        elif isinstance(data, tuple):
            mode |= 0o020000
            rmajor, rminor = data
            data = b""
        elif name != "TRAILER!!!":
            mode |= 0o100000
        encoded = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rmajor, rminor, len(encoded), 0]
        out.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + encoded)
        pad4()
        out.extend(data)
        pad4()
    return bytes(out)


def bench_linux(ctx, contenders):
    """Process start → the unmodified Linux kernel's first userspace instruction (the marker)."""
    initrd = os.path.join(ctx.work, "linux-initramfs.cpio")
    with open(ctx.busybox, "rb") as f:
        busybox = f.read()
    with open(initrd, "wb") as f:
        f.write(newc_archive([("bin", 0o755, None), ("dev", 0o755, None), ("dev/console", 0o600, (5, 1)),
                              ("bin/busybox", 0o755, busybox), ("init", 0o755, LINUX_INIT)]))
    out = os.path.join(ctx.work, "linux-com1.out")
    res = {c.key: {"user": [], "exit": []} for c in contenders}
    for c in contenders:  # warm-up (page cache; jvmm's CDS archive)
        check_run("Linux warm-up", c, run_once(c.linux_cmd(ctx.kernel, initrd, LINUX_CMDLINE, ctx.fifo, out),
                                               c.env(), ctx.work, ctx.fifo, 900), "U")
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            run = run_once(c.linux_cmd(ctx.kernel, initrd, LINUX_CMDLINE, ctx.fifo, out), c.env(), ctx.work,
                           ctx.fifo, 900)
            check_run("Linux", c, run, "U")
            user = run.marker(ord("U")) * 1e3
            res[c.key]["user"].append(user)
            res[c.key]["exit"].append(run.exit_s * 1e3)
            log(f"  linux round {i + 1}: {c.label:10s} userspace at {user:8.1f} ms, exit {run.exit_s * 1e3:8.1f} ms")
    return {k: {m: stats(v) for m, v in d.items()} for k, d in res.items()}


BLK_IMAGE_MIB = 256
BLK_RANDOM_READS = 8192
BLK_MODULES = ("virtio/virtio_ring", "virtio/virtio", "virtio/virtio_pci_modern_dev", "virtio/virtio_pci_legacy_dev",
               "virtio/virtio_pci", "block/virtio_blk")

# The /init of the block row: loads the Debian kernel's virtio-blk driver (modules in `modinfo -F
# depends` order), reads the whole disk sequentially with O_DIRECT (busybox dd, 1 MiB blocks, timed
# by the shell's $EPOCHREALTIME), then
# BLK_RANDOM_READS random 4 KiB O_DIRECT reads (blk_randread, queue depth 1), prints both results on
# ttyS0, writes 'B' to port 0xE9 and reboots (a triple fault under reboot=t).
BLK_INIT = ("""#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
for m in %s; do /bin/busybox insmod /lib/$m.ko || echo "JVMM-BLK insmod failed: $m"; done
t0=$EPOCHREALTIME
/bin/busybox dd if=/dev/vda of=/dev/null bs=1M count=%d iflag=direct 2>/dd.txt
t1=$EPOCHREALTIME
echo "JVMM-BLK dd $(/bin/busybox head -n 1 /dd.txt) from $t0 to $t1"
/bin/blk_randread /dev/vda %d
/bin/busybox printf B | /bin/busybox dd of=/dev/port bs=1 seek=233 2>/dev/null
/bin/busybox reboot -f
""" % (" ".join(m.split("/")[1] for m in BLK_MODULES), BLK_IMAGE_MIB, BLK_RANDOM_READS)).encode()

# busybox's dd prints no byte count or time here (its third status line is configured out): the
# shell's $EPOCHREALTIME (microseconds) times it, and "N+0 records in" says it read N whole MiB.
DD_RE = re.compile(r"JVMM-BLK dd (\d+)\+0 records in from ([0-9.]+) to ([0-9.]+)")
RANDREAD_RE = re.compile(r"JVMM-BLK randread (\d+) reads (\d+) ns")


def bench_blk(ctx, contenders):
    """Inside the guest: sequential O_DIRECT read of a 256 MiB raw image (MB/s) and 4 KiB random reads (IOPS)."""
    abi = re.sub(r"^vmlinu[xz]-", "", os.path.basename(ctx.kernel))
    moddir = os.path.join(os.path.dirname(ctx.kernel), f"linux-image-{abi}", "lib", "modules", abi, "kernel",
                          "drivers")
    entries = [("bin", 0o755, None), ("dev", 0o755, None), ("lib", 0o755, None), ("dev/console", 0o600, (5, 1))]
    for name, path in (("bin/busybox", ctx.busybox), ("bin/blk_randread", ctx.blk_randread)):
        with open(path, "rb") as f:
            entries.append((name, 0o755, f.read()))
    for m in BLK_MODULES:
        path = os.path.join(moddir, m + ".ko")
        if not os.path.isfile(path):
            raise BenchError(f"the block row needs {path} (cli/src/test/linux/fetch-kernel.sh extracts the modules)")
        with open(path, "rb") as f:
            entries.append((f"lib/{os.path.basename(m)}.ko", 0o644, f.read()))
    entries.append(("init", 0o755, BLK_INIT))
    initrd = os.path.join(ctx.work, "blk-initramfs.cpio")
    with open(initrd, "wb") as f:
        f.write(newc_archive(entries))
    # Random content (no sparse or zero-page shortcut on either side), written once and read by both.
    image = os.path.join(ctx.work, "blk.img")
    with open(image, "wb") as f:
        for _ in range(BLK_IMAGE_MIB):
            f.write(os.urandom(MIB))
    out = os.path.join(ctx.work, "blk-com1.out")
    res = {c.key: {"seq": [], "iops": []} for c in contenders}

    def one(c, what):
        if os.path.exists(out):
            os.unlink(out)
        run = run_once(c.linux_cmd(ctx.kernel, initrd, LINUX_CMDLINE, ctx.fifo, out, disk=image), c.env(),
                       ctx.work, ctx.fifo, 1800)
        check_run(what, c, run, "B")
        with open(out, "rb") as f:
            console = f.read().decode("utf-8", "replace")
        dd, rr = DD_RE.search(console), RANDREAD_RE.search(console)
        if not dd or not rr or "insmod failed" in console:
            raise BenchError(f"{what}: {c.label}: the guest did not report both results:\n{console[-3000:]}")
        nbytes, secs = int(dd.group(1)) * MIB, float(dd.group(3)) - float(dd.group(2))
        if nbytes != BLK_IMAGE_MIB * MIB or secs <= 0:
            raise BenchError(f"{what}: {c.label}: dd read {nbytes} bytes in {secs} s, not the whole image")
        return nbytes / secs / 1e6, int(rr.group(1)) / (int(rr.group(2)) / 1e9)

    for c in contenders:  # warm-up: the image in the host's page cache for both
        one(c, "Block warm-up")
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            seq, iops = one(c, "Block")
            res[c.key]["seq"].append(seq)
            res[c.key]["iops"].append(iops)
            log(f"  blk round {i + 1}: {c.label:10s} sequential {seq:8.1f} MB/s, random 4 KiB {iops:8.0f} IOPS")
    return {k: {m: stats(v) for m, v in d.items()} for k, d in res.items()}


NET_MIB = 256
NET_MAC = "52:54:00:12:34:56"
NET_TAP = "jbtap0"
NET_MODULES = ("drivers/virtio/virtio_ring", "drivers/virtio/virtio", "drivers/virtio/virtio_pci_modern_dev",
               "drivers/virtio/virtio_pci_legacy_dev", "drivers/virtio/virtio_pci", "net/core/failover",
               "drivers/net/net_failover", "drivers/net/virtio_net")

# The /init of the network row: loads the Debian kernel's virtio-net driver (modules in `modinfo -F
# depends` order), gives eth0 10.0.2.15/24, sends NET_MIB MiB over TCP to the receiver on the host
# side (net_send: timed by the guest's clock, connect to the receiver's close), prints the result on
# ttyS0, writes 'N' to port 0xE9 and reboots (a triple fault under reboot=t).
NET_INIT = ("""#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
for m in %s; do /bin/busybox insmod /lib/$m.ko || echo "JVMM-NET insmod failed: $m"; done
/bin/busybox ip link set lo up
/bin/busybox ip addr add 10.0.2.15/24 dev eth0
/bin/busybox ip link set eth0 up
/bin/net_send 10.0.2.1 5201 %d
/bin/busybox printf N | /bin/busybox dd of=/dev/port bs=1 seek=233 2>/dev/null
/bin/busybox reboot -f
""" % (" ".join(m.split("/")[-1] for m in NET_MODULES), NET_MIB)).encode()

# Runs its arguments (the VMM) in the network namespace `unshare -n` made, with the TAP (10.0.2.1/24
# on the host side) and the receiver, which ends with the connection (or is killed with the VMM).
NET_NETNS = """#!/bin/sh
set -e
recv=$1; out=$2; shift 2
ip link set lo up
ip tuntap add %s mode tap
ip addr add 10.0.2.1/24 dev %s
ip link set %s up
"$recv" 10.0.2.1 5201 "$out" &
r=$!
set +e
"$@"
rc=$?
kill $r 2>/dev/null
wait $r 2>/dev/null
exit $rc
""" % (NET_TAP, NET_TAP, NET_TAP)

NET_RE = re.compile(r"JVMM-NET sent (\d+) bytes (\d+) ns")


def bench_net(ctx, contenders):
    """Guest → host TCP throughput over virtio-net on a TAP in a fresh network namespace (MB/s)."""
    abi = re.sub(r"^vmlinu[xz]-", "", os.path.basename(ctx.kernel))
    moddir = os.path.join(os.path.dirname(ctx.kernel), f"linux-image-{abi}", "lib", "modules", abi, "kernel")
    entries = [("bin", 0o755, None), ("dev", 0o755, None), ("lib", 0o755, None), ("dev/console", 0o600, (5, 1))]
    for name, path in (("bin/busybox", ctx.busybox), ("bin/net_send", ctx.net_send)):
        with open(path, "rb") as f:
            entries.append((name, 0o755, f.read()))
    for m in NET_MODULES:
        path = os.path.join(moddir, m + ".ko")
        if not os.path.isfile(path):
            raise BenchError(f"the network row needs {path} (cli/src/test/linux/fetch-kernel.sh extracts the modules)")
        with open(path, "rb") as f:
            entries.append((f"lib/{os.path.basename(m)}.ko", 0o644, f.read()))
    entries.append(("init", 0o755, NET_INIT))
    initrd = os.path.join(ctx.work, "net-initramfs.cpio")
    with open(initrd, "wb") as f:
        f.write(newc_archive(entries))
    script = os.path.join(ctx.work, "netns.sh")
    with open(script, "w") as f:
        f.write(NET_NETNS)
    out = os.path.join(ctx.work, "net-com1.out")
    received = os.path.join(ctx.work, "net-received.txt")
    res = {c.key: {"mbps": []} for c in contenders}

    def one(c, what):
        for p in (out, received):
            if os.path.exists(p):
                os.unlink(p)
        cmd = ["unshare", "-n", "sh", script, ctx.net_recv, received] + c.linux_cmd(
            ctx.kernel, initrd, LINUX_CMDLINE, ctx.fifo, out, tap=NET_TAP)
        run = run_once(cmd, c.env(), ctx.work, ctx.fifo, 1800)
        check_run(what, c, run, "N")
        with open(out, "rb") as f:
            console = f.read().decode("utf-8", "replace")
        m = NET_RE.search(console)
        if not m or "insmod failed" in console:
            raise BenchError(f"{what}: {c.label}: the guest did not report its result:\n{console[-3000:]}")
        nbytes, ns = int(m.group(1)), int(m.group(2))
        got = open(received).read().strip() if os.path.exists(received) else "nothing"
        if nbytes != NET_MIB * MIB or got != str(nbytes) or ns <= 0:
            raise BenchError(f"{what}: {c.label}: the guest sent {nbytes} bytes, the receiver got {got}")
        return nbytes / (ns / 1e9) / 1e6

    for c in contenders:  # warm-up: page cache, jvmm's CDS archive
        one(c, "Network warm-up")
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            mbps = one(c, "Network")
            res[c.key]["mbps"].append(mbps)
            log(f"  net round {i + 1}: {c.label:12s} guest → host TCP {mbps:8.1f} MB/s")
    return {k: {m: stats(v) for m, v in d.items()} for k, d in res.items()}


VSOCK_MIB = 64
VSOCK_PORT = 5201
VSOCK_CID = 42
VSOCK_MODULES = ("drivers/virtio/virtio_ring", "drivers/virtio/virtio", "drivers/virtio/virtio_pci_modern_dev",
                 "drivers/virtio/virtio_pci_legacy_dev", "drivers/virtio/virtio_pci", "net/vmw_vsock/vsock",
                 "net/vmw_vsock/vmw_vsock_virtio_transport_common", "net/vmw_vsock/vmw_vsock_virtio_transport")

# The /init of the vsock row: loads the Debian kernel's vsock modules (`modinfo -F depends` order),
# streams VSOCK_MIB MiB to the host (CID 2) with vsock_send, writes 'V' to port 0xE9 and reboots.
VSOCK_INIT = ("""#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
for m in %s; do /bin/busybox insmod /lib/$m.ko || echo "JVMM-VSOCK insmod failed: $m"; done
/bin/vsock_send 2 %d %d
/bin/busybox printf V | /bin/busybox dd of=/dev/port bs=1 seek=233 2>/dev/null
/bin/busybox reboot -f
""" % (" ".join(os.path.basename(m) for m in VSOCK_MODULES), VSOCK_PORT, VSOCK_MIB)).encode()

VSOCK_RE = re.compile(r"JVMM-VSOCK sent (\d+) bytes in (\d+) ns")


class VsockReceiver(threading.Thread):
    """The host end of the vsock row: accepts one stream and reads it to its end, timing it from
    accept to end of stream."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.bytes = 0
        self.seconds = None
        self.error = None

    def run(self):
        try:
            self.server.settimeout(900)
            conn, _ = self.server.accept()
            t0 = time.monotonic()
            buf = bytearray(1 << 20)
            with conn:
                while True:
                    n = conn.recv_into(buf)
                    if n == 0:
                        break
                    self.bytes += n
            self.seconds = time.monotonic() - t0
        except OSError as e:
            self.error = str(e)


def bench_vsock(ctx, contenders):
    """Guest → host stream throughput over vsock: jvmm's hybrid device (a Unix socket on the host)
    against QEMU's vhost-vsock-pci (an AF_VSOCK socket on the host)."""
    import socket
    abi = re.sub(r"^vmlinu[xz]-", "", os.path.basename(ctx.kernel))
    moddir = os.path.join(os.path.dirname(ctx.kernel), f"linux-image-{abi}", "lib", "modules", abi, "kernel")
    entries = [("bin", 0o755, None), ("dev", 0o755, None), ("lib", 0o755, None), ("dev/console", 0o600, (5, 1))]
    for name, path in (("bin/busybox", ctx.busybox), ("bin/vsock_send", ctx.vsock_send)):
        with open(path, "rb") as f:
            entries.append((name, 0o755, f.read()))
    for m in VSOCK_MODULES:
        path = os.path.join(moddir, m + ".ko")
        if not os.path.isfile(path):
            raise BenchError(f"the vsock row needs {path} (cli/src/test/linux/fetch-kernel.sh extracts the modules)")
        with open(path, "rb") as f:
            entries.append((f"lib/{os.path.basename(m)}.ko", 0o644, f.read()))
    entries.append(("init", 0o755, VSOCK_INIT))
    initrd = os.path.join(ctx.work, "vsock-initramfs.cpio")
    with open(initrd, "wb") as f:
        f.write(newc_archive(entries))
    out = os.path.join(ctx.work, "vsock-com1.out")
    uds = os.path.join(ctx.work, "vsock.sock")
    res = {c.key: {"host": [], "guest": []} for c in contenders}

    def one(c, what):
        if os.path.exists(out):
            os.unlink(out)
        if c.key == "qemu":
            server = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
            server.bind((socket.VMADDR_CID_ANY, VSOCK_PORT))
        else:
            path = f"{uds}_{VSOCK_PORT}"
            if os.path.exists(path):
                os.unlink(path)
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(path)
        server.listen(1)
        receiver = VsockReceiver(server)
        receiver.start()
        try:
            run = run_once(c.linux_cmd(ctx.kernel, initrd, LINUX_CMDLINE, ctx.fifo, out,
                                       vsock=(VSOCK_CID, uds)), c.env(), ctx.work, ctx.fifo, 1800)
            receiver.join(60)
        finally:
            server.close()
        check_run(what, c, run, "V")
        with open(out, "rb") as f:
            console = f.read().decode("utf-8", "replace")
        m = VSOCK_RE.search(console)
        if not m or "insmod failed" in console or receiver.error or receiver.seconds is None:
            raise BenchError(f"{what}: {c.label}: no complete stream (receiver: {receiver.error}, "
                             f"{receiver.bytes} bytes):\n{console[-3000:]}")
        if int(m.group(1)) != VSOCK_MIB * MIB or receiver.bytes != VSOCK_MIB * MIB:
            raise BenchError(f"{what}: {c.label}: the guest sent {m.group(1)} bytes, the host got {receiver.bytes}")
        return receiver.bytes / receiver.seconds / 1e6, int(m.group(1)) / (int(m.group(2)) / 1e9) / 1e6

    for c in contenders:  # warm-up (page cache, jvmm's CDS archive)
        one(c, "Vsock warm-up")
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            host, guest = one(c, "Vsock")
            res[c.key]["host"].append(host)
            res[c.key]["guest"].append(guest)
            log(f"  vsock round {i + 1}: {c.label:10s} {host:8.1f} MB/s at the host receiver, {guest:8.1f} MB/s "
                "by the guest's clock")
    return {k: {m: stats(v) for m, v in d.items()} for k, d in res.items()}


# The console line the sandbox image's PID 1 prints when it is ready; the row times its arrival.
# Today PID 1 is the stand-in cli/src/test/linux/sandbox_probe.c (--sandbox-agent); the guest agent
# (agent/jvmm-agent.c) takes its place by passing its binary as --sandbox-agent and, if it prints
# another line when ready, that line's start as --sandbox-ready-marker.
SANDBOX_READY_MARKER = "JVMM-SANDBOX-READY"
SANDBOX_TRANSPORT = "vsock:1024"
SANDBOX_CID = 3
SANDBOX_BOOTTIME_RE = re.compile(r"JVMM-SANDBOX-READY boottime_ms=(\d+)")


def sandbox_image(ctx):
    """The image and command line jvmm's own SandboxImage makes (bench/SandboxImageTool.java, run in
    source-file mode against the packaged jars), so both VMMs boot exactly what a sandbox boots."""
    lib = os.path.join(os.path.dirname(os.path.dirname(ctx.jvmm)), "lib")
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "SandboxImageTool.java")
    initrd = os.path.join(ctx.work, "sandbox.cpio")
    r = subprocess.run([ctx.java, "--module-path", lib, "--add-modules", "io.jvmm.runtime", tool, ctx.kernel,
                        ctx.sandbox_agent, initrd, SANDBOX_TRANSPORT], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    out = r.stdout.decode("utf-8", "replace").strip()
    if r.returncode != 0 or not os.path.isfile(initrd):
        raise BenchError(f"the sandbox image could not be assembled: {out}")
    return initrd, out.splitlines()[-1]


def console_marker(run, marker):
    """Seconds since spawn at which the last byte of marker arrived on the console, or None."""
    text = bytes(b for b, _ in run.markers)
    i = text.find(marker.encode())
    return None if i < 0 else run.markers[i + len(marker) - 1][1]


def bench_sandbox_boot(ctx, contenders):
    """Process start → the sandbox image's ready line on the console, jvmm against QEMU microvm."""
    initrd, cmdline = sandbox_image(ctx)
    ctx.sandbox_cmdline = cmdline
    uds = os.path.join(ctx.work, "sandbox.sock")
    res = {c.key: {"ready": [], "exit": [], "guest": []} for c in contenders}

    def one(c, what):
        # the console goes to the FIFO, so run_once timestamps every byte of it
        run = run_once(c.sandbox_cmd(ctx.kernel, initrd, cmdline, ctx.fifo, (SANDBOX_CID, uds)), c.env(), ctx.work,
                       ctx.fifo, 900)
        console = bytes(b for b, _ in run.markers).decode("utf-8", "replace")
        ready = console_marker(run, ctx.sandbox_marker)
        if run.status != 0 or ready is None:
            raise BenchError(f"{what}: {c.label} exited with status {run.status}, ready line "
                             f"{'seen' if ready is not None else 'never seen'}\n{console[-3000:]}\n{run.output[-2000:]}")
        if "jvmm-init:" in console:
            raise BenchError(f"{what}: {c.label}: /init could not load a module:\n{console[-3000:]}")
        m = SANDBOX_BOOTTIME_RE.search(console)
        return ready * 1e3, run.exit_s * 1e3, (int(m.group(1)) if m else None)

    for c in contenders:  # warm-up (page cache, jvmm's CDS archive)
        one(c, "sandbox-boot warm-up")
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            ready, exit_ms, guest = one(c, "sandbox-boot")
            res[c.key]["ready"].append(ready)
            res[c.key]["exit"].append(exit_ms)
            if guest is not None:
                res[c.key]["guest"].append(guest)
            log(f"  sandbox-boot round {i + 1}: {c.label:10s} ready at {ready:8.1f} ms, exit {exit_ms:8.1f} ms"
                + (f", guest CLOCK_BOOTTIME at ready {guest} ms" if guest is not None else ""))
    return {k: {m: (stats(v) if v else None) for m, v in d.items()} for k, d in res.items()}


# The agent protocol (docs/sandbox-protocol.md), as much of it as the exec row speaks: frames are
# u32 LE length (type + body), u8 type, body.
AGENT_PORT = 1024
AGENT_READY, AGENT_EXEC, AGENT_EXITED, AGENT_ERROR, AGENT_SHUTDOWN = 0x01, 0x10, 0x14, 0x7F, 0x30


def agent_frame(kind, body=b""):
    return struct.pack("<IB", len(body) + 1, kind) + body


def agent_str(text):
    data = text.encode()
    return struct.pack("<I", len(data)) + data


def agent_read(sock):
    """One frame from the agent: (type, body); BenchError on EOF."""
    def exactly(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise BenchError("the agent closed its connection mid-frame")
            buf += chunk
        return buf
    length, = struct.unpack("<I", exactly(4))
    if not 1 <= length <= (1 << 20) + 1:
        raise BenchError(f"the agent sent a frame of length {length}")
    data = exactly(length)
    return data[0], data[1:]


def agent_session(listener, t0, argv):
    """Accepts the agent's connection, waits for READY, runs argv, asks for power-off. Returns the
    seconds since t0 at READY and at EXITED, and the command's exit status."""
    conn, _ = listener.accept()
    with conn:
        kind, _ = agent_read(conn)
        if kind != AGENT_READY:
            raise BenchError(f"the agent's first frame is type {kind:#x}, not READY")
        ready = time.monotonic() - t0
        body = struct.pack("<I", len(argv)) + b"".join(agent_str(a) for a in argv) + struct.pack("<I", 1) \
            + agent_str("PATH=/sbin:/bin:/usr/sbin:/usr/bin") + agent_str("") + b"\x00"
        conn.sendall(agent_frame(AGENT_EXEC, body))
        while True:
            kind, body = agent_read(conn)
            if kind == AGENT_EXITED:
                how, value = struct.unpack("<Bi", body[:5])
                break
            if kind == AGENT_ERROR:
                raise BenchError(f"the agent could not run {argv}: {body[8:].decode('utf-8', 'replace')}")
        exited = time.monotonic() - t0
        conn.sendall(agent_frame(AGENT_SHUTDOWN))
        return ready, exited, (value if how == 0 else 128 + value)


def bench_exec(ctx, jvmm, qemu):
    """The sandbox with the real guest agent: process start → the agent's READY over vsock, jvmm
    (`run`, the host end on its hybrid Unix socket) against QEMU microvm (vhost-vsock, an AF_VSOCK
    listener), the same image, command line and agent, with this harness as the host side of the
    protocol running `true`; and `jvmm exec -- true` as a user runs it (its own image, --profile)."""
    agent = os.path.join(os.path.dirname(os.path.dirname(ctx.jvmm)), "libexec", "jvmm-agent")
    if not os.path.isfile(agent):
        raise BenchError(f"no guest agent at {agent}: the package build compiles agent/jvmm-agent.c with gcc")
    saved, ctx.sandbox_agent = ctx.sandbox_agent, agent
    try:
        initrd, cmdline = sandbox_image(ctx)
    finally:
        ctx.sandbox_agent = saved
    ctx.exec_cmdline = cmdline
    uds = os.path.join(ctx.work, "exec.sock")
    console = os.path.join(ctx.work, "exec-console.txt")
    res = {"jvmm": {"ready": [], "exited": [], "exit": []}, "qemu": {"ready": [], "exited": [], "exit": []},
           "jvmm-exec": {"exit": [], "agent_ready": []}}

    def listener_for(c):
        if c is qemu:
            s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
            s.bind((socket.VMADDR_CID_ANY, AGENT_PORT))
        else:
            path = f"{uds}_{AGENT_PORT}"
            if os.path.exists(path):
                os.unlink(path)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
        s.listen(1)
        s.settimeout(900)
        return s

    def one_vm(c, what):
        with listener_for(c) as listener:
            cmd = c.sandbox_cmd(ctx.kernel, initrd, cmdline, console, (SANDBOX_CID, uds))
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, env=c.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            try:
                ready, exited, status = agent_session(listener, t0, ["true"])
                out, _ = proc.communicate(timeout=300)
            except (BenchError, OSError, subprocess.TimeoutExpired) as e:
                proc.kill()
                out, _ = proc.communicate()
                raise BenchError(f"{what}: {c.label}: {e}\n{out.decode('utf-8', 'replace')[-2000:]}")
            end = time.monotonic() - t0
        if status != 0 or proc.returncode != 0:
            raise BenchError(f"{what}: {c.label}: `true` gave {status}, the VMM exited {proc.returncode}\n"
                             + out.decode("utf-8", "replace")[-2000:])
        return ready * 1e3, exited * 1e3, end * 1e3

    def one_exec(what):
        cmd = [jvmm.launcher, "exec", "--kernel", ctx.kernel, "--memory", f"{GUEST_RAM_MIB}M", "--profile", "--",
               "true"]
        t0 = time.monotonic()
        r = subprocess.run(cmd, env=jvmm.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=900)
        end = (time.monotonic() - t0) * 1e3
        out = r.stdout.decode("utf-8", "replace")
        ready = parse_profile(out).get("agent ready")
        if r.returncode != 0 or ready is None:
            raise BenchError(f"{what}: jvmm exec -- true exited {r.returncode}, agent ready "
                             f"{'seen' if ready is not None else 'not in its --profile'}\n{out[-2000:]}")
        return end, ready

    contenders = [jvmm, qemu]
    for c in contenders:  # warm-up (page cache, jvmm's CDS archive)
        one_vm(c, "exec warm-up")
    one_exec("exec warm-up")
    for i, order in rounds(contenders, ctx.runs):
        for c in order:
            ready, exited, end = one_vm(c, "exec")
            for k, v in (("ready", ready), ("exited", exited), ("exit", end)):
                res[c.key][k].append(v)
            log(f"  exec round {i + 1}: {c.label:10s} agent ready {ready:8.1f} ms, `true` exited {exited:8.1f} ms, "
                f"VMM exit {end:8.1f} ms")
        end, ready = one_exec("exec")
        res["jvmm-exec"]["exit"].append(end)
        res["jvmm-exec"]["agent_ready"].append(ready)
        log(f"  exec round {i + 1}: jvmm exec  agent ready {ready:8.1f} ms (--profile), exit {end:8.1f} ms")
    return {k: {m: (stats(v) if v else None) for m, v in d.items()} for k, d in res.items()}



# --------------------------------------------------------------------------------------------
# Report


def first_line(cmd):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return r.stdout.decode("utf-8", "replace").splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def machine_info(ctx):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    modules = sorted(m for m in os.listdir("/sys/module") if m.startswith("kvm")) if os.path.isdir("/sys/module") else []
    java_version = subprocess.run([ctx.java, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                                  ).stdout.decode().splitlines()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "kvm": ", ".join(modules) or "unknown",
        "jdk": " / ".join(l.strip() for l in java_version[:2]),
        "qemu": first_line([ctx.qemu, "--version"]),
        "gcc": first_line(["gcc", "--version"]),
        "load": open("/proc/loadavg").read().split()[:3],
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def verdict(ok):
    return "**met**" if ok else "**missed**"


def report(ctx, info, r):
    L = []
    add = L.append
    add("# jvmm-bench results")
    add("")
    add(f"Generated by `./jvmm-bench` on {info['date']}; every figure is the median (min–max) of "
        f"{ctx.runs} runs per contender, the contenders alternating in rotating order within one invocation. "
        "Timing comes from the host: the guests write marker bytes to port 0xE9, which each VMM passes to a "
        "FIFO that the harness timestamps.")
    add("")
    add("| machine | |")
    add("|---|---|")
    add(f"| CPU | {info['cpu']} ({info['cores']} cores) |")
    add(f"| kernel | {info['kernel']} |")
    add(f"| KVM modules | {info['kvm']} |")
    add(f"| JDK | {info['jdk']} |")
    add(f"| QEMU | {info['qemu']} |")
    add(f"| C compiler | {info['gcc']} |")
    add(f"| load average at start / end | {' '.join(info['load'])} / {' '.join(ctx.load_end)} |")
    add("")
    add("Contenders: **jvmm** = `cli/target/jvmm/bin/jvmm run --firmware IMG --memory 256M --on-reset exit "
        "--debugcon 0xe9=file=FIFO` (the packaged launcher: its bundled jlink runtime unless JAVA_HOME is set, C1 only, SerialGC, the static AppCDS archive made at package time unless said otherwise); "
        "**QEMU** = `qemu-system-x86_64 -M pc -enable-kvm -cpu host,-arch-capabilities -m 256M -bios IMG "
        "-display none -serial ... -debugcon file:FIFO -no-reboot`; **bare C** = `bench/c/kvm_loop.c`, a "
        "`KVM_RUN` loop with the same VM set-up (TSS, in-kernel irqchip and PIT) and no device model.")
    add("")
    rows = []  # metric, jvmm, qemu, c, jvmm/QEMU, jvmm/C, target, met

    if "pio" in r:
        p, _ = r["pio"]
        rj, rc = ratio(p.get("jvmm"), p.get("qemu")), ratio(p.get("jvmm"), p.get("c"))
        rows.append([f"PIO exit round trip, µs/exit ({PIO_EXITS:,} `out` to port 0x30)", fmt(p.get("jvmm"), 2),
                     fmt(p.get("qemu"), 2), fmt(p.get("c"), 2), fmt_ratio(rj), fmt_ratio(rc), "≤ 1.10× C",
                     verdict(rc is not None and rc <= 1.10)])
    if "serial" in r:
        s, total = r["serial"]
        rj, rc = ratio(s.get("jvmm"), s.get("qemu")), ratio(s.get("jvmm"), s.get("c"))
        rows.append(["Serial: 256 KiB through COM1 (LSR polling) to a file, ms from first to last byte "
                     "(file verified)", fmt(s.get("jvmm")), fmt(s.get("qemu")), fmt(s.get("c")), fmt_ratio(rj),
                     fmt_ratio(rc), "≤ 1.05× QEMU", verdict(rj is not None and rj <= 1.05)])
    if "start" in r:
        st = r["start"]
        jc, jn, q, c = st.get("jvmm"), st.get("jvmm-nocds"), st.get("qemu"), st.get("c")
        for label, key in (("process start → first guest port write, ms", "first"),
                           ("process start → guest reset → process exit, ms", "exit")):
            rj = ratio(jc and jc[key], q and q[key])
            rcc = ratio(jc and jc[key], c and c[key])
            met = "" if key == "first" else verdict(rj is not None and rj <= 2.0)
            rows.append([f"Start-up (64 KiB firmware): {label}, jvmm with CDS", fmt(jc and jc[key]),
                         fmt(q and q[key]), fmt(c and c[key]), fmt_ratio(rj), fmt_ratio(rcc),
                         "≤ 2× QEMU" if key == "exit" else "", met])
            rj = ratio(jn and jn[key], q and q[key])
            rcc = ratio(jn and jn[key], c and c[key])
            rows.append([f"Start-up: {label}, jvmm without CDS (`JVMM_CDS=off`)", fmt(jn and jn[key]),
                         fmt(q and q[key]), fmt(c and c[key]), fmt_ratio(rj), fmt_ratio(rcc), "", ""])
    if "memory" in r:
        m, _ = r["memory"]
        for label, key in (("RSS after boot minus the 256 MiB guest RAM the guest touched (all but the 384 KiB legacy hole), MiB", "rss"),
                           ("… of which anonymous (RssAnon minus the guest RAM touched), MiB", "anon"),
                           ("… of which file-backed (RssFile: binaries, libraries, CDS archive), MiB", "file"),
                           ("max RSS minus the guest RAM touched, MiB", "hwm")):
            j, q, c = m["jvmm"][key], m["qemu"][key], m["c"][key]
            rj, rcc = ratio(j, q), ratio(j, c)
            met = verdict(j["median"] <= q["median"]) if key == "rss" else ""
            rows.append([f"Memory: {label}", fmt(j), fmt(q), fmt(c), fmt_ratio(rj), fmt_ratio(rcc),
                         "≤ QEMU" if key == "rss" else "", met])
    if "vms" in r:
        v = r["vms"]
        g = v["guest_mib"]
        hi = str(v["counts"][-1])
        q = v["qemu"][hi]["per_vm"]
        fit = {"median": v["fit_per_vm"], "min": v["fit_per_vm"], "max": v["fit_per_vm"]}
        rows.append([f"Many VMs: RSS per additional VM in one JVM minus its {g} MiB guest RAM (slope of a fit over "
                     f"N = {', '.join(map(str, v['counts']))}), MiB; QEMU: RSS of each VM's own process minus {g} MiB",
                     f"{v['fit_per_vm']:.1f}", fmt(q), "—", fmt_ratio(ratio(fit, q)), "—", "≤ 5 MiB",
                     verdict(v["fit_per_vm"] <= 5.0)])
    if "linux" in r:
        lx = r["linux"]
        if "skipped" in lx:
            rows.append(["Linux to userspace marker", "not run: " + lx["skipped"], "", "", "", "", "≤ QEMU", ""])
        else:
            for label, key in (("process start → first userspace write (Debian kernel, busybox /init), ms", "user"),
                               ("process start → userspace → reboot → process exit, ms", "exit")):
                j, q = lx["jvmm"][key], lx["qemu"][key]
                rj = ratio(j, q)
                rows.append([f"Linux to userspace marker: {label}", fmt(j), fmt(q), "—", fmt_ratio(rj), "—",
                             "≤ QEMU" if key == "user" else "",
                             verdict(rj is not None and rj <= 1.0) if key == "user" else ""])
    if "blk" in r:
        bk = r["blk"]
        if "skipped" in bk:
            rows.append(["Block (virtio-blk)", "not run: " + bk["skipped"], "", "", "", "", "≥ QEMU", ""])
        else:
            for label, key in ((f"sequential O_DIRECT read of a {BLK_IMAGE_MIB} MiB image in the guest (dd bs=1M), MB/s",
                                "seq"),
                               (f"random 4 KiB O_DIRECT reads, queue depth 1 ({BLK_RANDOM_READS} reads), IOPS", "iops")):
                j, q = bk["jvmm"][key], bk["qemu"][key]
                rj = ratio(j, q)
                rows.append([f"Block (virtio-blk): {label}", fmt(j), fmt(q), "—", fmt_ratio(rj), "—", "≥ QEMU",
                             verdict(rj is not None and rj >= 1.0)])
    if "net" in r:
        nt = r["net"]
        if "skipped" in nt:
            rows.append(["Network (virtio-net + TAP)", "not run: " + nt["skipped"], "", "", "", "", "≥ QEMU", ""])
        else:
            j, q = nt["jvmm"]["mbps"], nt["qemu"]["mbps"]
            rj = ratio(j, q)
            rows.append([f"Network (virtio-net + TAP): guest → host TCP, {NET_MIB} MiB, MB/s; QEMU vhost=off",
                         fmt(j), fmt(q), "—", fmt_ratio(rj), "—", "≥ QEMU", verdict(rj is not None and rj >= 1.0)])
            if "qemu-vhost" in nt:
                qv = nt["qemu-vhost"]["mbps"]
                rv = ratio(j, qv)
                rows.append([f"Network (virtio-net + TAP): guest → host TCP, {NET_MIB} MiB, MB/s; QEMU vhost=on "
                             "(the kernel's vhost-net)", fmt(j), fmt(qv), "—", fmt_ratio(rv), "—", "(reference)", ""])
    if "vsock" in r:
        vs = r["vsock"]
        if "skipped" in vs:
            rows.append(["Vsock stream guest → host", "not run: " + vs["skipped"], "", "", "", "", "≥ QEMU", ""])
        else:
            for label, key in ((f"{VSOCK_MIB} MiB guest → host, MB/s at the host receiver (accept to EOF)", "host"),
                               ("the same stream by the guest's clock (connect to close), MB/s", "guest")):
                j, q = vs["jvmm"][key], vs["qemu"][key]
                rj = ratio(j, q)
                rows.append([f"Vsock stream: {label}", fmt(j), fmt(q), "—", fmt_ratio(rj), "—",
                             "≥ QEMU" if key == "host" else "",
                             verdict(rj is not None and rj >= 1.0) if key == "host" else ""])
    if "sandbox-boot" in r:
        sb = r["sandbox-boot"]
        if "skipped" in sb:
            rows.append(["Sandbox boot", "not run: " + sb["skipped"], "", "", "", "", "≤ 2× QEMU microvm", ""])
        else:
            for label, key in ((f"process start → `{sb['marker']}` on the console, ms", "ready"),
                               ("process start → power-off → process exit, ms", "exit"),
                               ("the guest's CLOCK_BOOTTIME at the ready line, ms", "guest")):
                j, q = sb["jvmm"][key], sb["qemu"][key]
                rj = ratio(j, q)
                rows.append([f"Sandbox boot (QEMU: `-M microvm,pcie=on`): {label}", fmt(j), fmt(q), "—", fmt_ratio(rj),
                             "—", "≤ 2× QEMU" if key == "ready" else "",
                             verdict(rj is not None and rj <= 2.0) if key == "ready" else ""])
    if "exec" in r:
        ex = r["exec"]
        if "skipped" in ex:
            rows.append(["Sandbox exec", "not run: " + ex["skipped"], "", "", "", "", "agent ready ≤ 2× QEMU microvm", ""])
        else:
            for label, key in (("process start → the guest agent's READY over vsock, ms", "ready"),
                               ("process start → `true` exited (EXITED from the agent), ms", "exited"),
                               ("process start → power-off → process exit, ms", "exit")):
                j, q = ex["jvmm"][key], ex["qemu"][key]
                rj = ratio(j, q)
                rows.append([f"Sandbox exec (jvmm `run` / QEMU `-M microvm,pcie=on`, the same image and agent, "
                             f"this harness as the host side): {label}", fmt(j), fmt(q), "—", fmt_ratio(rj), "—",
                             "≤ 2× QEMU" if key == "ready" else "",
                             verdict(rj is not None and rj <= 2.0) if key == "ready" else ""])
            je = ex["jvmm-exec"]
            rows.append(["Sandbox exec: `jvmm exec --kernel K -- true`, process start → agent ready (its `--profile`), ms",
                         fmt(je["agent_ready"]), "—", "—", "—", "—", "", ""])
            rows.append(["Sandbox exec: `jvmm exec --kernel K -- true`, process start → exit (image assembly, boot, "
                         "`true`, power-off), ms", fmt(je["exit"]), "—", "—", "—", "—", "", ""])
    if "jmh" in r:
        for name, d in r["jmh"].items():
            if name.endswith("Baseline"):
                rows.append([f"Dispatch (JMH) `{name}`: ns/op; B/op", f"{fmt(d['ns'], 2)}; "
                             f"{d['alloc']['median']:.3f}", "—", "—", "—", "—", "(reference)", ""])
                continue
            ok = d["ns"]["median"] <= 25.0 and d["alloc"]["max"] < 0.5
            rows.append([f"Dispatch (JMH) `{name}`: ns/op; B/op", f"{fmt(d['ns'], 2)}; {d['alloc']['median']:.3f}",
                         "—", "—", "—", "—", "≤ 25 ns, 0 B/op", verdict(ok)])

    if "linux" in r and "skipped" not in r["linux"]:
        add("The Linux row boots the Debian kernel with a busybox initramfs made by `bench.py` (`/init` writes "
            "`U` to port 0xE9 through `/dev/port`, then `reboot -f`) and the command line "
            f"`{LINUX_CMDLINE}`: **jvmm** = `jvmm run --kernel K --initrd I --cmdline ... --memory 256M "
            "--on-reset exit --serial 1=file=... --debugcon 0xe9=file=FIFO` (its defaults otherwise); **QEMU** = "
            "`qemu-system-x86_64 -M pc -enable-kvm -cpu host,-arch-capabilities -m 256M -kernel K -initrd I "
            "-append ... -display none -serial file:... -debugcon file:FIFO -no-reboot` (SeaBIOS and its "
            "linuxboot option ROM).")
        add("")
    if "blk" in r and "skipped" not in r["blk"]:
        add("The block rows boot the same kernel with a busybox initramfs that loads the Debian kernel's "
            "`virtio_pci` and `virtio_blk` modules, runs `dd if=/dev/vda of=/dev/null bs=1M iflag=direct` over "
            f"the whole {BLK_IMAGE_MIB} MiB raw image (random content, read-only, in the host page cache after "
            f"a warm-up run), then `blk_randread` (bench/c/blk_randread.c, static): {BLK_RANDOM_READS} "
            "4 KiB O_DIRECT reads at pseudo-random aligned offsets, one at a time; both timed by the guest's "
            "clock. **jvmm** adds `--disk IMAGE,ro`; **QEMU** adds `-drive file=IMAGE,if=virtio,format=raw,"
            "readonly=on` (its defaults: cache=writeback, i.e. the host page cache like jvmm's, aio=threads, "
            "virtio-blk-pci with MSI-X and ioeventfd).")
        add("")
    if "net" in r and "skipped" not in r["net"]:
        add("The network rows boot the same kernel with a busybox initramfs that loads the Debian kernel's "
            "`virtio_pci` and `virtio_net` modules, gives eth0 10.0.2.15/24 and runs `net_send` "
            f"(bench/c/net_send.c, static): {NET_MIB} MiB over one TCP connection to `net_recv` "
            "(bench/c/net_recv.c) on 10.0.2.1, timed by the guest's clock from the connect to the receiver's "
            "close, the receiver's byte count checked. Each run is in a fresh network namespace (`unshare -n`) "
            f"with a TAP `{NET_TAP}` made by `ip tuntap add`. **jvmm** adds `--net tap={NET_TAP}`; **QEMU** adds "
            f"`-netdev tap,ifname={NET_TAP},script=no,downscript=no,vhost=off|on -device virtio-net-pci` "
            "(MSI-X and ioeventfd; vhost=on moves the data path into the host kernel, jvmm has no such path).")
    if "vsock" in r and "skipped" not in r["vsock"]:
        add("The vsock rows boot the same kernel with a busybox initramfs that loads the Debian kernel's "
            "`virtio_pci`, `vsock`, `vmw_vsock_virtio_transport_common` and `vmw_vsock_virtio_transport` "
            f"modules and runs `vsock_send` (bench/c/vsock_send.c, static): one stream of {VSOCK_MIB} MiB to CID 2 "
            f"port {VSOCK_PORT} in 64 KiB writes. **jvmm** adds `--vsock cid={VSOCK_CID},uds=PATH` (the hybrid device: "
            f"the harness listens on the Unix socket `PATH_{VSOCK_PORT}`); **QEMU** adds `-device vhost-vsock-pci,"
            f"guest-cid={VSOCK_CID}` (the host kernel's vhost-vsock; the harness listens on AF_VSOCK port "
            f"{VSOCK_PORT}). The figure is the harness's receiver's: bytes from accept to end of stream.")
        add("")
    if "sandbox-boot" in r and "skipped" not in r["sandbox-boot"]:
        add("The sandbox-boot rows boot the image `SandboxImage.assemble` makes (busybox, the Debian kernel's "
            "virtio_pci, vsock and virtio_blk modules with their dependencies, `/init` that mounts and loads them "
            "and execs PID 1; here PID 1 is `cli/src/test/linux/sandbox_probe.c`, which prints the ready line "
            "first, then facts, then powers off) with `SandboxImage.commandLine` "
            f"(`{r['sandbox-boot']['cmdline']}`); the console goes to a FIFO whose bytes the harness timestamps. "
            f"**jvmm** = `jvmm run --kernel K --initrd I --cmdline ... --memory 256M --on-reset exit --serial "
            f"1=file=FIFO --vsock cid={SANDBOX_CID},uds=PATH`; **QEMU** = `qemu-system-x86_64 -M microvm,pcie=on "
            "-enable-kvm -cpu host,-arch-capabilities -m 256M -kernel K -initrd I -append ... -display none "
            f"-nodefaults -no-user-config -serial file:FIFO -device vhost-vsock-pci,guest-cid={SANDBOX_CID} "
            "-no-reboot` (microvm's qboot firmware; `pcie=on` gives the image's virtio_pci a bus).")
        add("")
    if "snapshot" in r:
        sn = r["snapshot"]
        j, q = sn["jvmm"], sn["qemu"]
        rows.append(["snapshot of the 256 MiB guest, ms (jvmm: its own time, from the reply / QEMU: HMP `migrate exec:` "
                     "to completed)", fmt(j["snapshot_vmm"]), fmt(q["snapshot"]), "—",
                     fmt_ratio(ratio(j["snapshot_vmm"], q["snapshot"])), "—", "—", ""])
        rows.append(["restore: process spawn → guest running again, ms", fmt(j["restore"]), fmt(q["restore"]), "—",
                     fmt_ratio(ratio(j["restore"], q["restore"])), "—", "≤ cold boot",
                     verdict(j["restore"]["median"] <= j["cold"]["median"])])
        rows.append(["cold boot of the same guest: spawn → 'R' (all RAM written), ms", fmt(j["cold"]), fmt(q["cold"]),
                     "—", fmt_ratio(ratio(j["cold"], q["cold"])), "—", "—", ""])
        rows.append(["RSS 1 s after restore, MiB (guest RAM 256)", fmt(j["rss"]), fmt(q["rss"]), "—",
                     fmt_ratio(ratio(j["rss"], q["rss"])), "—", "≪ guest RAM",
                     verdict(j["rss"]["median"] < GUEST_RAM_MIB / 2)])
        add("**Snapshot rows.** Guest `snapshot.bin` writes one dword to every 4 KiB page of its 256 MiB, "
            "sends `R`, then loops sending `.`. At `R` the harness takes the snapshot: jvmm `ctl snapshot PATH "
            "--stop` (the row gives the VMM's own figure from its reply; the whole `ctl` command, a JVM start "
            "included, took " + fmt(j["snapshot"]) + " ms), QEMU HMP `migrate \"exec:cat > FILE\"` of the running "
            "VM until `info migrate` says completed. Then a new process restores it "
            "(jvmm `run --restore PATH`, QEMU `-incoming \"exec:cat FILE\"`) and the time to its first `.` is "
            "the restore time. Snapshot size: jvmm " + fmt(j["size"]) + " MiB (" + fmt(j["disk"]) + " on disk), "
            "QEMU " + fmt(q["size"]) + " MiB. RSS after restore, anonymous / file-backed: jvmm " + fmt(j["rss_anon"])
            + " / " + fmt(j["rss_file"]) + ", QEMU " + fmt(q["rss_anon"]) + " / " + fmt(q["rss_file"]) + " MiB "
            "(jvmm maps memory.bin copy-on-write; pages are read when the guest touches them).")
        add("")
    add("| benchmark | jvmm | QEMU | bare C | jvmm/QEMU | jvmm/C | target | |")
    add("|---|---|---|---|---|---|---|---|")
    for row in rows:
        add("| " + " | ".join(row) + " |")
    add("")

    if "start" in r:
        st = r["start"]
        add("## Start-up: where jvmm's time goes")
        add("")
        add("| | jvmm with CDS | jvmm without CDS |")
        add("|---|---|---|")
        jc, jn = st["jvmm"], st["jvmm-nocds"]
        add(f"| process start → jvmm `main` (the JVM's share), ms | {fmt(jc['jvm'])} | {fmt(jn['jvm'])} |")
        add(f"| jvmm `main` → first guest exit (`--profile`), ms | {fmt(jc['main_to_exit1'])} | "
            f"{fmt(jn['main_to_exit1'])} |")
        add(f"| process start → first guest port write (host clock), ms | {fmt(jc['first'])} | {fmt(jn['first'])} |")
        add(f"| process start → exit, ms | {fmt(jc['exit'])} | {fmt(jn['exit'])} |")
        add("")
        add("The JVM's share is the host-measured time to the first port write minus the `--profile` interval "
            "from `main` to the first guest exit (both clocks are exact; the profile's own \"process start\" "
            "line is derived from /proc and only good to about 10 ms).")
        add("")
    if "vms" in r:
        v = r["vms"]
        g = v["guest_mib"]
        add("## Many VMs in one JVM")
        add("")
        t = touched_kib(g) / 1024
        add(f"`examples/multi-vm/run.sh N --memory {g} --image bench/guests/vms.bin --hold`: one JVM (the launcher's "
            f"JVM options, no start-up archive) runs N VMs of {g} MiB through the embedding API, each "
            "guest touching all its RAM but the 384 KiB legacy hole (which is what is subtracted) before it writes 'R'; `/proc/PID/status` 1 s after the last 'R'. QEMU: N "
            f"processes `qemu-system-x86_64 -M pc -enable-kvm -m {g}M -bios vms.bin ...`, the same guest, sampled the "
            "same way. Every program's VMs must then stop and report it.")
        add("")
        add("| N VMs | jvmm: one JVM's RSS, MiB | jvmm: minus N × guest RAM touched | jvmm threads | QEMU: N processes' "
            "RSS, MiB | QEMU: minus N × guest RAM touched | QEMU threads |")
        add("|---|---|---|---|---|---|---|")
        for n in v["counts"]:
            j, q = v["jvmm"][str(n)], v["qemu"][str(n)]
            add(f"| {n} | {fmt(j['rss'])} | {j['rss']['median'] - n * t:.1f} | {fmt(j['threads'], 0)} | "
                f"{fmt(q['rss'])} | {q['rss']['median'] - n * t:.1f} | {fmt(q['threads'], 0)} |")
        add("")
        steps = ", ".join(f"{st['from']}→{st['to']}: {st['per_vm']:.2f}" for st in v["steps"])
        add(f"jvmm, RSS per additional VM minus the {g} MiB - 384 KiB its guest touched: **{v['fit_per_vm']:.2f} MiB** (least-squares slope over "
            f"every run), per step of the medians (MiB per VM): {steps}. QEMU's per-VM cost is a whole process: "
            f"{fmt(v['qemu'][str(v['counts'][-1])]['per_vm'])} MiB each beyond its guest RAM.")
        add("")
        if v["nmt"]:
            lo, hi = v["counts"][0], v["counts"][-1]
            add(f"jvmm's NMT (committed MiB, separate runs with `-XX:NativeMemoryTracking=summary`) at N = {lo} and "
                f"N = {hi}, and the difference per additional VM:")
            add("")
            add(f"| category | N = {lo} | N = {hi} | per additional VM |")
            add("|---|---|---|---|")
            for k, d in v["nmt"].items():
                add(f"| {k} | {d['lo']:.1f} | {d['hi']:.1f} | {(d['hi'] - d['lo']) / (hi - lo):.2f} |")
            add("")
    if "memory" in r:
        _, nmt = r["memory"]
        add("## Memory: jvmm's share by Native Memory Tracking (committed, MiB)")
        add("")
        add("Measured in separate runs with `JAVA_OPTS=-XX:NativeMemoryTracking=summary` and "
            "`jcmd PID VM.native_memory summary` one second after the guest has touched its RAM "
            "(NMT itself costs a little memory, so the RSS row above comes from runs without it).")
        add("")
        fails = ctx.ctl_failures
        if fails:
            add(f"`jvmm ctl shutdown` reported an error {len(fails)} time(s) although the VM then exited "
                f"with status 0: {sorted(set(fails))}")
            add("")
        add("| category | committed MiB |")
        add("|---|---|")
        wanted = [("Java Heap", "heap"), ("Class", "class metadata (Class)"), ("Metaspace", "metaspace"),
                  ("Code", "code cache"), ("Thread stacks", "thread stacks"), ("Thread", "threads total"),
                  ("GC", "GC"), ("Shared class space", "CDS archive (shared class space)"),
                  ("Symbol", "symbols"), ("Internal", "internal"), ("Other", "other (incl. direct buffers)"),
                  ("Total", "total tracked")]
        for k, label in wanted:
            if k in nmt:
                add(f"| {label} | {fmt(nmt[k])} |")
        add("")
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------------------------


class Ctx:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jvmm", required=True)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kvm-loop", required=True)
    ap.add_argument("--guests", required=True)
    ap.add_argument("--java", required=True)
    ap.add_argument("--jcmd", required=True)
    ap.add_argument("--jmh-jar")
    ap.add_argument("--kernel", help="the Linux bzImage of the linux row")
    ap.add_argument("--busybox", default="/bin/busybox", help="a static busybox for the linux row's initramfs")
    ap.add_argument("--blk-randread", help="the static random-read program of the blk row (bench/c/blk_randread.c)")
    ap.add_argument("--net-send", help="the static TCP sender of the net row (bench/c/net_send.c)")
    ap.add_argument("--net-recv", help="the host-side TCP receiver of the net row (bench/c/net_recv.c)")
    ap.add_argument("--vsock-send", help="the static stream sender of the vsock row (bench/c/vsock_send.c)")
    ap.add_argument("--multivm", help="examples/multi-vm/run.sh, the program of the vms row")
    ap.add_argument("--sandbox-agent", help="the static PID 1 of the sandbox-boot row's image "
                                            "(default: jvmm-bench builds cli/src/test/linux/sandbox_probe.c)")
    ap.add_argument("--sandbox-ready-marker", default=SANDBOX_READY_MARKER,
                    help="the console text that says the sandbox is ready (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="pio,serial,start,memory,vms,jmh,linux,blk,snapshot")
    ap.add_argument("--out", required=True)
    ap.add_argument("--from-json", metavar="FILE", help="only render the report again from a saved latest.json")
    a = ap.parse_args()
    if a.from_json:
        with open(a.from_json) as f:
            saved = json.load(f)
        ctx = Ctx()
        ctx.runs = saved["runs"]
        ctx.load_end = saved["load_end"]
        ctx.ctl_failures = saved.get("ctl_failures", [])
        md = report(ctx, saved["machine"], saved["results"])
        with open(a.out, "w") as f:
            f.write(md)
        print(md)
        return 0
    if a.runs < 5:
        log("jvmm-bench: note: fewer than 5 runs; the report is not comparable with the committed one")
    ctx = Ctx()
    ctx.runs = a.runs
    ctx.guests = a.guests
    ctx.java = a.java
    ctx.jcmd = a.jcmd
    ctx.qemu = a.qemu
    ctx.jmh_jar = a.jmh_jar
    ctx.kernel = a.kernel
    ctx.busybox = a.busybox
    ctx.blk_randread = a.blk_randread
    ctx.net_send = a.net_send
    ctx.net_recv = a.net_recv
    ctx.vsock_send = a.vsock_send
    ctx.jvmm = a.jvmm
    ctx.sandbox_agent = a.sandbox_agent
    ctx.sandbox_marker = a.sandbox_ready_marker
    # the start-up archive the launcher maps for the Java it picks (made at package time by
    # bin/jvmm-archive, never by a run): the launcher itself says which file that is
    r = subprocess.run([a.jvmm], env=dict(os.environ, JVMM_CDS="path"), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    ctx.jsa = r.stdout.decode("utf-8", "replace").strip() if r.returncode == 0 else None
    if not ctx.jsa or not os.path.isfile(ctx.jsa):
        raise BenchError(f"no start-up archive for the launcher's Java ({ctx.jsa or r.stdout!r}): "
                         "run cli/target/jvmm/bin/jvmm-archive (mvn package makes the bundled runtime's)")
    ctx.multivm = a.multivm
    only = set(a.only.split(","))
    ctx.work = tempfile.mkdtemp(prefix="jvmm-bench.")
    ctx.fifo = os.path.join(ctx.work, "marker.fifo")
    jvmm = Jvmm(a.jvmm)
    jvmm_nocds = Jvmm(a.jvmm, cds=False, key="jvmm-nocds", label="jvmm (no CDS)")
    jvmm_nmt = Jvmm(a.jvmm, java_opts="-XX:NativeMemoryTracking=summary", key="jvmm-nmt", label="jvmm (NMT)")
    qemu = Qemu(a.qemu)
    c = BareC(a.kvm_loop)
    info = machine_info(ctx)
    results = {}
    try:
        if "pio" in only:
            log("PIO exit round trip")
            results["pio"] = bench_pio(ctx, [jvmm, qemu, c])
        if "serial" in only:
            log("Serial output")
            results["serial"] = bench_serial(ctx, [jvmm, qemu, c])
        if "start" in only:
            log("Start-up")
            results["start"] = bench_start(ctx, [jvmm, jvmm_nocds, qemu, c])
        if "memory" in only:
            log("Memory")
            results["memory"] = bench_memory(ctx, [jvmm, qemu, c], jvmm_nmt)
        if "linux" in only:
            if "kvm_pvm" in info["kvm"]:
                # kvm_pvm runs small guests but stops an unmodified Linux kernel (README.md).
                log("Linux to userspace: skipped, this KVM is kvm_pvm")
                results["linux"] = {"skipped": "this machine's KVM is kvm_pvm, which stops unmodified Linux; "
                                               "run `ci/nested-kvm/run.sh './jvmm-bench --only linux'`"}
            else:
                if not a.kernel:
                    raise SystemExit("jvmm-bench: the linux row needs --kernel")
                log("Linux to userspace")
                results["linux"] = bench_linux(ctx, [jvmm, qemu])
        if "blk" in only:
            if "kvm_pvm" in info["kvm"]:
                log("Block: skipped, this KVM is kvm_pvm")
                results["blk"] = {"skipped": "this machine's KVM is kvm_pvm, which stops unmodified Linux; "
                                             "run `ci/nested-kvm/run.sh './jvmm-bench --only blk'`"}
            else:
                if not a.kernel or not a.blk_randread:
                    raise SystemExit("jvmm-bench: the blk row needs --kernel and --blk-randread")
                log("Block (virtio-blk)")
                results["blk"] = bench_blk(ctx, [jvmm, qemu])
        if "net" in only:
            if "kvm_pvm" in info["kvm"]:
                log("Network: skipped, this KVM is kvm_pvm")
                results["net"] = {"skipped": "this machine's KVM is kvm_pvm, which stops unmodified Linux; "
                                             "run `ci/nested-kvm/run.sh './jvmm-bench --only net'`"}
            elif os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
                results["net"] = {"skipped": "needs root (a network namespace and a TAP per run) and /dev/net/tun"}
            else:
                if not a.kernel or not a.net_send or not a.net_recv:
                    raise SystemExit("jvmm-bench: the net row needs --kernel, --net-send and --net-recv")
                log("Network (virtio-net + TAP)")
                net = [jvmm, qemu]
                if os.path.exists("/dev/vhost-net"):
                    net.append(Qemu(a.qemu, key="qemu-vhost", label="QEMU vhost", vhost=True))
                results["net"] = bench_net(ctx, net)
        if "vsock" in only:
            if "kvm_pvm" in info["kvm"]:
                log("Vsock: skipped, this KVM is kvm_pvm")
                results["vsock"] = {"skipped": "this machine's KVM is kvm_pvm, which stops unmodified Linux; "
                                               "run `ci/nested-kvm/run.sh './jvmm-bench --only vsock'`"}
            elif not os.path.exists("/dev/vhost-vsock"):
                log("Vsock: skipped, no /dev/vhost-vsock for QEMU's side (modprobe vhost_vsock)")
                results["vsock"] = {"skipped": "no /dev/vhost-vsock on this host for QEMU's vhost-vsock-pci "
                                               "(modprobe vhost_vsock)"}
            else:
                if not a.kernel or not a.vsock_send:
                    raise SystemExit("jvmm-bench: the vsock row needs --kernel and --vsock-send")
                log("Vsock stream")
                results["vsock"] = bench_vsock(ctx, [jvmm, qemu])
        if "sandbox-boot" in only:
            if "kvm_pvm" in info["kvm"]:
                log("Sandbox boot: skipped, this KVM is kvm_pvm")
                results["sandbox-boot"] = {"skipped": "this machine's KVM is kvm_pvm, which stops unmodified Linux; "
                                                      "run `ci/nested-kvm/run.sh './jvmm-bench --only sandbox-boot'`"}
            elif not os.path.exists("/dev/vhost-vsock"):
                log("Sandbox boot: skipped, no /dev/vhost-vsock for QEMU's vsock device (modprobe vhost_vsock)")
                results["sandbox-boot"] = {"skipped": "no /dev/vhost-vsock on this host for QEMU's vhost-vsock-pci "
                                                      "(modprobe vhost_vsock)"}
            else:
                if not a.kernel or not a.sandbox_agent:
                    raise SystemExit("jvmm-bench: the sandbox-boot row needs --kernel and --sandbox-agent")
                log("Sandbox boot (jvmm vs QEMU microvm)")
                results["sandbox-boot"] = bench_sandbox_boot(ctx, [jvmm, qemu])
                results["sandbox-boot"]["cmdline"] = ctx.sandbox_cmdline
                results["sandbox-boot"]["marker"] = ctx.sandbox_marker
        if "exec" in only:
            if "kvm_pvm" in info["kvm"]:
                log("Sandbox exec: skipped, this KVM is kvm_pvm")
                results["exec"] = {"skipped": "this machine's KVM is kvm_pvm, which stops unmodified Linux; "
                                              "run `ci/nested-kvm/run.sh './jvmm-bench --only exec'`"}
            elif not os.path.exists("/dev/vhost-vsock"):
                log("Sandbox exec: skipped, no /dev/vhost-vsock for QEMU's vsock device (modprobe vhost_vsock)")
                results["exec"] = {"skipped": "no /dev/vhost-vsock on this host for QEMU's vhost-vsock-pci "
                                              "(modprobe vhost_vsock)"}
            else:
                if not a.kernel:
                    raise SystemExit("jvmm-bench: the exec row needs --kernel")
                log("Sandbox exec with the guest agent (jvmm vs QEMU microvm)")
                results["exec"] = bench_exec(ctx, jvmm, qemu)
                results["exec"]["cmdline"] = ctx.exec_cmdline
        if "vms" in only:
            log("Many VMs in one JVM")
            results["vms"] = bench_vms(ctx)
        if "snapshot" in only:
            log("Snapshot and restore")
            results["snapshot"] = bench_snapshot(ctx, [jvmm, qemu])
        if "jmh" in only:
            log("Board dispatch (JMH)")
            results["jmh"] = bench_jmh(ctx)
    except BenchError as e:
        log(f"jvmm-bench: FAILED: {e}")
        return 1
    finally:
        shutil.rmtree(ctx.work, ignore_errors=True)
    ctx.load_end = open("/proc/loadavg").read().split()[:3]
    ctx.ctl_failures = jvmm.ctl_failures + jvmm_nmt.ctl_failures
    md = report(ctx, info, results)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(md)
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump({"machine": info, "runs": ctx.runs, "load_end": ctx.load_end, "ctl_failures": ctx.ctl_failures,
                   "results": results}, f, indent=1, default=str)
    print(md)
    log(f"jvmm-bench: wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
