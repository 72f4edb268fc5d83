#!/bin/sh
# Rebuilds postcode.bin from postcode.S with GNU binutils.
# Usage: build.sh [OUTDIR]   (default: next to this script, where the .bin is committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
as --32 -o "$tmp/postcode.o" "$here/postcode.S"
ld -m elf_i386 -Ttext=0xf000 -e _start --oformat binary -o "$out/postcode.bin" "$tmp/postcode.o"
size=$(wc -c < "$out/postcode.bin")
[ "$size" -eq 4096 ] || { echo "postcode.bin is $size bytes, expected 4096" >&2; exit 1; }
