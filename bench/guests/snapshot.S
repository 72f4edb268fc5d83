/* jvmm-bench guest "snapshot": bench.inc with MODE 5 (see bench.inc for what each mode does). */
        .set MODE, 5
        .include "bench.inc"
