#!/bin/sh
# Rebuilds the cli tests' firmware guests (64 KiB images, QEMU -bios style) from their GNU as sources.
# Usage: build.sh [OUTDIR]   (default: next to the sources, where the .bin files are committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in smp_counter bad_device; do
    as --32 -o "$tmp/$name.o" "$here/$name.S"
    ld -m elf_i386 -Ttext=0xffff0000 -e _start --oformat binary -o "$out/$name.bin" "$tmp/$name.o"
    size=$(wc -c < "$out/$name.bin")
    [ "$size" -eq 65536 ] || { echo "$name.bin is $size bytes, expected 65536" >&2; exit 1; }
done
