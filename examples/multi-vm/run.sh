#!/bin/sh
# Builds and runs the multi-vm example against a built jvmm tree (cli/target/jvmm/lib, from
# `mvn package` in the jvmm root). Arguments go to the program: [N] [--memory MIB] [--image FILE] [--hold].
# JAVA_HOME picks the JDK (17 or later). Compiles into examples/multi-vm/target (about a second).
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
lib=$root/cli/target/jvmm/lib
[ -d "$lib" ] || { echo "multi-vm: $lib is missing: run mvn -B -ntp package in $root first" >&2; exit 2; }
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
JAVAC=${JAVA_HOME:+$JAVA_HOME/bin/}javac
out=$here/target/classes
# the distribution's jars minus the CLI's own (the program is the front end here)
mp=$(find "$lib" -name '*.jar' ! -name 'jvmm-cli-*' ! -name 'picocli-*' | sort | tr '\n' ':')
rm -rf "$out"
"$JAVAC" --release 17 -p "$mp" -d "$out" $(find "$here/src" -name '*.java')
cd "$root"
# The JVM options of the jvmm launcher (JVMM_JVM_OPTS_DEFAULT in cli/src/main/dist/bin/jvmm, which
# says why each is there), less its logging flags.
exec "$JAVA" -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -Xms16m -XX:-UsePerfData \
  --enable-native-access=com.sun.jna \
  -Dlogback.configurationFile="$here/logback.xml" ${JAVA_OPTS:-} \
  -p "$mp$out" -m com.example.multivm/com.example.multivm.MultiVm "$@"
