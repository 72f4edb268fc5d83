#!/bin/sh
# Rebuilds the PL011 test guest image from pl011_hello.S with GNU binutils.
# Usage: build.sh [OUTDIR]   (default: next to this script)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
as --32 -o "$tmp/pl011_hello.o" "$here/pl011_hello.S"
ld -m elf_i386 -Ttext=0xffff0000 -e _start --oformat binary -o "$out/pl011_hello.bin" "$tmp/pl011_hello.o"
size=$(wc -c < "$out/pl011_hello.bin")
[ "$size" -eq 65536 ] || { echo "pl011_hello.bin is $size bytes, expected 65536" >&2; exit 1; }
