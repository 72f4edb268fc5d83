#!/bin/sh
# Fetches the Debian amd64 kernel for the Linux boot test and the nested-KVM harness (ci/nested-kvm),
# and prints the bzImage's path.
# Usage: fetch-kernel.sh [CACHE_DIR]   (default: ~/.cache/jvmm/kernel)
#
# linux-image-amd64 is a meta package: the kernel is in the linux-image-<abi>-amd64 package it
# depends on. That .deb is downloaded (apt-get download, nothing is installed) and extracted with
# dpkg-deb into CACHE_DIR/linux-image-<abi>/ (boot/ and lib/modules/, which the harness's L1 needs);
# boot/vmlinuz-<abi> is also copied to CACHE_DIR/vmlinuz-<abi>. Beside it goes vmlinux-<abi>, the
# ELF kernel inside the bzImage's payload, when the payload's decompressor (lz4, gzip, xz or zstd)
# is installed: the Linux boot test boots it too (the PVH entry).
#
# Idempotent: what CACHE_DIR already holds is reused; without apt lists or network the newest cached
# kernel is printed. Progress goes to stderr, the bzImage path to stdout; exit 1 if there is none.
set -eu
cache=${1:-${HOME}/.cache/jvmm/kernel}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

log() { echo "fetch-kernel: $*" >&2; }

resolve() {
    apt-cache depends linux-image-amd64 2>/dev/null \
        | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

refresh_lists() {
    if [ "$(id -u)" = 0 ]; then
        log "refreshing the apt package lists"
        apt-get update -q >&2 || log "apt-get update failed"
    else
        log "not root: cannot refresh the apt package lists"
    fi
}

# Falls back to a kernel fetched earlier, or fails with the reason.
use_cached_or_fail() {
    cached=$(ls -1 "$cache"/vmlinuz-*[0-9]-amd64 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$cached" ]; then
        log "$1; using the cached $cached"
        echo "$cached"
        exit 0
    fi
    log "$1"
    exit 1
}

# Little-endian unsigned integer of $3 bytes at offset $2 of file $1.
le() {
    od -An -tu1 -j "$2" -N "$3" "$1" | awk '{ for (i = NF; i >= 1; i--) v = v * 256 + $i } END { print v + 0 }'
}

# Writes vmlinux-<abi> from the bzImage's payload (boot protocol 2.08+: payload_offset at 0x248,
# payload_length at 0x24c, both relative to the protected-mode code after the setup sectors).
extract_vmlinux() {
    bz=$1 elf=$2
    setup_sects=$(le "$bz" 497 1)
    [ "$setup_sects" -eq 0 ] && setup_sects=4
    offset=$(( (setup_sects + 1) * 512 + $(le "$bz" 584 4) ))
    length=$(le "$bz" 588 4)
    magic=$(od -An -tx1 -j "$offset" -N 4 "$bz" | tr -d ' \n')
    case $magic in
        02214c18) tool=lz4 ;;
        1f8b*) tool=gzip ;;
        fd377a58) tool=xz ;;
        28b52ffd) tool=zstd ;;
        *) log "bzImage payload has an unknown compression (magic $magic): no vmlinux"; return 0 ;;
    esac
    if ! command -v "$tool" >/dev/null 2>&1; then
        log "the bzImage payload is $tool-compressed and $tool is not installed: no vmlinux (apt-get install $tool)"
        return 0
    fi
    # The payload ends with the decompressed size (4 bytes), which the tools may call trailing
    # garbage: judge the result by its ELF magic, not by the tool's exit status.
    tail -c +"$((offset + 1))" "$bz" | head -c "$length" | "$tool" -dc > "$elf.part" 2>/dev/null || true
    if [ "$(od -An -tx1 -N 4 "$elf.part" | tr -d ' \n')" = 7f454c46 ]; then
        mv "$elf.part" "$elf"
        log "extracted $elf"
    else
        rm -f "$elf.part"
        log "could not decompress the bzImage payload with $tool: no vmlinux"
    fi
}

pkg=$(resolve || true)
if [ -z "$pkg" ]; then
    refresh_lists
    pkg=$(resolve || true)
fi
[ -n "$pkg" ] || use_cached_or_fail "cannot resolve linux-image-amd64 to a kernel package (no apt lists or no network?)"

abi=${pkg#linux-image-}
out="$cache/vmlinuz-$abi"
tree="$cache/linux-image-$abi"
if [ ! -s "$out" ] || [ ! -d "$tree/lib/modules" ]; then
    tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    # apt-get download writes into the current directory; as root it warns that _apt cannot write
    # there, which is harmless. Stale lists name a .deb the mirror no longer has: refresh, retry.
    if ! (cd "$tmp" && apt-get download "$pkg" >&2); then
        refresh_lists
        pkg=$(resolve || true)
        [ -n "$pkg" ] || use_cached_or_fail "cannot resolve linux-image-amd64 after refreshing the lists"
        abi=${pkg#linux-image-}
        out="$cache/vmlinuz-$abi"
        tree="$cache/linux-image-$abi"
        if ! (cd "$tmp" && apt-get download "$pkg" >&2); then
            use_cached_or_fail "cannot download $pkg"
        fi
    fi
    deb=$(ls -1 "$tmp"/*.deb | head -n 1)
    dpkg-deb -x "$deb" "$tmp/x"
    [ -s "$tmp/x/boot/vmlinuz-$abi" ] || use_cached_or_fail "$deb holds no boot/vmlinuz-$abi"
    cp "$tmp/x/boot/vmlinuz-$abi" "$out.part"
    mv "$out.part" "$out"
    rm -rf "$tree"
    mv "$tmp/x" "$tree"
    log "cached $out and the package tree $tree"
fi
[ -s "$cache/vmlinux-$abi" ] || extract_vmlinux "$out" "$cache/vmlinux-$abi"
echo "$out"
