#!/bin/sh
# Rebuilds the chipset test guests (64 KiB firmware images) from their .S sources with GNU binutils.
# Usage: build.sh [OUTDIR]   (default: next to this script, where the .bin files are committed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for name in platform battery triple emufail halt mmio_storm serial_flood reset_storm ticker acpi_off power_button \
        snap_counter snap_rx; do
    as --32 -I "$here" -o "$tmp/$name.o" "$here/$name.S"
    ld -m elf_i386 -Ttext=0xffff0000 -e _start --build-id=none --oformat binary -o "$out/$name.bin" "$tmp/$name.o"
    size=$(wc -c < "$out/$name.bin")
    [ "$size" -eq 65536 ] || { echo "$name.bin is $size bytes, expected 65536" >&2; exit 1; }
done
