/* jvmm-bench guest "serial": bench.inc with MODE 2 (see bench.inc for what each mode does). */
        .set MODE, 2
        .include "bench.inc"
