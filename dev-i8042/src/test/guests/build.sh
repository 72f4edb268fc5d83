#!/bin/sh
# Rebuilds i8042_probe.bin (a 64 KiB real-mode image) from i8042_probe.S with GNU binutils.
# Usage: build.sh [output-dir]   (default: the directory of this script)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

as --32 -o "$tmp/i8042_probe.o" "$here/i8042_probe.S"
ld -m elf_i386 -Ttext=0 -e start --build-id=none -o "$tmp/i8042_probe.elf" "$tmp/i8042_probe.o"
objcopy -O binary -j .text "$tmp/i8042_probe.elf" "$out/i8042_probe.bin"

size=$(wc -c < "$out/i8042_probe.bin")
if [ "$size" -ne 65536 ]; then
    echo "i8042_probe.bin is $size bytes, expected 65536" >&2
    exit 1
fi
