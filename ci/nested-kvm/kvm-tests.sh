#!/bin/bash
# kvm-tests.sh: runs every kvm-tagged test (@RequiresKvm) of an already built tree inside the
# nested-KVM L1, where /dev/kvm has real hardware-virtualization semantics, and fails if one fails,
# if none ran, or if one was skipped there (in L1 nothing has a reason to skip).
#
# Usage (from the checkout, after `mvn verify` or `mvn package` on the host):
#   ci/nested-kvm/kvm-tests.sh [MAVEN_ARGS...]     e.g.  -Dtest=LinuxBootKvmTest
# The Linux boot test boots JVMM_LINUX_KERNEL and JVMM_LINUX_VMLINUX when set (as .ci/run sets them),
# else the Debian kernel that L1 itself runs.
#
# A failing test is rerun once (-Dsurefire.rerunFailingTestsCount=1) and, if it then passes, named
# as flaky: the emulated SVM of QEMU 7.2 has a rare interrupt double-delivery (README.md).
# Nothing is rebuilt in L1: Maven runs the test phase offline with the compiler's up-to-date check
# alone (no incremental rebuild), against the classes the host built. The test reports are copied
# back to <module>/target/surefire-reports-l1/ on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
[ -d api/target/classes ] || { echo "kvm-tests: build the tree on the host first (mvn -B -ntp verify)" >&2; exit 2; }
"$here/setup.sh" > /dev/null
# Everything in L1 runs 5-20x slower than natively: the tests' deadlines and timeouts (testkit
# TestTime, @ScaledTimeout) are their native budgets times this (README.md, "Test time scale").
export JVMM_TEST_TIME_SCALE=${JVMM_TEST_TIME_SCALE:-4}
# The Linux boot test's kernel: the one L1 runs (setup.sh fetched it), unless the caller names one.
if [ -z "${JVMM_LINUX_KERNEL:-}" ]; then
    JVMM_LINUX_KERNEL=$(cli/src/test/linux/fetch-kernel.sh 2>/dev/null)
    export JVMM_LINUX_KERNEL
    vmlinux="$(dirname "$JVMM_LINUX_KERNEL")/vmlinux-$(basename "$JVMM_LINUX_KERNEL" | sed 's/^vmlinuz-//')"
    [ -s "$vmlinux" ] && export JVMM_LINUX_VMLINUX="$vmlinux"
fi

results=$(mktemp -d "${TMPDIR:-/tmp}/jvmm-l1-results.XXXXXX")
trap 'rm -rf "$results"' EXIT
# Maven arguments, quoted for the shell in L1. Unless the caller picks tests, only the classes that
# use @RequiresKvm are named: a module with none of them then forks no test JVM (each fork costs
# tens of seconds under TCG), and -Dgroups=kvm picks their kvm-tagged methods. Those that boot an
# unmodified Linux (@RequiresKvm(unmodifiedGuest = true)) get L1 sessions of their own, so a frozen
# L1 (below) costs one short session, not the whole suite.
maven_args=""
picked=no
for a in "$@"; do
    case $a in -Dtest=*) picked=yes ;; esac
    maven_args="$maven_args $(printf '%q' "$a")"
done
sessions=()
if [ "$picked" = no ]; then
    all=$(grep -l -r --include='*.java' -E '^@RequiresKvm|^ +@RequiresKvm' ./*/src/test/java | sort)
    [ -n "$all" ] || { echo "kvm-tests: no test uses @RequiresKvm" >&2; exit 1; }
    linux=$(grep -l 'RequiresKvm(unmodifiedGuest = true)' $all | xargs -r -n1 basename | sed 's/\.java$//' | paste -sd, -)
    small=$(grep -L 'RequiresKvm(unmodifiedGuest = true)' $all | xargs -r -n1 basename | sed 's/\.java$//' | paste -sd, -)
    [ -z "$small" ] || sessions+=("$maven_args -Dtest=$small")
    # the Linux tests in two sessions of about equal count, each well inside the session limit
    if [ -n "$linux" ]; then
        count=$(echo "$linux" | tr ',' '\n' | wc -l)
        half=$(( (count + 1) / 2 ))
        first=$(echo "$linux" | tr ',' '\n' | head -n "$half" | paste -sd, -)
        second=$(echo "$linux" | tr ',' '\n' | tail -n +"$((half + 1))" | paste -sd, -)
        sessions+=("$maven_args -Dtest=$first")
        [ -z "$second" ] || sessions+=("$maven_args -Dtest=$second")
    fi
else
    sessions+=("$maven_args")
fi
# L1 can freeze (QEMU's lost wakeup, README.md); run.sh's watchdog nudges it back to life. As a
# last resort a session that hits its time limit is run once more in a fresh L1, so a stuck
# emulator costs time, not the run; a session that fails its tests is not repeated (surefire has
# already rerun each failing test once). Limits: JVMM_L1_TIMEOUT, else 1200 s a session (the
# longest, the small guests, takes about 10 minutes in L1).
limit=${JVMM_L1_TIMEOUT:-1200}

# In L1: the host's reports are hidden first (the overlay keeps the host's copy), so only what ran
# in L1 is copied back. /tmp is L1's own (an overlay on tmpfs), so tests can make Unix sockets there;
# the results directory is the only host directory written.
start=$(date +%s)
rc=0
n=0
for args in "${sessions[@]}"; do
    n=$((n + 1))
    for attempt in 1 2; do
        rm -rf "$results/$n"
        mkdir -p "$results/$n"
        set +e
        JVMM_L1_TIMEOUT=$limit JVMM_L1_RW="$results/$n" "$here/run.sh" "
          rm -rf ./*/target/surefire-reports
          mvn -o -B -ntp test -Dgroups=kvm -Dsurefire.failIfNoSpecifiedTests=false -Dsurefire.rerunFailingTestsCount=1 \
              -Dmaven.compiler.useIncrementalCompilation=false $args
          rc=\$?
          for d in */target/surefire-reports; do
            [ -d \"\$d\" ] || continue
            mkdir -p \"$results/$n/\${d%/surefire-reports}\" && cp \"\$d\"/TEST-*.xml \"$results/$n/\${d%/surefire-reports}/\" 2>/dev/null
          done
          exit \$rc"
        session_rc=$?
        set -e
        [ "$session_rc" = 124 ] && [ "$attempt" = 1 ] || break
        echo "kvm-tests: L1 session $n of ${#sessions[@]} hit its $limit s limit; running it again in a fresh L1" >&2
    done
    [ "$session_rc" = 0 ] || { echo "kvm-tests: L1 session $n of ${#sessions[@]} exited $session_rc" >&2; rc=$session_rc; }
done
elapsed=$(( $(date +%s) - start ))

# The reports, back on the host (replacing an earlier run's), and a summary of them.
tests=0; failed=0; skipped=0
rm -rf ./*/target/surefire-reports-l1
for dir in "$results"/*/*/target; do
    [ -d "$dir" ] || continue
    module=$(basename "$(dirname "$dir")")
    mkdir -p "$module/target/surefire-reports-l1"
    cp "$dir"/*.xml "$module/target/surefire-reports-l1/" 2>/dev/null || true
done
for report in */target/surefire-reports-l1/TEST-*.xml; do
    [ -f "$report" ] || continue
    header=$(grep -m1 -o '<testsuite [^>]*>' "$report")
    t=$(sed -n 's/.* tests="\([0-9]*\)".*/\1/p' <<< "$header")
    f=$(sed -n 's/.* failures="\([0-9]*\)".*/\1/p' <<< "$header")
    e=$(sed -n 's/.* errors="\([0-9]*\)".*/\1/p' <<< "$header")
    s=$(sed -n 's/.* skipped="\([0-9]*\)".*/\1/p' <<< "$header")
    tests=$((tests + t)); failed=$((failed + f + e)); skipped=$((skipped + s))
    if [ "$s" != 0 ]; then
        echo "kvm-tests: skipped in L1 ($(basename "$report" .xml | sed 's/^TEST-//')):" >&2
        awk '/<testcase /{ match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7) }
             /<skipped/{ line = $0; sub(/.*<skipped( message=")?/, "", line); sub(/.*Assumption failed: /, "", line);
                         sub(/".*/, "", line); print "  " name ": " line }' "$report" >&2
    fi
done
# A test that failed once and passed on its rerun: QEMU 7.2's TCG can deliver an interrupt it
# injected into L2 twice (see README.md, "One L1 CPU"), which can stall an L2 Linux mid-boot. Reported
# by name, never hidden; a test that fails twice fails the run.
flaky=$(grep -l -E '<(flakyFailure|flakyError)' ./*/target/surefire-reports-l1/TEST-*.xml 2>/dev/null \
    | sed 's|.*/TEST-\(.*\)\.xml|\1|' | paste -sd' ' - || true)
[ -z "$flaky" ] || echo "kvm-tests: FLAKY in L1 (failed once, passed on the rerun): $flaky" >&2
ran=$((tests - skipped))
echo "kvm-tests: the kvm-tagged tests ran inside the nested-KVM L1 (QEMU TCG, emulated SVM): $tests tests, $ran ran, $failed failed, $skipped skipped, in ${elapsed} s"
if [ "$rc" != 0 ]; then
    echo "kvm-tests: FAILED (Maven in L1 exited $rc)" >&2
    exit 1
fi
if [ "$ran" = 0 ]; then
    echo "kvm-tests: FAILED: no kvm-tagged test ran in L1" >&2
    exit 1
fi
if [ "$skipped" != 0 ]; then
    echo "kvm-tests: FAILED: $skipped kvm-tagged tests were skipped in L1, where /dev/kvm works (see above)" >&2
    exit 1
fi
