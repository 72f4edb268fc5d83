#!/bin/sh
# One L1 session of blkprobe.py runs: QEMU, then jvmm trees BEFORE and AFTER alternating, then QEMU
# again (host load moves every figure; compare only within a session). Run from the host:
#   cd /tmp/copy-of-tree && JVMM_L1_RW=/tmp/perf-out ci/nested-kvm/run.sh \
#       'sh bench/perf/session.sh /tmp/perf-out/s1 /tmp/tree-before /tmp/tree-after 3'
# then bench/perf/summarize.py /tmp/perf-out/s1
set -eu
OUT=$1 BEFORE=$2 AFTER=$3 N=${4:-2}
mount -t debugfs none /sys/kernel/debug 2>/dev/null || true   # KVM's exit counters
python3 "$BEFORE/bench/perf/blkprobe.py" qemu-1 "$OUT"
i=1
while [ "$i" -le "$N" ]; do
    python3 "$BEFORE/bench/perf/blkprobe.py" "jvmm-before-$i" "$OUT"
    python3 "$AFTER/bench/perf/blkprobe.py" "jvmm-after-$i" "$OUT"
    i=$((i + 1))
done
python3 "$BEFORE/bench/perf/blkprobe.py" qemu-2 "$OUT"
