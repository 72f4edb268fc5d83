#!/bin/sh
# Prepares the nested-KVM kit: an L1 Linux that QEMU boots under TCG with an emulated AMD CPU with
# SVM and nested paging, so that /dev/kvm works inside it with real hardware-virtualization semantics
# (unlike kvm_pvm, which stops unmodified Linux). See README.md beside this file.
#
# Usage: setup.sh            (idempotent; prints the kit directory)
# Kit directory: $JVMM_L1_DIR, default ~/.cache/jvmm/l1. Everything comes from Debian packages:
# qemu-system-x86, busybox-static, kmod, cpio, python3 (run.sh talks to QEMU's monitor), and the Debian amd64 kernel (apt-get download, through
# cli/src/test/linux/fetch-kernel.sh, which the Linux boot test uses too).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kit=${JVMM_L1_DIR:-$HOME/.cache/jvmm/l1}
mkdir -p "$kit"

log() { echo "nested-kvm setup: $*" >&2; }

need=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || need="$need qemu-system-x86"
[ -x /bin/busybox ] || need="$need busybox-static"
command -v depmod >/dev/null 2>&1 || need="$need kmod"
command -v cpio >/dev/null 2>&1 || need="$need cpio"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v pgrep >/dev/null 2>&1 || need="$need procps"
if [ -n "$need" ]; then
    [ "$(id -u)" = 0 ] || { log "missing packages:$need (install them as root)"; exit 1; }
    log "installing$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends $need >&2 \
        || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends $need >&2; }
fi

bzimage=$("$root/cli/src/test/linux/fetch-kernel.sh")
abi=$(basename "$bzimage" | sed 's/^vmlinuz-//')
tree="$(dirname "$bzimage")/linux-image-$abi"
modules="$tree/lib/modules/$abi"
[ -f "$modules/modules.dep" ] || depmod -b "$tree" "$abi"

# The L1 initramfs: busybox, our init, and the modules L1 needs with their dependencies, in load
# order. Rebuilt when the kernel, the init or this script (its module list) changes.
stamp="$abi $(cksum < "$here/l1-init") $(cksum < "$here/setup.sh")"
if [ "$(cat "$kit/initramfs.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -s "$kit/initramfs.cpio.gz" ]; then
    staging=$(mktemp -d "$kit/.initramfs.XXXXXX")
    trap 'rm -rf "$staging"' EXIT
    mkdir -p "$staging/bin" "$staging/lib/modules" "$staging/proc" "$staging/sys" "$staging/dev" "$staging/host" \
        "$staging/job" "$staging/scratch" "$staging/newroot"
    cp /bin/busybox "$staging/bin/busybox"
    cp "$here/l1-init" "$staging/init"
    chmod 755 "$staging/init"
    order="$staging/lib/modules/order"
    : > "$order"
    # add MODULE_PATH: its dependencies first (modules.dep lists them), each once
    add() {
        for dep in $(sed -n "s|^$1: *||p" "$modules/modules.dep"); do add "$dep"; done
        name=$(basename "$1")
        grep -qx "$name" "$order" || { echo "$name" >> "$order"; cp "$modules/$1" "$staging/lib/modules/"; }
    }
    # 9p over virtio for the host's root and the job directory, overlay for a writable root,
    # virtio console for the command's output, KVM for AMD; tun for the TAP devices of the network
    # tests and benchmarks, vhost_net and vhost_vsock for QEMU's side of those benchmarks.
    for want in virtio_pci 9pnet_virtio 9p overlay virtio_console kvm_amd tun vhost_net vhost_vsock; do
        file=$(sed -n "s|^\(.*/$(echo "$want" | sed 's/_/[-_]/g')\.ko[^:]*\):.*|\1|p" "$modules/modules.dep" | head -n 1)
        [ -n "$file" ] || { log "the kernel $abi has no module $want"; exit 1; }
        add "$file"
    done
    (cd "$staging" && find . | cpio -o -H newc --quiet) | gzip -1 > "$kit/initramfs.cpio.gz.part"
    mv "$kit/initramfs.cpio.gz.part" "$kit/initramfs.cpio.gz"
    cp "$bzimage" "$kit/vmlinuz"
    echo "$stamp" > "$kit/initramfs.stamp"
    log "L1 initramfs built: $(tr '\n' ' ' < "$order")"
fi
echo "$kit"
