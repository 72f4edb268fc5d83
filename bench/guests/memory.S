/* jvmm-bench guest "memory": bench.inc with MODE 4 (see bench.inc for what each mode does). */
        .set MODE, 4
        .include "bench.inc"
