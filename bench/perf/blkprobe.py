#!/usr/bin/env python3
"""Where the block row's time goes: one run of the bench's virtio-blk guest under jvmm or QEMU, with
counters. Diagnostic, not part of jvmm-bench; run it inside the nested-KVM L1 (see README.md here).

The guest (the bench's kernel and modules, a busybox initramfs) reads the 256 MiB image twice with
`dd bs=1M iflag=direct` (the first pass is the bench's figure; the second shows the VMM warmed
up), marking the first pass with 'D' and 'E' on port 0xE9, and prints its /proc/interrupts and
/proc/stat around it. Between the marks this script samples, every 0.2 s: each VMM thread's CPU
time and context switches (/proc/PID/task), L1's CPU split (/proc/stat) and KVM's exit counters
(/sys/kernel/debug/kvm, when debugfs is mounted). It writes OUTDIR/NAME-report.txt.

  blkprobe.py NAME OUTDIR     NAME starting with "jvmm" runs this tree's cli/target/jvmm (JAVA_OPTS
                              passes through), anything else qemu-system-x86_64
  PROBE_WRAP="strace -c -f -o FILE"   runs the VMM under that command (thread counters then useless)
  PROBE_PERF=1                         perf record -a between the marks (under L1's TCG it gets
                                       almost no samples: not useful there)
"""
import os, sys, subprocess, time, shutil, glob
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import bench as B

who, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
work = "/tmp/blkprobe"
os.makedirs(work, exist_ok=True)
kernel = subprocess.check_output([os.path.join(ROOT, "cli/src/test/linux/fetch-kernel.sh")]).decode().strip().splitlines()[-1]
abi = kernel.split("vmlinuz-")[1]
moddir = os.path.join(os.path.dirname(kernel), f"linux-image-{abi}", "lib", "modules", abi, "kernel", "drivers")
rr = os.path.join(work, "blk_randread")
if not os.path.exists(rr):
    subprocess.check_call(["gcc", "-O2", "-static", "-o", rr, os.path.join(ROOT, "bench/c/blk_randread.c")])
INIT = b"""#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mkdir -p /proc /sys; /bin/busybox mount -t proc proc /proc; /bin/busybox mount -t sysfs sys /sys
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do /bin/busybox insmod /lib/$m.ko; done
/bin/busybox grep -i virtio /proc/interrupts > /i0.txt; /bin/busybox head -1 /proc/stat > /s0.txt; /bin/busybox cat /sys/block/vda/stat > /b0.txt
/bin/busybox printf D | /bin/busybox dd of=/dev/port bs=1 seek=233 2>/dev/null
t0=$EPOCHREALTIME
/bin/busybox dd if=/dev/vda of=/dev/null bs=1M count=256 iflag=direct 2>/dd.txt
t1=$EPOCHREALTIME
/bin/busybox printf E | /bin/busybox dd of=/dev/port bs=1 seek=233 2>/dev/null
/bin/busybox grep -i virtio /proc/interrupts > /i1.txt; /bin/busybox head -1 /proc/stat > /s1.txt; /bin/busybox cat /sys/block/vda/stat > /b1.txt
echo "JVMM-BLK dd $(/bin/busybox head -n 1 /dd.txt) from $t0 to $t1"
t2=$EPOCHREALTIME
/bin/busybox dd if=/dev/vda of=/dev/null bs=1M count=256 iflag=direct 2>/dd.txt
t3=$EPOCHREALTIME
echo "JVMM-BLK second dd $(/bin/busybox head -n 1 /dd.txt) from $t2 to $t3"
echo "IRQ-BEFORE"; /bin/busybox cat /i0.txt /s0.txt /b0.txt; echo "IRQ-AFTER"; /bin/busybox cat /i1.txt /s1.txt /b1.txt
echo "max_sectors_kb $(/bin/busybox cat /sys/block/vda/queue/max_sectors_kb) max_segments $(/bin/busybox cat /sys/block/vda/queue/max_segments)"
/bin/busybox printf B | /bin/busybox dd of=/dev/port bs=1 seek=233 2>/dev/null
/bin/busybox reboot -f
"""
entries = [("bin", 0o755, None), ("dev", 0o755, None), ("lib", 0o755, None), ("proc", 0o755, None),
           ("dev/console", 0o600, (5, 1))]
for name, path in (("bin/busybox", "/bin/busybox"), ("bin/blk_randread", rr)):
    entries.append((name, 0o755, open(path, "rb").read()))
for m in B.BLK_MODULES:
    entries.append((f"lib/{os.path.basename(m)}.ko", 0o644, open(os.path.join(moddir, m + ".ko"), "rb").read()))
entries.append(("init", 0o755, INIT))
initrd = os.path.join(work, "init.cpio")
open(initrd, "wb").write(B.newc_archive(entries))
image = os.path.join(work, "blk.img")
if not os.path.exists(image):
    with open(image, "wb") as f:
        for _ in range(256):
            f.write(os.urandom(B.MIB))
serial = os.path.join(out, f"{who}-console.txt")
debug = os.path.join(work, "debugcon")
for p in (serial, debug):
    if os.path.exists(p):
        os.unlink(p)
if who.startswith("jvmm"):
    c = B.Jvmm(os.path.join(ROOT, "cli/target/jvmm/bin/jvmm"), java_opts=os.environ.get("JAVA_OPTS"))
else:
    c = B.Qemu(shutil.which("qemu-system-x86_64"))
cmd = c.linux_cmd(kernel, initrd, B.LINUX_CMDLINE, debug, serial, disk=image)
if os.environ.get("PROBE_WRAP"):
    cmd = os.environ["PROBE_WRAP"].split() + cmd
env = c.env()

def threads(pid):
    res = {}
    for t in glob.glob(f"/proc/{pid}/task/*"):
        try:
            st = open(t + "/stat").read()
            name = st[st.index("(") + 1:st.rindex(")")]
            f = st[st.rindex(")") + 2:].split()
            ut, stt = int(f[11]), int(f[12])
            vol = nv = 0
            for line in open(t + "/status"):
                if line.startswith("voluntary_ctxt_switches"):
                    vol = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    nv = int(line.split()[1])
            res[os.path.basename(t)] = (name, ut, stt, vol, nv)
        except (OSError, ValueError):
            pass
    return res

def kvmstats():
    res = {}
    for f in glob.glob("/sys/kernel/debug/kvm/*"):
        if os.path.isfile(f):
            try:
                res[os.path.basename(f)] = int(open(f).read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return res

def cpu():
    return [int(x) for x in open("/proc/stat").readline().split()[1:]]

t0 = time.time()
p = subprocess.Popen(cmd, env=env, stdout=open(os.path.join(out, f"{who}-stdout.txt"), "w"), stderr=subprocess.STDOUT)
samples = []
perf = None
perf_data = os.path.join(out, f"{who}-perf.data")
while p.poll() is None:
    s = threads(p.pid)
    try:
        mark = open(debug, "rb").read()
    except OSError:
        mark = b""
    if os.environ.get("PROBE_PERF") and b"D" in mark and perf is None:
        perf = subprocess.Popen(["perf", "record", "-F", "997", "-e", "cpu-clock", "-a", "-o", perf_data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if perf is not None and b"E" in mark and perf.poll() is None:
        perf.send_signal(2)
        perf.wait()
    if s and b"D" in mark and (b"E" not in mark or len(samples) < 2 or samples[-1][3] != b"E"):
        samples.append((time.time() - t0, cpu(), s, b"E" if b"E" in mark else b"D", kvmstats()))
    time.sleep(0.2)
el = time.time() - t0
if perf is not None:
    if perf.poll() is None:
        perf.send_signal(2)
        perf.wait()
    for sort, name in (("comm", "comm"), ("comm,dso", "dso"), ("comm,dso,sym", "sym")):
        with open(os.path.join(out, f"{who}-perf-{name}.txt"), "w") as f:
            subprocess.run(["perf", "report", "-i", perf_data, "--stdio", "--no-children", "--sort", sort,
                            "--percent-limit", "0.3"], stdout=f, stderr=subprocess.STDOUT)
console = open(serial, errors="replace").read()
with open(os.path.join(out, f"{who}-report.txt"), "w") as r:
    r.write(f"cmd: {' '.join(cmd)}\nJAVA_OPTS={env.get('JAVA_OPTS')}\nwall {el:.1f}s exit {p.returncode}\n")
    r.write(console[console.find("JVMM-BLK"):] + "\n")
    if samples:
        tt, c0, first, _, k0 = samples[0]
        tl, c1, last, _, k1 = samples[-1]
        r.write(f"window (D..E marks) {tl-tt:.2f}s from {tt:.2f} to {tl:.2f} s after spawn, {len(samples)} samples\n")
        d = [b - a for a, b in zip(c0, c1)]
        tot = sum(d) or 1
        r.write("L1 cpu in the dd window: " + " ".join(f"{n}={100*v/tot:.0f}%" for n, v in
                zip(["user", "nice", "sys", "idle", "iowait", "irq", "softirq", "steal", "guest", "guestnice"], d)) + "\n")
        r.write(f"{'tid':>8} {'name':24} {'utime':>7} {'stime':>7} {'vol':>9} {'nonvol':>8}  (ticks of 10 ms)\n")
        r.write("kvm stats in the window: " + " ".join(f"{k}={k1[k]-k0.get(k,0)}" for k in sorted(k1) if k1[k]-k0.get(k,0)) + "\n")
        delta = {}
        for tid, (name, ut, st, vol, nv) in last.items():
            a = first.get(tid, (name, 0, 0, 0, 0))
            delta[tid] = (name, ut - a[1], st - a[2], vol - a[3], nv - a[4])
        for tid, (name, ut, st, vol, nv) in sorted(delta.items(), key=lambda kv: -(kv[1][1] + kv[1][2])):
            if ut + st + vol > 2:
                r.write(f"{tid:>8} {name:24} {ut:7d} {st:7d} {vol:9d} {nv:8d}\n")
print(open(os.path.join(out, f"{who}-report.txt")).read())
