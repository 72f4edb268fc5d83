#!/bin/sh
# Builds the sandbox guest agent: a static binary (glibc), no dependencies but gcc and libc6-dev.
# usage: agent/build.sh [OUTPUT]   (default: agent/jvmm-agent beside this script)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/jvmm-agent}
if ! command -v gcc >/dev/null 2>&1; then
    echo "agent/build.sh: no gcc; install gcc and libc6-dev (apt-get install gcc libc6-dev)" >&2
    exit 2
fi
exec gcc -static -Os -Wall -Wextra -o "$out" "$here/jvmm-agent.c"
