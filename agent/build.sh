#!/bin/sh
# Builds the sandbox guest agent: a static binary (glibc), no dependencies but gcc and libc6-dev.
# usage: agent/build.sh [--asan] [OUTPUT]   (default: agent/jvmm-agent beside this script)
#   --asan: a dynamically linked AddressSanitizer build (static ASan does not work), for running
#           `jvmm-agent --stdio` on the host in tests only; never put it into a guest image.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
asan=0
if [ "${1:-}" = "--asan" ]; then
    asan=1
    shift
fi
out=${1:-$here/jvmm-agent}
if ! command -v gcc >/dev/null 2>&1; then
    echo "agent/build.sh: no gcc; install gcc and libc6-dev (apt-get install gcc libc6-dev)" >&2
    exit 2
fi
if [ "$asan" = 1 ]; then
    exec gcc -fsanitize=address -fno-omit-frame-pointer -g -O1 -Wall -Wextra -Werror -o "$out" "$here/jvmm-agent.c"
fi
exec gcc -static -Os -Wall -Wextra -Werror -o "$out" "$here/jvmm-agent.c"
