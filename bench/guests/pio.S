/* jvmm-bench guest "pio": bench.inc with MODE 1 (see bench.inc for what each mode does). */
        .set MODE, 1
        .include "bench.inc"
