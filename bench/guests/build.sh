#!/bin/sh
# Rebuilds the jvmm-bench guest images (pio.S, serial.S, start.S, memory.S, snapshot.S, vms.S: bench.inc in one
# mode each) with GNU binutils (as, ld).
# Usage: build.sh [OUTDIR]   (default: next to this script, where the .bin files are committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in pio serial start memory snapshot vms; do
    as --32 -I "$here" -o "$tmp/$name.o" "$here/$name.S"
    ld -m elf_i386 -Ttext=0xffff0000 -e _start --oformat binary -o "$out/$name.bin" "$tmp/$name.o"
    size=$(wc -c < "$out/$name.bin")
    [ "$size" -eq 65536 ] || { echo "$name.bin is $size bytes, expected 65536" >&2; exit 1; }
done
