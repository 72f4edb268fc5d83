/* jvmm-bench guest "start": bench.inc with MODE 3 (see bench.inc for what each mode does). */
        .set MODE, 3
        .include "bench.inc"
