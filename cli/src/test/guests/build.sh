#!/bin/sh
# Rebuilds the whole-VM test guests (64 KiB firmware images) from their GNU as sources.
# Usage: build.sh [OUTDIR]   (default: next to the sources, where the .bin files are committed)
# Needs binutils (as, ld). Each guest: name and link address (0xffff0000 for images that switch to
# flat 32-bit protected mode and address themselves through the copy below 4 GiB; 0 for real-mode
# images that run as segment F000).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() {
    name=$1 origin=$2
    as --32 -o "$tmp/$name.o" "$here/$name.S"
    ld -m elf_i386 -Ttext="$origin" -e _start --oformat binary -o "$out/$name.bin" "$tmp/$name.o"
    size=$(wc -c < "$out/$name.bin")
    [ "$size" -eq 65536 ] || { echo "$name.bin is $size bytes, expected 65536" >&2; exit 1; }
}

build serial_poll 0xffff0000
build serial_irq 0
build counter 0xffff0000
build smp_counter 0xffff0000
build bad_device 0xffff0000
build keys 0xffff0000
