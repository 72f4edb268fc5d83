#!/bin/sh
# Rebuilds the demo guest image from demo.S with GNU binutils.
# Usage: build.sh [OUTDIR]   (default: next to this script)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
as --32 -o "$tmp/demo.o" "$here/demo.S"
ld -m elf_i386 -Ttext=0xffff0000 -e _start --oformat binary -o "$out/demo.bin" "$tmp/demo.o"
size=$(wc -c < "$out/demo.bin")
[ "$size" -eq 65536 ] || { echo "demo.bin is $size bytes, expected 65536" >&2; exit 1; }
