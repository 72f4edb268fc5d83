#!/bin/sh
# Rebuilds the flat test-guest binaries from their GNU as sources.
# Usage: build.sh [output-dir]   (default: next to the sources, where the .bin files are committed)
# Needs binutils (as, ld). Each guest: name, assembler mode, link address.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$src}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() {
    name=$1 mode=$2 origin=$3
    case $mode in
        32) emulation=elf_i386 ;;
        64) emulation=elf_x86_64 ;;
    esac
    as --"$mode" -o "$tmp/$name.o" "$src/$name.S"
    ld -m "$emulation" -Ttext="$origin" -e _start --oformat binary -o "$out/$name.bin" "$tmp/$name.o"
}

# firmware images (real mode): offsets are relative to segment 0xF000
build reset16 32 0xf000
build pic16 32 0xf000
build triple16 32 0xf000
# RAM guests, loaded at 0x1000
build pm32 32 0x1000
build lm64 64 0x1000
build smp32 32 0x1000
build triple32 32 0x1000
build spin32 32 0x1000
build pio32 32 0x1000
build fault32 32 0x1000
build bell32 32 0x1000
build msi32 32 0x1000
build snap32 32 0x1000
