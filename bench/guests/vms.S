/* jvmm-bench guest "vms": bench.inc with MODE 6 (see bench.inc for what each mode does). */
        .set MODE, 6
        .include "bench.inc"
