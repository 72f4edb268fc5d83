#!/bin/sh
# Rebuilds the jvmm-bench guest images from bench.S with GNU binutils (as, ld).
# Usage: build.sh [OUTDIR]   (default: next to this script, where the .bin files are committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for guest in 1:pio 2:serial 3:start 4:memory; do
    mode=${guest%%:*} name=${guest#*:}
    as --32 --defsym MODE="$mode" -o "$tmp/$name.o" "$here/bench.S"
    ld -m elf_i386 -Ttext=0xffff0000 -e _start --oformat binary -o "$out/$name.bin" "$tmp/$name.o"
    size=$(wc -c < "$out/$name.bin")
    [ "$size" -eq 65536 ] || { echo "$name.bin is $size bytes, expected 65536" >&2; exit 1; }
done
