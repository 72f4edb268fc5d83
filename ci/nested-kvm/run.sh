#!/bin/bash
# run.sh "COMMAND": runs a shell command line where /dev/kvm has real hardware-virtualization
# semantics, inside the nested-KVM L1 (see README.md), and exits with its exit code.
#
# The command sees the host's whole filesystem at the same paths (read-only, with writes landing in
# an L1 tmpfs that vanishes at the end), runs in the current directory with the current environment,
# and its output (stdout and stderr together) streams to our stdout. Exit codes: the command's own;
# 124 when JVMM_L1_TIMEOUT passed (L1 is killed); 125 when L1 could not run the command (its console
# tail is printed and its job directory kept).
#
# Environment:
#   JVMM_L1_RW=/dir1:/dir2  host directories shared read-write (writes reach the host). A 9p share:
#                           Unix domain sockets cannot be made in it; keep them on /tmp or /dev/shm.
#   JVMM_L1_TIMEOUT=3600    seconds until L1 is stopped
#   JVMM_L1_MEM=6G JVMM_L1_CPUS=1   L1's memory and CPUs (see below before raising the CPUs)
#   JVMM_L1_CONSOLE=1       copy L1's kernel console to stderr as it runs
#   JVMM_L1_NUDGE_AFTER=6 JVMM_L1_NUDGE_EVERY=10   the lost-wakeup watchdog's timing (below)
#   JVMM_L1_DIR             the kit setup.sh made (default ~/.cache/jvmm/l1; run setup.sh first)
set -u
[ $# -ge 1 ] || { echo "usage: $0 \"COMMAND\"  (run setup.sh once first)" >&2; exit 2; }
kit=${JVMM_L1_DIR:-$HOME/.cache/jvmm/l1}
if [ ! -s "$kit/vmlinuz" ] || [ ! -s "$kit/initramfs.cpio.gz" ]; then
    echo "nested-kvm: no L1 kit in $kit; run $(dirname "$0")/setup.sh first" >&2
    exit 2
fi
nudge_after=${JVMM_L1_NUDGE_AFTER:-6}
nudge_every=${JVMM_L1_NUDGE_EVERY:-10}
for n in "$nudge_after" "$nudge_every"; do
    case $n in
        ''|*[!0-9]*) echo "nested-kvm: JVMM_L1_NUDGE_AFTER/JVMM_L1_NUDGE_EVERY='$n' is not a number of seconds" >&2
                     exit 2 ;;
    esac
done
mkdir -p "$kit/jobs"
job=$(mktemp -d "$kit/jobs/job.XXXXXX")

# The job: the command, the directory and the environment (as shell assignments, quoted).
printf '%s\n' "$*" > "$job/command"
pwd -P > "$job/cwd"
: > "$job/env"
while IFS= read -r -d '' entry; do
    name=${entry%%=*}
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    case $name in PWD|OLDPWD|SHLVL|_|JVMM_L1_*) continue ;; esac
    value=${entry#*=}
    printf "export %s='%s'\n" "$name" "${value//\'/\'\\\'\'}" >> "$job/env"
done < /proc/self/environ

shares=()
if [ -n "${JVMM_L1_RW:-}" ]; then
    IFS=: read -r -a dirs <<< "$JVMM_L1_RW"
    n=0
    for dir in "${dirs[@]}"; do
        [ -n "$dir" ] || continue
        [ -d "$dir" ] || { echo "nested-kvm: JVMM_L1_RW names $dir, which is not a directory" >&2; rm -rf "$job"; exit 2; }
        dir=$(realpath "$dir")
        echo "$dir" >> "$job/rw"
        shares+=(-virtfs "local,path=$dir,mount_tag=rw$n,security_model=none,multidevs=remap")
        n=$((n + 1))
    done
fi
: > "$job/out"
: > "$job/console"

# Single-threaded TCG: with MTTCG the L1 kernel was seen to panic under a 2-vCPU L2 guest.
#
# One L1 CPU by default. QEMU's TCG SVM (7.2 at least) injects a VMRUN's EVENTINJ interrupt at once
# but leaves cs->exception_index set to its vector (target/i386/tcg/sysemu/svm_helper.c,
# helper_vmrun, SVM_EVTINJ_TYPE_INTR). If the vCPU is then kicked out of its translation-block loop
# before the L2 guest's next #VMEXIT, which overwrites that index, the loop delivers the vector a
# second time, as an exception, ignoring RFLAGS.IF. With two or more L1 CPUs, single-threaded TCG
# kicks every 100 ms to switch between them, so now and then an L2 Linux took its timer interrupt
# (IRQ 0, vector 0x30) again inside the handler of the first one, with IF=0, and spun forever on the
# IRQ descriptor's lock (handle_level_irq -> mask_and_ack_8259A, interrupted; the nested
# handle_level_irq spins): "the unmodified kernel stalls mid-boot", in about one boot in four. With
# one L1 CPU there is no round-robin kick. Single-threaded TCG runs every L1 CPU on one host thread
# anyway, so a second L1 CPU bought no speed.
setsid timeout -k 10 "${JVMM_L1_TIMEOUT:-3600}" qemu-system-x86_64 -nodefaults -no-user-config -no-reboot \
    -accel tcg,thread=single -machine pc -cpu EPYC,+svm,+npt \
    -smp "${JVMM_L1_CPUS:-1}" -m "${JVMM_L1_MEM:-6G}" \
    -kernel "$kit/vmlinuz" -initrd "$kit/initramfs.cpio.gz" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off tsc=reliable no_timer_check" \
    -display none -monitor "unix:$job/monitor,server=on,wait=off" -serial "file:$job/console" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$job,mount_tag=job,security_model=none,multidevs=remap" \
    "${shares[@]}" \
    -device virtio-serial-pci -chardev "file,id=out,path=$job/out" -device virtconsole,chardev=out \
    < /dev/null > "$job/qemu.log" 2>&1 &
qemu=$!
tail -n +1 -s 0.2 -f --pid=$qemu "$job/out" &
follow=$!

# The lost-wakeup watchdog. QEMU 7.2's TCG SVM can leave L1's CPU halted with interrupts pending and
# its global interrupt flag (GIF) clear outside KVM's CLGI/STGI window: seen as L1 frozen with QEMU
# at 0% CPU, `info lapic` showing the timer vector in IRR and none in ISR, RFLAGS.IF=1, HLT=1, and an
# NMI from the monitor not taken either (it waits on GIF). The command then never ends (about one
# Linux boot in four or five in L2). An external interrupt that goes through the I/O APIC makes
# QEMU's halted CPU poll its APIC without consulting GIF, so L1 runs again, re-enters its guest and
# the next VMRUN/#VMEXIT/STGI sets GIF; everything pending is then delivered. The same lost
# interrupt was seen with L1 busy: its timer vector pending in IRR while the CPU ran an L2 vCPU
# spinning with interrupts off (an AP waiting for the boot CPU in wait_for_master_cpu), so L1
# never got back to schedule the L2 boot CPU; one nudge ended it. So: press and release Shift on
# L1's PS/2 keyboard (IRQ 1; nothing in L1 reads that keyboard) through QEMU's monitor every
# JVMM_L1_NUDGE_EVERY seconds (10), and as soon as QEMU's CPU time has not grown for
# JVMM_L1_NUDGE_AFTER seconds (6) while the command runs; the idle ones are counted. Harmless:
# an interrupt L1 handles in microseconds.
watchdog() {
    local last=0 idle=0 since=0 ticks child
    while kill -0 "$qemu" 2>/dev/null; do
        sleep 2
        # utime + stime of every QEMU thread, in clock ticks (fields 14 and 15 of /proc/PID/stat).
        # (No child yet or any more: skip; "/proc//stat" would be /proc/stat, the whole machine's.)
        child=$(pgrep -P "$qemu" | head -n1)
        [ -n "$child" ] || continue
        ticks=$(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null)
        [ -n "$ticks" ] || continue
        if [ $((ticks - last)) -lt 2 ]; then idle=$((idle + 2)); else idle=0; fi
        last=$ticks
        since=$((since + 2))
        if { [ "$idle" -ge "$nudge_after" ] || [ "$since" -ge "$nudge_every" ]; } \
                && [ -S "$job/monitor" ] && [ ! -s "$job/rc" ]; then
            python3 - "$job/monitor" <<'PY' 2>/dev/null && echo nudge >> "$job/nudges"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"sendkey shift\n")
s.recv(4096)
PY
            [ "$idle" -ge "$nudge_after" ] && echo idle >> "$job/idle-nudges"
            idle=0
            since=0
        fi
    done
}
watchdog &
watch=$!
console=""
if [ "${JVMM_L1_CONSOLE:-0}" = 1 ]; then
    tail -n +1 -s 0.2 -f --pid=$qemu "$job/console" >&2 &
    console=$!
fi
# Interrupted: stop L1 (its whole process group: timeout and QEMU) and the followers; leave nothing.
stop() {
    kill -TERM -- "-$qemu" 2>/dev/null
    wait "$qemu" 2>/dev/null
    kill "$follow" "$watch" $console 2>/dev/null
    echo "nested-kvm: interrupted; L1 stopped" >&2
    rm -rf "$job"
    exit 130
}
trap stop INT TERM HUP
wait "$qemu"
qemu_rc=$?
trap - INT TERM HUP
wait "$follow" $console 2>/dev/null
kill "$watch" 2>/dev/null
wait "$watch" 2>/dev/null
if [ -s "$job/idle-nudges" ]; then
    echo "nested-kvm: L1 sat idle (or froze) $(wc -l < "$job/idle-nudges") times while the command ran and was nudged back (the lost-wakeup watchdog, README.md)" >&2
fi

if [ -s "$job/rc" ]; then
    rc=$(cat "$job/rc")
    rm -rf "$job"
    exit "$rc"
fi
if [ "$qemu_rc" = 124 ]; then
    echo "nested-kvm: the command did not end within ${JVMM_L1_TIMEOUT:-3600} s; L1 was stopped" >&2
    rc=124
else
    echo "nested-kvm: L1 ended without running the command to its end (QEMU exit $qemu_rc)" >&2
    rc=125
fi
echo "--- QEMU ---" >&2; grep -v "TCG doesn.t support requested feature" "$job/qemu.log" | tail -n 5 >&2
echo "--- L1 console (last 30 lines) ---" >&2; tail -n 30 "$job/console" >&2
echo "nested-kvm: job directory kept: $job" >&2
exit "$rc"
